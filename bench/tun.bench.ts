// Packets per second of the native TUN and batched UDP paths (1420-byte packets), inside a lab namespace,
// with plain node:dgram alongside for the UDP part. Run: `node scripts/bench.mjs tun` (as root).
// Without arguments this file is the orchestrator: it makes a namespace and runs itself in it once per
// role (sender, receiver, TUN reader/writer), two processes at a time, so each side has its own core.
import dgram from 'node:dgram';
import { fileURLToPath } from 'node:url';
import { Lab, type Netns } from '../tools/lab/netns.js';
import { JsonLinesChild, jsonLinesStdio } from '../tools/lab/process.js';
import * as link from '../src/tun/link.js';
import { TunDevice } from '../src/tun/tun-device.js';
import { UdpBatchSocket, UdpEndpoint } from '../src/sockets/udp-batch-socket.js';

const SIZE = 1420;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 2);
const BATCH = 128;
const say = (m: object): void => void process.stdout.write(`${JSON.stringify(m)}\n`);
const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

/** An IPv4/UDP packet of `size` bytes (UDP checksum 0: allowed for IPv4). */
function udp4(src: number, dst: number, dport: number, size: number): Buffer {
  const p = Buffer.alloc(size);
  p[0] = 0x45;
  p.writeUInt16BE(size, 2);
  p[8] = 64;
  p[9] = 17;
  p.writeUInt32BE(src, 12);
  p.writeUInt32BE(dst, 16);
  let sum = 0;
  for (let i = 0; i < 20; i += 2) sum += p.readUInt16BE(i);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  p.writeUInt16BE(~sum & 0xffff, 10);
  p.writeUInt16BE(40000, 20);
  p.writeUInt16BE(dport, 22);
  p.writeUInt16BE(size - 20, 24);
  return p;
}

/** Counts arrivals, the time from the first to the last one, and the CPU time spent meanwhile. */
class Meter {
  n = 0;
  batches = 0;
  first = 0n;
  last = 0n;
  cpu0: NodeJS.CpuUsage | undefined;
  cpu: NodeJS.CpuUsage | undefined;
  add(k: number): void {
    const now = process.hrtime.bigint();
    if (this.n === 0) {
      this.first = now;
      this.cpu0 = process.cpuUsage();
    }
    this.last = now;
    this.n += k;
    this.batches++;
    if ((this.batches & 63) === 0) this.cpu = process.cpuUsage(this.cpu0);
  }
  report(): object {
    const s = Number(this.last - this.first) / 1e9;
    const cpu = this.cpu === undefined ? 0 : this.cpu.user + this.cpu.system;
    return { packets: this.n, batches: this.batches, pps: s > 0 ? Math.round(this.n / s) : 0, cpuNs: this.n > 0 ? Math.round((cpu * 1000) / this.n) : 0 };
  }
}

// ---- roles (each runs in its own process inside the namespace) ----

async function udpRecv(o: { kind: string; address: string }): Promise<void> {
  const meter = new Meter();
  let port: number;
  if (o.kind === 'batch') {
    const s = UdpBatchSocket.bind({ address: o.address, port: 0, batchSize: BATCH });
    s.onPackets((b) => meter.add(b.count));
    port = s.localPort;
  } else {
    const s = dgram.createSocket({ type: 'udp4', recvBufferSize: 4 << 20 });
    s.on('message', () => meter.add(1));
    await new Promise<void>((r) => s.bind(0, o.address, r));
    port = s.address().port;
  }
  jsonLinesStdio((m) => say({ id: m.id, ...meter.report() }));
  say({ type: 'ready', port });
}

async function udpSend(o: { kind: string; to: string; port: number }): Promise<void> {
  const data = Buffer.alloc(SIZE, 0x5a);
  let sent = 0;
  const end = Date.now() + SECONDS * 1000;
  const t0 = process.hrtime.bigint();
  if (o.kind === 'batch') {
    const s = UdpBatchSocket.bind({ address: '0.0.0.0', port: 0, batchSize: BATCH });
    const to = UdpEndpoint.parse(o.to, o.port);
    const batch = new Array<Buffer>(BATCH).fill(data);
    while (Date.now() < end) {
      for (let i = 0; i < 16; i++) sent += s.sendTo(batch, to);
      await tick();
    }
    say({ type: 'result', sent, dropped: s.stats().txDropped, pps: Math.round(sent / (Number(process.hrtime.bigint() - t0) / 1e9)) });
    s.close();
  } else {
    const s = dgram.createSocket({ type: 'udp4', sendBufferSize: 4 << 20 });
    await new Promise<void>((r) => s.bind(0, '0.0.0.0', r));
    let pending = 0;
    const done = (): void => {
      pending--;
      sent++;
    };
    while (Date.now() < end) {
      for (let i = 0; i < BATCH && pending < 4 * BATCH; i++) {
        pending++;
        s.send(data, o.port, o.to, done);
      }
      await tick();
    }
    while (pending > 0) await tick();
    say({ type: 'result', sent, pps: Math.round(sent / (Number(process.hrtime.bigint() - t0) / 1e9)) });
    s.close();
  }
}

