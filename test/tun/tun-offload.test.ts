// TUN offload (IFF_VNET_HDR, coalesced writes): two TUNs bridged by our addon, one in each of two namespaces,
// with the kernel's own TCP on both sides. With offload, consecutive segments of a flow are written as one GSO
// packet, so the receiving kernel counts far fewer packets than were bridged; the bytes must arrive intact
// either way (IPv4 and IPv6, both directions). The fallback (offload off) is the same test with one write per
// packet. A segment with a bad checksum is never merged: the kernel gets it alone and drops it.
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

const HTTP_ECHO = new URL('../../tools/lab/http-echo.js', import.meta.url).pathname;

interface Bridge {
  a: Netns;
  b: Netns;
  child: JsonLinesChild;
  tunB: string;
}

async function bridge(offload: boolean, tag: string): Promise<Bridge> {
  const a = await lab.namespace();
  const b = await lab.namespace();
  const names = { a: `ta${tag}`, b: `tb${tag}` };
  const child = startFixture(a, 'tun-bridge', [JSON.stringify({ ...names, offload })]);
  await child.next((m) => m.type === 'ready', 15_000);
  await a.ip(['link', 'set', names.b, 'netns', b.name]);
  for (const [ns, dev, v4, v6] of [[a, names.a, '10.41.0.1/24', 'fd41::1/64'], [b, names.b, '10.41.0.2/24', 'fd41::2/64']] as const) {
    await ns.ip(['addr', 'add', v4, 'dev', dev]);
    await ns.ip(['-6', 'addr', 'add', v6, 'dev', dev, 'nodad']);
    await ns.ip(['link', 'set', dev, 'mtu', '1400', 'up']);
  }
  return { a, b, child, tunB: names.b };
}

/** Packets the kernel in ns received from a TUN (what we wrote, as the kernel counts it). */
async function kernelRx(ns: Netns, dev: string): Promise<number> {
  const r = await ns.exec('cat', [`/sys/class/net/${dev}/statistics/rx_packets`]);
  return Number(r.stdout.trim());
}

async function transfers(t: import('ava').ExecutionContext, br: Bridge): Promise<{ bridged: number; kernel: number }> {
  const server = br.b.spawn(process.execPath, [HTTP_ECHO, '--listen', '10.41.0.2:8080', '--listen', '[fd41::2]:8080']);
  try {
    await new Promise<void>((resolve, reject) => {
      server.stdout!.on('data', (d: Buffer) => { if (d.toString().includes('listening')) resolve(); });
      server.on('exit', () => reject(new Error('http-echo exited')));
    });
    const rx0 = await kernelRx(br.b, br.tunB);
    const s0 = (await br.child.request({ cmd: 'stats' })).b;
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
    const s1 = (await br.child.request({ cmd: 'stats' })).b;
    return { bridged: s1.txPackets - s0.txPackets, kernel: (await kernelRx(br.b, br.tunB)) - rx0 };
  } finally {
    server.kill();
  }
}

test.serial('offload on: 16 MB each way over IPv4 and IPv6 arrive intact, written as far fewer GSO packets', async (t) => {
  const br = await bridge(true, 'on');
  const s = await br.child.request({ cmd: 'stats' });
  t.true(s.a.offload && s.b.offload, 'the kernel took the virtio header');
  const { bridged, kernel } = await transfers(t, br);
  t.log(`into TUN b: ${bridged} segments bridged, ${kernel} packets as the kernel counts them`);
  t.true(bridged > 20_000);
  t.true(kernel * 4 < bridged, `coalesced: ${kernel} kernel packets for ${bridged} segments`);
  br.child.child.stdin!.end();
  await br.child.exited();
});

test.serial('offload off (the fallback): the same transfers, one packet per write', async (t) => {
  const br = await bridge(false, 'off');
  const s = await br.child.request({ cmd: 'stats' });
  t.false(s.a.offload || s.b.offload);
  const { bridged, kernel } = await transfers(t, br);
  t.true(bridged > 20_000);
  t.is(kernel, bridged);
  br.child.child.stdin!.end();
  await br.child.exited();
});

test.serial('a segment with a bad checksum is never merged: the kernel gets it alone and drops it', async (t) => {
  const br = await bridge(true, 'ck');
  const A = Uint8Array.of(10, 41, 0, 1);
  const B = Uint8Array.of(10, 41, 0, 2);
  // Three in-order data segments of one flow from A to B (nobody listens: the kernel answers a good one with a RST).
  const segs = (seq0: number, port: number) => [0, 1, 2].map((i) =>
    seg({ seq: seq0 + i * 1000, ack: 1, flags: F.ACK, payload: new Uint8Array(1000).fill(i), src: A, dst: B, sport: port, dport: 9 }));
  const csumErrors = async () => Number(/TcpInCsumErrors\s+(\d+)/.exec((await br.b.exec('nstat', ['-az', 'TcpInCsumErrors'])).stdout)?.[1] ?? NaN);
  const write = async (packets: Uint8Array[]) => {
    const rx0 = await kernelRx(br.b, br.tunB);
    const r = await br.child.request({ cmd: 'write', to: 'b', hex: packets.map((p) => Buffer.from(p).toString('hex')) });
    t.is(r.written, packets.length);
    return (await kernelRx(br.b, br.tunB)) - rx0;
  };
  t.is(await write(segs(1000, 40001)), 1, 'three good segments: one packet');
  const bad = segs(50_000, 40002);
  bad[1]![60] ^= 0xff;  // a payload byte: the TCP checksum no longer holds
  const e0 = await csumErrors();
  t.is(await write(bad), 3, 'with a bad one in the middle: three packets');
  t.is(await csumErrors(), e0 + 1, 'and the kernel dropped the bad one for its checksum');
  br.child.child.stdin!.end();
  await br.child.exited();
});
