#!/usr/bin/env node
// A steady trickle of the traffic a kill switch must hold back, from inside a lab namespace: UDP to
// the internet host, DNS questions to the ISP's and well-known resolvers, TCP connects, over IPv4
// and IPv6. Runs until SIGTERM, then prints what it sent as one JSON line. Used by the leak tests:
// anything of this that shows on the router's WAN outside the tunnel is a leak.
import { createSocket } from 'node:dgram';
import { Socket } from 'node:net';
import { ADDR, WELL_KNOWN } from './addresses.js';

const sent = { udp: 0, dns: 0, tcp: 0, errors: 0 };
const v4 = createSocket('udp4');
const v6 = createSocket('udp6');
for (const s of [v4, v6]) s.on('error', () => { sent.errors++; });

// A DNS question for a fresh name each time, so no cache on the way answers it.
function dnsQuery(n: number): Buffer {
  const name = `leak-${process.pid}-${n}.lab.test`;
  const labels = name.split('.').flatMap((l) => [Buffer.from([l.length]), Buffer.from(l)]);
  return Buffer.concat([Buffer.from([n >> 8 & 0xff, n & 0xff, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0]), ...labels, Buffer.from([0, 0, 1, 0, 1])]);
}

const send = (s: ReturnType<typeof createSocket>, port: number, host: string, data: Buffer, kind: 'udp' | 'dns') => {
  s.send(data, port, host, (e) => { if (e) sent.errors++; else sent[kind]++; });
};

let n = 0;
const udp = setInterval(() => {
  send(v4, 40000, ADDR.inetWeb.v4, Buffer.from('leak?'), 'udp');
  send(v6, 40000, ADDR.inetWeb.v6, Buffer.from('leak?'), 'udp');
}, 10);
const dns = setInterval(() => {
  n++;
  send(v4, 53, ADDR.ispWan.v4, dnsQuery(n), 'dns');
  send(v4, 53, WELL_KNOWN.dns[0], dnsQuery(n), 'dns');
  send(v6, 53, ADDR.ispWan.v6, dnsQuery(n), 'dns');
}, 100);
const tcp = setInterval(() => {
  for (const host of [ADDR.inetWeb.v4, ADDR.inetWeb.v6]) {
    const s = new Socket();
    s.on('error', () => { sent.errors++; });
    s.setTimeout(1000, () => s.destroy());
    s.connect({ host, port: 80 }, () => { sent.tcp++; s.destroy(); });
  }
}, 100);

process.on('SIGTERM', () => {
  clearInterval(udp);
  clearInterval(dns);
  clearInterval(tcp);
  process.stdout.write(JSON.stringify(sent) + '\n');
  process.exit(0);
});
