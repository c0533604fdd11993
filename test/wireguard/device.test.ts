// The device end to end on an in-memory network with a manual clock: handshake on first packet,
// both directions, IPv4 and IPv6, source checks, rekey, keepalives, cookies under load, roaming.
import test from 'ava';
import { MESSAGE_KEEPALIVE_SIZE } from '../../src/wireguard/constants.js';
import { formatStatus } from '../../src/wireguard/status.js';
import { ipv4Packet, ipv6Packet, makePair } from './helpers.js';
import { nativeCryptoBackend } from '../../src/native/aead.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

test('first packet triggers a handshake; packets arrive byte-exact both ways (IPv4 and IPv6, PSK)', async (t) => {
  const p = await makePair({ psk: true });
  const out4 = ipv4Packet('10.0.0.1', '10.0.0.2', 1000);
  const out6 = ipv6Packet('fd00::1', 'fd00::2', 333);
  p.a.sendPackets([out4, out6]);
  p.net.pump();
  t.deepEqual(p.gotB.map(hex), [hex(out4), hex(out6)]);
  t.is(p.a.counters.handshakeInitiationsSent, 1);
  t.is(p.b.counters.handshakeInitiationsReceived, 1);
  t.is(p.ba.endpoint?.port, p.a.listenPort); // learnt from the initiation
  const back = ipv4Packet('10.0.0.2', '10.0.0.1', 1);
  p.b.sendPackets([back]);
  p.net.pump();
  t.deepEqual(p.gotA.map(hex), [hex(back)]);
  t.true(p.ab.stats.lastHandshake > 0);
  t.true(p.ba.stats.lastHandshake > 0); // responder completes on the first data packet
  const s = p.a.status();
  t.is(s.peers.length, 1);
  t.deepEqual(s.peers[0]!.allowedIps, ['10.0.0.2/32', 'fd00::2/128']);
  t.true(s.peers[0]!.rxBytes > 0 && s.peers[0]!.txBytes > 0);
  t.regex(formatStatus(s, 'wg0', s.peers[0]!.latestHandshake + 5), /latest handshake: 5 seconds ago/);
  await p.close();
});

test('headroom: outgoing transport messages leave free bytes in front, in the same buffer', async (t) => {
  const p = await makePair({ a: { headroom: 28 } });
  p.net.record = true;
  p.a.sendPackets([ipv4Packet('10.0.0.1', '10.0.0.2', 100)]);
  p.net.pump();
  const data = p.net.wire.filter((w) => w.from.port === p.a.listenPort && w.data[0] === 4);
  t.true(data.length >= 1);
  for (const d of data) {
    t.true(d.data.byteOffset >= 28);
    t.true(d.data.buffer.byteLength >= d.data.byteOffset + d.data.length);
  }
  t.is(p.gotB.length, 1);
  await p.close();
});

