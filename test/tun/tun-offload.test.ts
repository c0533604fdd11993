// TUN offload (IFF_VNET_HDR): two TUNs bridged by our addon, one in each of two namespaces, with the kernel's
// own TCP on both sides. With offload, the sending kernel hands us TSO packets of up to 64 KB, which the addon
// cuts into segments (so it counts far fewer packets than we read), and consecutive segments of a flow are
// written as one GSO packet (so the receiving kernel counts far fewer packets than we wrote); the bytes must
// arrive intact either way (IPv4 and IPv6, both directions). The fallbacks — TSO refused (coalesced writes
// only) and no offload at all — are the same test. A segment with a bad checksum is never merged: the kernel
// gets it alone and drops it.
import test from 'ava';
import { createHash, randomBytes } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { Lab, type Netns } from '../../tools/lab/netns.js';
import { JsonLinesChild } from '../../tools/lab/process.js';
import { labBytesSha256 } from '../../tools/lab/lab-bytes.js';
import { download } from '../../tools/lab/probes.js';
import { startFixture } from './helpers.js';
import { F, seg } from '../net/tcp-packets.js';

let lab: Lab;
test.before(async () => {
  lab = await Lab.create();
});
test.after.always(async () => {
  await lab?.destroy();
});

/** The bridge's two ends (TUN a in namespace A, TUN b in B). */
const A = Uint8Array.of(10, 41, 0, 1);
const B = Uint8Array.of(10, 41, 0, 2);

const HTTP_ECHO = new URL('../../tools/lab/http-echo.js', import.meta.url).pathname;

interface Bridge {
  a: Netns;
  b: Netns;
  child: JsonLinesChild;
  tunA: string;
  tunB: string;
}

async function stop(br: Bridge): Promise<{ code: number | null }> {
  br.child.child.stdin!.end();
  return br.child.exited();
}

async function bridge(offload: boolean, tag: string, tso = true): Promise<Bridge> {
  const a = await lab.namespace();
  const b = await lab.namespace();
  const names = { a: `ta${tag}`, b: `tb${tag}` };
  const child = startFixture(a, 'tun-bridge', [JSON.stringify({ ...names, offload, tso })]);
  await child.next((m) => m.type === 'ready', 15_000);
  await a.ip(['link', 'set', names.b, 'netns', b.name]);
  for (const [ns, dev, v4, v6] of [[a, names.a, '10.41.0.1/24', 'fd41::1/64'], [b, names.b, '10.41.0.2/24', 'fd41::2/64']] as const) {
    await ns.ip(['addr', 'add', v4, 'dev', dev]);
    await ns.ip(['-6', 'addr', 'add', v6, 'dev', dev, 'nodad']);
    await ns.ip(['link', 'set', dev, 'mtu', '1400', 'up']);
  }
  return { a, b, child, tunA: names.a, tunB: names.b };
}

/**
 * The kernel's packet counter of a TUN in ns: rx is what we wrote (a GSO packet is one), tx what it sent
 * into the TUN for us to read (a TSO packet is one).
 */
async function kernelPackets(ns: Netns, dev: string, dir: 'rx' | 'tx'): Promise<number> {
  const r = await ns.exec('cat', [`/sys/class/net/${dev}/statistics/${dir}_packets`]);
  return Number(r.stdout.trim());
}

/** The kernel's count of packets it threw away for a bad checksum or header, in ns. */
async function badPackets(ns: Netns): Promise<number> {
  const out = (await ns.exec('nstat', ['-az', 'TcpInCsumErrors', 'IpInHdrErrors', 'UdpInCsumErrors', 'Ip6InHdrErrors'])).stdout;
  return [...out.matchAll(/^\S+\s+(\d+)/gm)].reduce((a, m) => a + Number(m[1]), 0);
}

/**
 * The bridge's and both kernels' counters at one moment: the TUNs also carry the kernels' own IPv6 chatter
 * (router solicitations, MLD) at any time, so a snapshot counts only when the bridge moved nothing while the
 * kernels' counters were read.
 */
