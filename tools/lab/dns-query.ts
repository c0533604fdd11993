#!/usr/bin/env node
// A minimal DNS client for the lab (no dig on the machines we test on): one question over UDP, the
// answer's A/AAAA/TXT records. Run inside a namespace as a CLI (the lab does that), or use the codec.
//   node dns-query.js SERVER NAME [A|AAAA|TXT] [--timeout MS]  →  {"rcode":0,"answers":[…]}
import { createSocket } from 'node:dgram';
import { randomInt } from 'node:crypto';
import { isIP } from 'node:net';
import { pathToFileURL } from 'node:url';
import { formatIp } from '../../src/net/ip-address.js';

export const QTYPE = { A: 1, AAAA: 28, TXT: 16 } as const;
export type QueryType = keyof typeof QTYPE;

export interface DnsAnswer {
  rcode: number;
  /** Addresses (A/AAAA) or texts (TXT) of the answer section's records of the asked type. */
  answers: string[];
}

export function encodeQuery(id: number, name: string, type: QueryType): Buffer {
  const labels = name.replace(/\.$/, '').split('.').filter(Boolean);
  const parts: Buffer[] = [Buffer.from([id >> 8, id & 0xff, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0])];  // RD, one question
  for (const l of labels) {
    if (l.length > 63) throw new RangeError(`label too long: ${l}`);
    parts.push(Buffer.from([l.length]), Buffer.from(l, 'ascii'));
  }
  parts.push(Buffer.from([0, 0, QTYPE[type], 0, 1]));
  return Buffer.concat(parts);
}

function skipName(msg: Buffer, off: number): number {
  for (;;) {
    const len = msg[off];
    if (len === undefined) throw new RangeError('truncated name');
    if ((len & 0xc0) === 0xc0) return off + 2;
    off += 1 + len;
    if (len === 0) return off;
  }
}

export function decodeAnswer(msg: Buffer, id: number, type: QueryType): DnsAnswer {
  if (msg.length < 12 || msg.readUInt16BE(0) !== id) throw new Error('not the answer to our query');
  const rcode = msg[3]! & 0x0f;
  const qd = msg.readUInt16BE(4);
  const an = msg.readUInt16BE(6);
  let off = 12;
  for (let i = 0; i < qd; i++) off = skipName(msg, off) + 4;
  const answers: string[] = [];
  for (let i = 0; i < an; i++) {
    off = skipName(msg, off);
    const rtype = msg.readUInt16BE(off);
    const rdlen = msg.readUInt16BE(off + 8);
    const rdata = msg.subarray(off + 10, off + 10 + rdlen);
    off += 10 + rdlen;
    if (rtype !== QTYPE[type]) continue;
    if (type === 'TXT') {
      const texts: string[] = [];
      for (let j = 0; j < rdata.length; j += 1 + rdata[j]!) texts.push(rdata.subarray(j + 1, j + 1 + rdata[j]!).toString());
      answers.push(texts.join(''));
    } else {
      answers.push(formatIp(rdata));
    }
  }
  return { rcode, answers };
}

/** Asks server (port 53) one question over UDP; rejects after timeoutMs. */
export function query(server: string, name: string, type: QueryType = 'A', timeoutMs = 2000): Promise<DnsAnswer> {
  const family = isIP(server);
  if (family === 0) throw new TypeError(`not an IP address: ${server}`);
  const id = randomInt(0x10000);
  const sock = createSocket(family === 6 ? 'udp6' : 'udp4');
  return new Promise<DnsAnswer>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no DNS answer from ${server} within ${timeoutMs} ms`)), timeoutMs);
    sock.on('error', (e) => { clearTimeout(timer); reject(e); });
    sock.on('message', (msg) => {
      try {
        const a = decodeAnswer(msg, id, type);
        clearTimeout(timer);
        resolve(a);
      } catch {
        // someone else's packet: keep waiting
      }
    });
    sock.send(encodeQuery(id, name, type), 53, server);
  }).finally(() => sock.close());
}

const isMain = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (isMain) {
  const args = process.argv.slice(2);
  const t = args.indexOf('--timeout');
  const timeoutMs = t >= 0 ? Number(args.splice(t, 2)[1]) : 2000;
  const [server, name, type = 'A'] = args;
  if (server === undefined || name === undefined || !(type in QTYPE)) {
    process.stderr.write('usage: dns-query SERVER NAME [A|AAAA|TXT] [--timeout MS]\n');
    process.exit(64);
  }
  query(server, name, type as QueryType, timeoutMs).then(
    (a) => process.stdout.write(`${JSON.stringify(a)}\n`),
    (e: Error) => {
      process.stdout.write(`${JSON.stringify({ error: e.message })}\n`);
      process.exit(1);
    },
  );
}
