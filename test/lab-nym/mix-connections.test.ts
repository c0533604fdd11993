// The lab gateway's mix connections over real TCP (tools/lab/nym-gateway/mix-{listener,forwarder}.ts): frames
// written by the forwarder in both encodings arrive whole and in order, a packet sent before the connection is
// up is queued and delivered, a corrupted stream is dropped by the listener (as nym-node ends a corrupted
// connection) while other connections go on, and a next hop nobody listens on is journaled.
import test from 'ava';
import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import type { FramedPacket } from '../../tools/lab/nym-gateway/framing.js';
import { LabMixForwarder } from '../../tools/lab/nym-gateway/mix-forwarder.js';
import { LabMixListener } from '../../tools/lab/nym-gateway/mix-listener.js';
import { PACKET_SIZES } from '../../tools/lab/nym-gateway/mix-packet.js';

function waitFor(cond: () => boolean, ms: number, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const tick = setInterval(() => {
      if (cond()) { clearInterval(tick); resolve(); } else if (Date.now() - started > ms) { clearInterval(tick); reject(new Error(`no ${what} within ${ms} ms`)); }
    }, 5);
  });
}

async function listener() {
  const frames: FramedPacket[] = [];
  const journal: string[] = [];
  const l = new LabMixListener({ host: '127.0.0.1', journal, onFrame: (f) => frames.push(f) });
  const address = await l.start();
  return { l, address, frames, journal };
}

test('frames in both encodings arrive whole and in order; packets sent before the connection is up are queued', async (t) => {
  const x = await listener();
  const journal: string[] = [];
  const legacy = new LabMixForwarder({ journal });
  const current = new LabMixForwarder({ journal, currentEncoding: true });
  t.teardown(async () => { await legacy.close(); await current.close(); await x.l.close(); });
  const packets = Array.from({ length: 5 }, (_, i) => new Uint8Array(randomBytes(i % 2 ? PACKET_SIZES.ack : PACKET_SIZES.regular)));
  for (const p of packets) legacy.send(x.address, { packet: p, packetType: 0, keyRotation: 2 });
  await waitFor(() => x.frames.length === 5, 3000, 'five frames');
  t.deepEqual(x.frames.map((f) => f.packet), packets);
  t.true(x.frames.every((f) => f.version === 7 && f.keyRotation === 0), 'legacy frames, as nym-node writes by default');
  current.send(x.address, { packet: packets[0]!, packetType: 0, keyRotation: 2 });
  await waitFor(() => x.frames.length === 6, 3000, 'the sixth frame');
  t.like(x.frames[5], { version: 8, keyRotation: 2, size: 'regular' });
  t.is(legacy.written.get(`${x.address.host}:${x.address.port}`), 5);
  t.deepEqual(journal, []);
});

test('a corrupted stream is dropped; a well-behaved connection keeps working; an unreachable next hop is journaled', async (t) => {
  const x = await listener();
  const journal: string[] = [];
  const f = new LabMixForwarder({ journal });
  t.teardown(async () => { await f.close(); await x.l.close(); });
  const bad = connect({ host: x.address.host, port: x.address.port });
  const closed = new Promise<void>((resolve) => bad.on('close', () => resolve()));
  bad.on('error', () => {});
  bad.write(Uint8Array.of(7, 9, 0));
  await closed;
  t.regex(x.journal.join('\n'), /corrupted: 9 is not a packet size tag/);
  f.send(x.address, { packet: new Uint8Array(PACKET_SIZES.ack), packetType: 0, keyRotation: 0 });
  await waitFor(() => x.frames.length === 1, 3000, 'a frame after the corrupted connection');
  const nobody = await listener();
  await nobody.l.close();
  f.send(nobody.address, { packet: new Uint8Array(PACKET_SIZES.ack), packetType: 0, keyRotation: 0 });
  await waitFor(() => journal.length === 1, 3000, 'the failed connection in the journal');
  t.regex(journal[0]!, new RegExp(`mix connection to 127\\.0\\.0\\.1:${nobody.address.port} failed: .*ECONNREFUSED.*\\(1 queued packets dropped\\)`));
});