async function snapshot(br: Bridge): Promise<{ readA: number; wroteB: number; kernelTxA: number; kernelRxB: number }> {
  for (;;) {
    const before = await br.child.request({ cmd: 'stats' });
    const kernelTxA = await kernelPackets(br.a, br.tunA, 'tx');
    const kernelRxB = await kernelPackets(br.b, br.tunB, 'rx');
    const after = await br.child.request({ cmd: 'stats' });
    if (before.a.rxPackets === after.a.rxPackets && before.b.txPackets === after.b.txPackets) {
      return { readA: after.a.rxPackets, wroteB: after.b.txPackets, kernelTxA, kernelRxB };
    }
  }
}

interface Counts {
  /** Upload (A → B): segments the bridge read from TUN a, and packets A's kernel sent into it. */
  readFromA: number;
  kernelSentA: number;
  /** The same segments written into TUN b, and the packets B's kernel counted. */
  writtenToB: number;
  kernelGotB: number;
}

async function transfers(t: import('ava').ExecutionContext, br: Bridge): Promise<Counts> {
  const server = br.b.spawn(process.execPath, [HTTP_ECHO, '--listen', '10.41.0.2:8080', '--listen', '[fd41::2]:8080']);
  try {
    await new Promise<void>((resolve, reject) => {
      server.stdout!.on('data', (d: Buffer) => { if (d.toString().includes('listening')) resolve(); });
      server.on('exit', () => reject(new Error('http-echo exited')));
    });
    const c0 = await snapshot(br);
    const bad0 = (await badPackets(br.a)) + (await badPackets(br.b));
    const n = 16 * 1024 * 1024;
    const work = join(tmpdir(), `tun-offload-${process.pid}-${br.tunB}`);
    const body = randomBytes(n);
    writeFileSync(work, body);
    try {
      for (const host of ['10.41.0.2', '[fd41::2]']) {
        // B → A: the download is written into TUN "a" (A's kernel receives it).
        const d = await download(br.a, `http://${host}:8080/bytes?n=${n}`, tmpdir());
        t.is(d.sha256, labBytesSha256(n), `download from ${host}`);
        // A → B: the upload is written into TUN "b".
        const r = await br.a.exec('curl', ['-sS', '--noproxy', '*', '-m', '60', '--data-binary', `@${work}`, `http://${host}:8080/up`], { timeoutMs: 70_000 });
        t.is(r.stdout.trim(), `${createHash('sha256').update(body).digest('hex')} ${n}`, `upload to ${host}`);
      }
    } finally {
      rmSync(work, { force: true });
    }
    // Every segment we cut and every packet we coalesced passed the receiving kernel's checks.
    t.is((await badPackets(br.a)) + (await badPackets(br.b)) - bad0, 0, 'no packet dropped for a bad checksum or header');
    const c1 = await snapshot(br);
    return {
      readFromA: c1.readA - c0.readA,
      kernelSentA: c1.kernelTxA - c0.kernelTxA,
      writtenToB: c1.wroteB - c0.wroteB,
      kernelGotB: c1.kernelRxB - c0.kernelRxB,
    };
  } finally {
    server.kill();
  }
}

test.serial('offload on: 16 MB each way over IPv4 and IPv6 arrive intact; read as TSO packets and written as GSO packets', async (t) => {
  const br = await bridge(true, 'on');
  const s = await br.child.request({ cmd: 'stats' });
  t.true(s.a.offload && s.b.offload && s.a.tso && s.b.tso, 'the kernel took the virtio header and TSO');
  const c = await transfers(t, br);
  t.log(`upload: A's kernel sent ${c.kernelSentA} packets, cut into ${c.readFromA} segments; written as ${c.kernelGotB} packets into B's kernel`);
  t.true(c.readFromA > 10_000);
  t.true(c.kernelSentA * 4 < c.readFromA, 'read as TSO packets');
  t.is(c.writtenToB, c.readFromA);
  t.true(c.kernelGotB * 4 < c.writtenToB, 'written coalesced');
  const after = await br.child.request({ cmd: 'stats' });
  t.true(after.a.rxCoalesced > c.readFromA / 2, `rxCoalesced counts the segments cut from TSO packets (${after.a.rxCoalesced})`);
  await stop(br);
});

test.serial('TSO refused (the first fallback): whole packets read, coalesced writes; the same transfers', async (t) => {
  const br = await bridge(true, 'nt', false);
  const s = await br.child.request({ cmd: 'stats' });
  t.true(s.a.offload && !s.a.tso);
  const c = await transfers(t, br);
  t.true(c.readFromA > 10_000);
  t.is(c.kernelSentA, c.readFromA, 'one packet per read');
  t.true(c.kernelGotB * 4 < c.writtenToB, 'written coalesced');
  t.is((await br.child.request({ cmd: 'stats' })).a.rxCoalesced, 0, 'nothing was cut');
  await stop(br);
});