// The kernel binds' contract (sendDoneOnReturn, receiveInPlace): datagrams are built in the device's one reused
// buffer and decrypted where they lie. The scratch bind copies on send and poisons what it delivered once the
// handler returns, so anything the device kept past a call would arrive corrupted.
test('reused output buffer and in-place decryption: 300 full-size packets each way (more than the buffer holds) arrive byte-exact', async (t) => {
  const crypto = nativeCryptoBackend();
  const gotA: Uint8Array[] = [];
  const gotB: Uint8Array[] = [];
  const keep = (into: Uint8Array[]) => (ps: Uint8Array[]) => { for (const x of ps) into.push(Uint8Array.from(x)); };
  const p = await makePair({ scratch: true, a: { crypto, headroom: 28, onPackets: keep(gotA) }, b: { crypto, onPackets: keep(gotB) } });
  const packets = (src: string, dst: string) => Array.from({ length: 300 }, (_, i) => ipv4Packet(src, dst, new Uint8Array(1380).fill(i & 0xff)));
  // The handshake first: before it, at most 128 packets wait (staged copies), as in wireguard-go.
  p.a.sendPackets([ipv4Packet('10.0.0.1', '10.0.0.2', 10)]);
  p.net.pump();
  gotB.length = 0;
  const ab = packets('10.0.0.1', '10.0.0.2');
  p.a.sendPackets(ab);
  p.net.pump();
  t.is(gotB.length, 300);
  t.true(gotB.every((x, i) => hex(x) === hex(ab[i]!)), 'A to B byte-exact, in order');
  const ba = packets('10.0.0.2', '10.0.0.1');
  p.b.sendPackets(ba);
  p.net.pump();
  t.is(gotA.length, 300);
  t.true(gotA.every((x, i) => hex(x) === hex(ba[i]!)), 'B to A byte-exact, in order');
  // A datagram altered on the way fails where it lies; the ones around it still arrive.
  let n = 0;
  p.net.filter = (_from, _to, data) => {
    if (data[0] === 4 && n++ === 1) data[100] ^= 1;
    return false;
  };
  p.a.sendPackets(ab.slice(0, 3));
  p.net.pump();
  t.is(p.b.counters.droppedBadAuth, 1);
  t.is(gotB.length, 302);
  t.is(hex(gotB[301]!), hex(ab[2]!));
  t.is(p.a.counters.droppedBadAuth + p.b.counters.droppedInternalError + p.a.counters.droppedInternalError, 0);
  await p.close();
});

test('no route, wrong inner source and garbage payloads are dropped and counted', async (t) => {
  const p = await makePair();
  p.a.sendPackets([ipv4Packet('10.0.0.1', '10.9.9.9', 10), new Uint8Array(3)]);
  t.is(p.a.counters.droppedNoRoute, 2);
  // Inner source 10.0.0.77 is not in B's AllowedIPs for A.
  p.a.sendPackets([ipv4Packet('10.0.0.77', '10.0.0.2', 10), ipv4Packet('10.0.0.1', '10.0.0.2', 10)]);
  p.net.pump();
  t.is(p.gotB.length, 1);
  t.is(p.b.counters.droppedSourceNotAllowed, 1);
  await p.close();
});

test('replayed transport datagrams are dropped', async (t) => {
  const p = await makePair();
  p.net.record = true;
  p.a.sendPackets([ipv4Packet('10.0.0.1', '10.0.0.2', 10)]);
  p.net.pump();
  const data = p.net.wire.filter((w) => w.data[0] === 4 && w.data.length > 32);
  t.is(data.length, 1);
  p.b.receiveDatagrams([{ data: data[0]!.data, endpoint: data[0]!.from }]);
  t.is(p.b.counters.droppedReplay, 1);
  t.is(p.gotB.length, 1);
  await p.close();
});

test('rekey after RekeyAfterTime (shortened) keeps traffic flowing without loss', async (t) => {
  const timers = { rekeyAfterTime: 2000, rejectAfterTime: 3000, keepaliveTimeout: 500, rekeyTimeout: 200 };
  const p = await makePair({ a: { timers }, b: { timers } });
  let sent = 0;
  for (let i = 0; i < 100; i++) {
    p.a.sendPackets([ipv4Packet('10.0.0.1', '10.0.0.2', 100 + i)]);
    p.b.sendPackets([ipv4Packet('10.0.0.2', '10.0.0.1', 50)]);
    sent++;
    p.step(100); // 10 s in total: five keypair lifetimes
  }
  t.is(p.gotB.length, sent);
  t.true(p.gotA.length >= sent - 1);
  t.true(p.ab.stats.handshakesCompleted >= 4, `${p.ab.stats.handshakesCompleted} handshakes`);
  t.true(p.ab.stats.rekeys >= 3);
  t.is(p.b.counters.droppedExpired + p.b.counters.droppedUnknownIndex, 0);
  await p.close();
});