async function tunRead(): Promise<void> {
  const meter = new Meter();
  const tun = TunDevice.open('tunb0', { batchSize: BATCH });
  tun.onPackets((b) => meter.add(b.count));
  await link.setUp(tun.name, { mtu: 1500, addresses: ['10.1.0.2/32'], routes: ['10.9.0.0/24'] });
  jsonLinesStdio((m) => say({ id: m.id, ...meter.report() }));
  say({ type: 'ready' });
}

async function tunWrite(o: { port?: number }): Promise<void> {
  const tun = TunDevice.open('tunb1', { batchSize: BATCH });
  await link.setUp(tun.name, { mtu: 1500, addresses: ['10.1.0.2/32'], routes: ['10.9.0.0/24'] });
  jsonLinesStdio(async (m) => {
    const batch = new Array<Buffer>(BATCH).fill(udp4(0x0a090007, 0x0a010002, m.port, SIZE));
    let written = 0;
    const end = Date.now() + SECONDS * 1000;
    const t0 = process.hrtime.bigint();
    while (Date.now() < end) {
      for (let i = 0; i < 16; i++) written += tun.write(batch);
      await tick();
    }
    say({ id: m.id, written, pps: Math.round(written / (Number(process.hrtime.bigint() - t0) / 1e9)), stats: tun.stats() });
  });
  say({ type: 'ready' });
}

// ---- orchestration ----

const self = fileURLToPath(import.meta.url);

async function role(ns: Netns, name: string, opts: object = {}): Promise<JsonLinesChild> {
  const c = new JsonLinesChild(ns.spawn(process.execPath, [self, name, JSON.stringify(opts)]));
  await c.next((m) => m.type === 'ready', 15_000);
  return c;
}

const fmt = (n: number): string => n.toLocaleString('en-US').padStart(11);
const perCb = (r: { packets: number; batches: number }): string => (r.packets / Math.max(1, r.batches)).toFixed(1);

async function main(): Promise<void> {
  const lab = await Lab.create({ prefix: 'nvb' });
  try {
    const ns = await lab.namespace();
    console.log(`${SIZE}-byte packets, ${SECONDS} s per case, batches of ${BATCH}, in namespace ${ns.name}`);
    for (const kind of ['batch', 'dgram']) {
      const recv = await role(ns, 'udp-recv', { kind, address: '127.0.0.1' });
      const port = (recv.messages[0] as { port: number }).port;
      const send = await new JsonLinesChild(ns.spawn(process.execPath, [self, 'udp-send', JSON.stringify({ kind, to: '127.0.0.1', port })]))
        .next((m) => m.type === 'result', (SECONDS + 30) * 1000);
      await new Promise((r) => setTimeout(r, 300));
      const got = await recv.request({ cmd: 'report' });
      const label = kind === 'batch' ? 'UdpBatchSocket (sendmmsg/recvmmsg)' : 'node:dgram              ';
      console.log(`udp ${label} send: ${fmt(send.pps)} pps   recv: ${fmt(got.pps)} pps  (${got.packets} of ${send.sent} received, ${perCb(got)} per callback, receiver ${got.cpuNs} ns CPU/packet)`);
    }
    {
      const reader = await role(ns, 'tun-read');
      const send = await new JsonLinesChild(ns.spawn(process.execPath, [self, 'udp-send', JSON.stringify({ kind: 'batch', to: '10.9.0.1', port: 9 })]))
        .next((m) => m.type === 'result', (SECONDS + 30) * 1000);
      await new Promise((r) => setTimeout(r, 300));
      const got = await reader.request({ cmd: 'report' });
      console.log(`tun read  (sendmmsg into the TUN's route):  read: ${fmt(got.pps)} pps  (${got.packets} of ${send.sent} sent, ${perCb(got)} per callback, reader ${got.cpuNs} ns CPU/packet; the TUN queue drops the rest)`);
    }
    {
      const writer = await role(ns, 'tun-write');
      const recv = await role(ns, 'udp-recv', { kind: 'batch', address: '10.1.0.2' });
      const port = (recv.messages[0] as { port: number }).port;
      const w = await writer.request({ cmd: 'write', port }, (SECONDS + 30) * 1000);
      await new Promise((r) => setTimeout(r, 300));
      const got = await recv.request({ cmd: 'report' });
      console.log(`tun write (to a local UdpBatchSocket):       write: ${fmt(w.pps)} pps  (received ${got.packets} of ${w.written} at ${fmt(got.pps)} pps; dropped ${w.stats.txDropped})`);
    }
  } finally {
    await lab.destroy();
  }
}

const [, , roleName, roleOpts] = process.argv;
const roles: Record<string, (o: any) => Promise<void>> = { 'udp-recv': udpRecv, 'udp-send': udpSend, 'tun-read': tunRead, 'tun-write': tunWrite };
if (roleName === undefined) {
  await main();
} else {
  process.stdin.on('end', () => process.exit(0));
  await roles[roleName]!(JSON.parse(roleOpts ?? '{}'));
  if (roleName === 'udp-send') process.exit(0);
}