test.serial('offload off (the second fallback): the same transfers, one packet per read and per write', async (t) => {
  const br = await bridge(false, 'off');
  const s = await br.child.request({ cmd: 'stats' });
  t.false(s.a.offload || s.b.offload || s.a.tso);
  const c = await transfers(t, br);
  t.true(c.readFromA > 10_000);
  t.is(c.kernelSentA, c.readFromA);
  t.is(c.kernelGotB, c.writtenToB);
  await stop(br);
});

test.serial('a segment with a bad checksum is never merged: the kernel gets it alone and drops it', async (t) => {
  const br = await bridge(true, 'ck');
  // Three in-order data segments of one flow from A to B (nobody listens: the kernel answers a good one with a RST).
  const segs = (seq0: number, port: number) => [0, 1, 2].map((i) =>
    seg({ seq: seq0 + i * 1000, ack: 1, flags: F.ACK, payload: new Uint8Array(1000).fill(i), src: A, dst: B, sport: port, dport: 9 }));
  const csumErrors = async () => Number(/TcpInCsumErrors\s+(\d+)/.exec((await br.b.exec('nstat', ['-az', 'TcpInCsumErrors'])).stdout)?.[1] ?? NaN);
  // Packets B's kernel got from this write: what it counted, less the kernels' own chatter the bridge moved
  // meanwhile (never TCP, so one kernel packet each).
  const write = async (packets: Uint8Array[]) => {
    const c0 = await snapshot(br);
    const r = await br.child.request({ cmd: 'write', to: 'b', hex: packets.map((p) => Buffer.from(p).toString('hex')) });
    t.is(r.written, packets.length);
    const c1 = await snapshot(br);
    return (c1.kernelRxB - c0.kernelRxB) - (c1.wroteB - c0.wroteB - r.written);
  };
  t.is(await write(segs(1000, 40001)), 1, 'three good segments: one packet');
  const bad = segs(50_000, 40002);
  bad[1]![60] ^= 0xff;  // a payload byte: the TCP checksum no longer holds
  const e0 = await csumErrors();
  t.is(await write(bad), 3, 'with a bad one in the middle: three packets');
  t.is(await csumErrors(), e0 + 1, 'and the kernel dropped the bad one for its checksum');
  await stop(br);
});

// What the exit gateway (or anyone behind it) sends reaches the coalescing writer: garbage, every truncation of
// a run of valid segments, each header byte of them altered, lengths that lie. Nothing may crash or hang, and
// the bridge answers afterwards.
test.serial('hostile packets written with offload: truncations, altered headers, lying lengths, random bytes', async (t) => {
  const br = await bridge(true, 'fz');
  const run = [0, 1, 2, 3].map((i) => seg({ seq: 7000 + i * 500, ack: 1, flags: F.ACK, payload: new Uint8Array(500).fill(i), src: A, dst: B, sport: 40100, dport: 9 }));
  const batches: Uint8Array[][] = [];
  for (let cut = 1; cut < run[0]!.length; cut += 7) batches.push([run[0]!, run[1]!.subarray(0, cut), run[2]!, run[3]!]);
  for (let at = 0; at < 60; at++) {
    for (const x of [0x01, 0x80, 0xff]) {
      const bad = run.map((p) => Uint8Array.from(p));
      bad[1]![at] ^= x;
      batches.push(bad);
    }
  }
  for (let i = 0; i < 200; i++) batches.push(Array.from({ length: 8 }, () => randomBytes(1 + Math.floor(Math.random() * 1500))));
  let written = 0;
  for (let i = 0; i < batches.length; i += 50) {
    const hex = batches.slice(i, i + 50).flat().map((p) => Buffer.from(p).toString('hex'));
    const r = await br.child.request({ cmd: 'write', to: 'b', hex });
    t.is(typeof r.written, 'number');
    t.is(r.accounted, hex.length, 'every packet of the call written, dropped or failed');
    written += r.written;
  }
  t.true(written > 0);
  t.is((await stop(br)).code, 0);
});