test('keepalive: 10 s after receiving data with nothing to send, a 32-byte datagram goes out', async (t) => {
  const p = await makePair();
  p.a.sendPackets([ipv4Packet('10.0.0.1', '10.0.0.2', 10)]);
  p.net.pump();
  p.net.record = true;
  for (let i = 0; i < 110; i++) p.step(100);
  const fromB = p.net.wire.filter((w) => w.from.port === p.b.listenPort);
  t.is(fromB.length, 1);
  t.is(fromB[0]!.data.length, MESSAGE_KEEPALIVE_SIZE);
  t.is(p.a.counters.keepalivesReceived, 1); // the staged packet, not a keepalive, confirmed the handshake
  await p.close();
});

test('persistent keepalive every N seconds', async (t) => {
  const p = await makePair();
  p.a.removePeer(p.ab.publicKey);
  const peer = p.a.addPeer({ publicKey: p.b.publicKey, endpoint: `192.0.2.2:${p.b.listenPort}`, allowedIps: ['10.0.0.2/32'], persistentKeepalive: 5 });
  p.net.pump();
  p.net.record = true;
  for (let i = 0; i < 210; i++) p.step(100);
  const keepalives = p.net.wire.filter((w) => w.from.port === p.a.listenPort && w.data.length === 32);
  t.true(keepalives.length >= 4 && keepalives.length <= 5, `${keepalives.length}`);
  t.is(peer.persistentKeepalive, 5);
  await p.close();
});

test('under load: initiation answered with a cookie reply, the retry carries mac2 and completes', async (t) => {
  const p = await makePair({ b: { underLoad: 'always' } });
  p.a.sendPackets([ipv4Packet('10.0.0.1', '10.0.0.2', 10)]);
  p.net.pump();
  t.is(p.b.counters.cookieRepliesSent, 1);
  t.is(p.a.counters.cookieRepliesReceived, 1);
  t.is(p.gotB.length, 0);
  t.true(p.ab.cookies.hasCookie(p.clock.now()));
  for (let i = 0; i < 60 && p.gotB.length === 0; i++) p.step(100); // retransmit after RekeyTimeout
  t.is(p.gotB.length, 1);
  t.is(p.b.counters.cookieRepliesSent, 1);
  await p.close();
});

test('handshake retries give up after 20 initiations when nobody answers', async (t) => {
  const p = await makePair();
  p.net.filter = () => true; // black hole
  p.a.sendPackets([ipv4Packet('10.0.0.1', '10.0.0.2', 10)]);
  for (let i = 0; i < 1300; i++) p.step(100); // 130 s
  t.is(p.a.counters.handshakeInitiationsSent, 20);
  t.is(p.ab.staged.length, 0);
  await p.close();
});

test('initiations go out at most once per 20 ms, even with RekeyTimeout shortened to 0', async (t) => {
  const p = await makePair({ a: { timers: { rekeyTimeout: 0, jitterMax: 0 } } });
  p.net.filter = () => true; // nobody answers
  const sent: number[] = [];
  p.a.sendPackets([ipv4Packet('10.0.0.1', '10.0.0.2', 10)]);
  for (let now = 0; now < 200; now++) {
    const before = p.a.counters.handshakeInitiationsSent;
    p.a.connect(p.ab); // asks for a new handshake every millisecond
    p.step(1);
    if (p.a.counters.handshakeInitiationsSent > before) sent.push(now);
  }
  t.true(sent.length >= 9 && sent.length <= 11, `${sent.length} initiations in 200 ms`);
  for (let i = 1; i < sent.length; i++) t.true(sent[i]! - sent[i - 1]! >= 20);
  await p.close();
});

test('roaming: the endpoint follows authenticated packets only', async (t) => {
  const p = await makePair();
  p.a.sendPackets([ipv4Packet('10.0.0.1', '10.0.0.2', 10)]);
  p.net.pump();
  p.net.record = true;
  p.a.sendPackets([ipv4Packet('10.0.0.1', '10.0.0.2', 10)]);
  const w = p.net.wire.at(-1)!;
  p.net.pump();
  const roamed = { address: '198.51.100.7', port: 1234, family: 4 as const };
  const forged = w.data.slice();
  forged[40]! ^= 1;
  p.b.receiveDatagrams([{ data: forged, endpoint: roamed }]);
  t.is(p.ba.endpoint?.address, '192.0.2.1');
  t.is(p.b.counters.droppedBadAuth, 1);
  // Re-encrypt a fresh packet and present it from a new address: the endpoint moves.
  p.net.wire.length = 0;
  p.a.sendPackets([ipv4Packet('10.0.0.1', '10.0.0.2', 11)]);
  const fresh = p.net.wire.at(-1)!;
  p.b.receiveDatagrams([{ data: fresh.data, endpoint: roamed }]);
  t.is(p.ba.endpoint?.address, '198.51.100.7');
  await p.close();
});

test('keys are zeroed after 3 × RejectAfterTime without a new handshake', async (t) => {
  const timers = { rejectAfterTime: 1000, rekeyAfterTime: 800, keepaliveTimeout: 100, rekeyTimeout: 100 };
  const p = await makePair({ a: { timers }, b: { timers } });
  p.a.sendPackets([ipv4Packet('10.0.0.1', '10.0.0.2', 10)]);
  p.net.pump();
  t.not(p.ab.keypairs.current, null);
  p.net.filter = () => true;
  for (let i = 0; i < 35; i++) p.step(100);
  t.is(p.ab.keypairs.current, null);
  t.is(p.ba.keypairs.current, null);
  await p.close();
});

for (const [kind, family] of [['dgram', 4], ['batch', 4], ['dgram', 6], ['batch', 6]] as const) {
  test(`two devices over real loopback UDP/IPv${family} (${kind} bind): 2000 packets in batches arrive intact and in order`, async (t) => {
    const { DgramBind } = await import('../../src/sockets/bind-dgram.js');
    const { UdpBatchBind } = await import('../../src/sockets/bind-udp-batch.js');
    const { Device } = await import('../../src/wireguard/device.js');
    const { generatePrivateKey } = await import('../../src/wireguard/keys.js');
    const loopback = family === 4 ? '127.0.0.1' : '::1';
    const mkBind = () => (kind === 'dgram' ? new DgramBind({ host4: '127.0.0.1', host6: '::1', ipv4Only: family === 4 }) : new UdpBatchBind({ address: loopback }));
    const got: Uint8Array[] = [];
    let done: () => void = () => {};
    const finished = new Promise<void>((r) => { done = r; });
    const a = new Device({ privateKey: generatePrivateKey(), bind: mkBind() });
    const b = new Device({ privateKey: generatePrivateKey(), bind: mkBind(), onPackets: (p) => { got.push(...p); if (got.length >= 2000) done(); } });
    await a.up();
    await b.up();
    try {
      a.addPeer({ publicKey: b.publicKey, endpoint: family === 4 ? `127.0.0.1:${b.listenPort}` : `[::1]:${b.listenPort}`, allowedIps: ['10.0.0.2/32'] });
      b.addPeer({ publicKey: a.publicKey, allowedIps: ['10.0.0.1/32'] });
      const packets = Array.from({ length: 2000 }, (_, i) => ipv4Packet('10.0.0.1', '10.0.0.2', new Uint8Array(4 + (i % 1300)).fill(i & 0xff)));
      a.sendPackets(packets.slice(0, 1)); // handshake first, then the rest in paced batches
      for (let i = 0; i < 100 && b.allPeers()[0]!.keypairs.current === null && got.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
      for (let i = 1; i < packets.length; i += 100) {
        a.sendPackets(packets.slice(i, i + 100));
        await new Promise((r) => setImmediate(r));
      }
      await Promise.race([finished, new Promise((r) => setTimeout(r, 10_000))]);
      t.is(got.length, 2000);
      t.true(got.every((p, i) => hex(p) === hex(packets[i]!)));
      t.is(b.allPeers()[0]!.endpoint?.family, family);
    } finally {
      await a.close();
      await b.close();
    }
  });
}
