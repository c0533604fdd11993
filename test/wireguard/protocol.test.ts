// Byte-level tests of the pure protocol pieces: codecs, handshake, cookies, tai64n.
import test from 'ava';
import { backends, defaultBackend } from '../../src/wireguard/crypto/index.js';
import { CookieChecker, CookieGenerator } from '../../src/wireguard/cookie.js';
import { Handshake, HandshakeState, initialState, openInitiation } from '../../src/wireguard/handshake.js';
import { Keypair, Keypairs } from '../../src/wireguard/keypair.js';
import { generatePrivateKey, generatePresharedKey, publicKeyFromPrivate } from '../../src/wireguard/keys.js';
import {
  decodeCookieReply, decodeInitiation, decodeResponse, decodeTransport, encodeCookieReply, encodeInitiation,
  encodeResponse, messageType, paddedLength, writeTransportHeader,
} from '../../src/wireguard/messages.js';
import { MonotonicTai64n, tai64n, tai64nAfter } from '../../src/wireguard/tai64n.js';

const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const fill = (n: number, v: number): Uint8Array => new Uint8Array(n).fill(v);

function identity(): { privateKey: Uint8Array; publicKey: Uint8Array } {
  const privateKey = generatePrivateKey();
  return { privateKey, publicKey: publicKeyFromPrivate(privateKey) };
}

test('messages: initiation encodes to 148 bytes at the spec offsets and decodes back', (t) => {
  const m = { sender: 0x11223344, ephemeral: fill(32, 1), encryptedStatic: fill(48, 2), encryptedTimestamp: fill(28, 3), mac1: fill(16, 4), mac2: fill(16, 5) };
  const b = encodeInitiation(m);
  t.is(b.length, 148);
  t.is(toHex(b.subarray(0, 8)), '0100000044332211');
  t.is(b[8], 1); t.is(b[40], 2); t.is(b[88], 3); t.is(b[116], 4); t.is(b[132], 5); t.is(b[147], 5);
  const d = decodeInitiation(b)!;
  t.is(d.sender, 0x11223344);
  t.deepEqual([d.ephemeral, d.encryptedStatic, d.encryptedTimestamp, d.mac1, d.mac2].map(toHex),
    [m.ephemeral, m.encryptedStatic, m.encryptedTimestamp, m.mac1, m.mac2].map(toHex));
  t.throws(() => encodeInitiation({ ...m, ephemeral: fill(31, 0) }), { message: /ephemeral/ });
});

test('messages: response is 92 bytes, cookie reply 64, transport header 16', (t) => {
  const r = encodeResponse({ sender: 1, receiver: 0xfffffffe, ephemeral: fill(32, 7), encryptedNothing: fill(16, 8), mac1: fill(16, 9), mac2: fill(16, 10) });
  t.is(r.length, 92);
  t.is(toHex(r.subarray(0, 12)), '0200000001000000feffffff');
  t.is(r[12], 7); t.is(r[44], 8); t.is(r[60], 9); t.is(r[76], 10);
  t.like(decodeResponse(r), { sender: 1, receiver: 0xfffffffe });
  const c = encodeCookieReply({ receiver: 5, nonce: fill(24, 1), encryptedCookie: fill(32, 2) });
  t.is(c.length, 64);
  t.is(toHex(c.subarray(0, 8)), '0300000005000000');
  t.is(c[8], 1); t.is(c[32], 2);
  t.like(decodeCookieReply(c), { receiver: 5 });
  const tr = new Uint8Array(32);
  writeTransportHeader(tr, 0xabcdef01, 2 ** 40 + 3);
  t.is(toHex(tr.subarray(0, 16)), '0400000001efcdab0300000000010000');
  t.like(decodeTransport(tr), { receiver: 0xabcdef01, counter: 2 ** 40 + 3 });
});

test('messages: every wrong size, type and reserved byte is rejected', (t) => {
  const valid: Record<number, number> = { 1: 148, 2: 92, 3: 64, 4: 32 };
  for (const [type, size] of Object.entries(valid).map(([a, b]) => [Number(a), b] as const)) {
    const b = new Uint8Array(size);
    b[0] = type;
    t.is(messageType(b), type);
    for (const n of [0, 3, 4, size - 1, size + 1]) {
      const s = new Uint8Array(n);
      if (n > 0) s[0] = type;
      t.is(messageType(s), type === 4 && n > size ? 4 : 0, `type ${type} size ${n}`);
    }
    for (const i of [1, 2, 3]) {
      const r = b.slice();
      r[i] = 1;
      t.is(messageType(r), 0);
    }
  }
  for (const type of [0, 5, 255]) t.is(messageType(Uint8Array.of(type, 0, 0, 0, ...new Array(60).fill(0))), 0);
  t.is(messageType(new Uint8Array(70000)), 0);
  t.is(decodeInitiation(new Uint8Array(92)), null);
  const huge = new Uint8Array(48);
  huge[0] = 4;
  huge.fill(0xff, 8, 16); // counter ≥ 2^53: not representable, dropped
  t.is(decodeTransport(huge), null);
});

test('messages: padding to 16 never exceeds the MTU', (t) => {
  t.is(paddedLength(0, 1420), 0);
  t.is(paddedLength(1, 1420), 16);
  t.is(paddedLength(16, 1420), 16);
  t.is(paddedLength(1419, 1420), 1420);
  t.is(paddedLength(1420, 1420), 1420);
  t.is(paddedLength(1415, 1420), 1420);
  t.is(paddedLength(1400, 1410), 1408);
  t.is(paddedLength(1409, 1410), 1410);
  t.is(paddedLength(17, 0), 32);
});

test('tai64n: layout, ordering and the monotonic issuer', (t) => {
  const a = tai64n(1_700_000_000_123);
  t.is(toHex(a.subarray(0, 8)), (2n ** 62n + 10n + 1_700_000_000n).toString(16).padStart(16, '0'));
  t.is(new DataView(a.buffer).getUint32(8) % 0x1000000, 0); // whitened
  t.true(tai64nAfter(tai64n(1_700_000_001_000), a));
  t.false(tai64nAfter(a, a));
  const m = new MonotonicTai64n();
  const x = m.next(1_700_000_000_000);
  const y = m.next(1_700_000_000_001); // same whitened slot: still strictly later
  const z = m.next(1_600_000_000_000); // clock stepped back
  t.true(tai64nAfter(y, x));
  t.true(tai64nAfter(z, y));
});

for (const c of backends) {
  test(`${c.name}: full handshake between our initiator and our responder, with PSK`, (t) => {
    const alice = identity();
    const bob = identity();
    const psk = generatePresharedKey();
    const ha = new Handshake(c, alice, bob.publicKey, psk);
    const hb = new Handshake(c, bob, alice.publicKey, psk);
    const init = ha.createInitiation(0x1111, tai64n(Date.now()))!;
    t.is(init.length, 148);
    t.is(ha.state, HandshakeState.InitiationCreated);
    const opened = openInitiation(c, bob, init)!;
    t.deepEqual(new Uint8Array(opened.peerPublicKey), alice.publicKey);
    t.is(opened.sender, 0x1111);
    t.true(hb.consumeInitiation(opened, 1000));
    const resp = hb.createResponse(0x2222)!;
    t.is(resp.length, 92);
    t.true(ha.consumeResponse(resp));
    const ka = ha.deriveKeys()!;
    const kb = hb.deriveKeys()!;
    t.true(ka.isInitiator);
    t.false(kb.isInitiator);
    t.is(toHex(ka.sendKey), toHex(kb.receiveKey));
    t.is(toHex(ka.receiveKey), toHex(kb.sendKey));
    t.not(toHex(ka.sendKey), toHex(ka.receiveKey));
    t.deepEqual([ka.localIndex, ka.remoteIndex, kb.localIndex, kb.remoteIndex], [0x1111, 0x2222, 0x2222, 0x1111]);
    t.is(ha.state, HandshakeState.Zeroed);
    // transport both ways with the derived keys
    const A = new Keypair(c, ka, 0);
    const B = new Keypair(c, kb, 0);
    const nonce = new Uint8Array(12);
    const out = new Uint8Array(64);
    const n = A.send.seal(nonce, new TextEncoder().encode('hello'), 11, out, 0);
    t.is(new TextDecoder().decode(B.receive.open(nonce, out.subarray(0, n))!.subarray(0, 5)), 'hello');
  });
}

test('handshake: wrong PSK, replayed and flooding initiations, and foreign responses fail without state change', (t) => {
  const c = defaultBackend;
  const alice = identity();
  const bob = identity();
  const ha = new Handshake(c, alice, bob.publicKey, generatePresharedKey());
  const hb = new Handshake(c, bob, alice.publicKey, generatePresharedKey());
  const init = ha.createInitiation(7, tai64n(1_700_000_000_000))!;
  t.true(hb.consumeInitiation(openInitiation(c, bob, init)!, 1000));
  // Same initiation again: timestamp not newer → replay.
  t.false(hb.consumeInitiation(openInitiation(c, bob, init)!, 5000));
  // Newer timestamp but within 20 ms of the last accepted one → flood.
  const init2 = ha.createInitiation(8, tai64n(1_700_000_001_000))!;
  t.false(hb.consumeInitiation(openInitiation(c, bob, init2)!, 1010));
  t.true(hb.consumeInitiation(openInitiation(c, bob, init2)!, 1021));
  const resp = hb.createResponse(9)!;
  t.false(ha.consumeResponse(resp)); // PSKs differ: the empty payload does not open
  t.is(ha.state, HandshakeState.InitiationCreated);
  // An initiation for someone else does not open at all.
  const carol = identity();
  t.is(openInitiation(c, carol, init2), null);
  // Any flipped bit in the encrypted parts breaks it.
  for (const i of [8, 40, 60, 88, 100]) {
    const bad = init2.slice();
    bad[i]! ^= 1;
    const o = openInitiation(c, bob, bad);
    t.true(o === null || !new Handshake(c, bob, alice.publicKey).consumeInitiation(o, 0));
  }
  t.is(initialState(c).chainKey.length, 32);
});

test('cookies: mac1/mac2 generation, checking and a cookie reply (wireguard-go cookie_test.go behaviour)', (t) => {
  const c = defaultBackend;
  const bob = identity();
  const generator = new CookieGenerator(c, bob.publicKey);
  const checker = new CookieChecker(c, bob.publicKey);
  const src = Uint8Array.of(192, 168, 13, 37, 10, 10, 10);
  const now = 50_000;
  const msgs = [148, 92, 64, 32].map((n) => new Uint8Array(Buffer.alloc(n, n)));
  for (const msg of msgs) {
    generator.addMacs(msg, now);
    t.true(checker.checkMac1(msg));
    t.false(checker.checkMac2(msg, src, now));
  }
  const first = new Uint8Array(148).fill(0x6d);
  generator.addMacs(first, now);
  const reply = checker.createReply(first, 1377, src, now);
  t.is(reply.length, 64);
  t.is(messageType(reply), 3);
  t.true(generator.consumeReply(reply, now));
  for (const msg of [new Uint8Array(64).fill(3), new Uint8Array(148).fill(0x0e)]) {
    generator.addMacs(msg, now);
    t.true(checker.checkMac1(msg));
    t.true(checker.checkMac2(msg, src, now));
    msg[5]! ^= 0x20;
    t.false(checker.checkMac1(msg));
    t.false(checker.checkMac2(msg, src, now));
    msg[5]! ^= 0x20;
    t.false(checker.checkMac2(msg, Uint8Array.of(192, 168, 13, 37, 40, 1), now));
    t.false(checker.checkMac2(msg, Uint8Array.of(192, 168, 13, 38, 40, 1), now));
    t.false(checker.checkMac2(msg, src, now + 120_001)); // secret expired
  }
  // After CookieRefreshTime the generator stops using the cookie (mac2 all zeros).
  const late = new Uint8Array(92);
  generator.addMacs(late, now + 120_001);
  t.is(toHex(late.subarray(76)), '0'.repeat(32));
  // A reply that does not answer our last mac1 is refused.
  const other = new CookieGenerator(c, bob.publicKey);
  t.false(other.consumeReply(reply, now));
  const tampered = reply.slice();
  tampered[40]! ^= 1;
  t.false(generator.consumeReply(tampered, now));
});

test('keypairs: initiator and responder rotation as in wireguard-go', (t) => {
  const c = defaultBackend;
  const mk = (isInitiator: boolean, i: number): Keypair =>
    new Keypair(c, { sendKey: fill(32, i), receiveKey: fill(32, i), isInitiator, localIndex: i, remoteIndex: i }, 0);
  const kps = new Keypairs();
  const a = mk(true, 1);
  t.deepEqual(kps.install(a), []);
  t.is(kps.current, a);
  const b = mk(false, 2);
  t.deepEqual(kps.install(b), []);
  t.is(kps.next, b);
  t.is(kps.previous, null);
  t.is(kps.current, a);
  t.deepEqual(kps.receivedWith(a), { promoted: false, dropped: null });
  t.deepEqual(kps.receivedWith(b), { promoted: true, dropped: null });
  t.is(kps.current, b);
  t.is(kps.previous, a);
  const d = mk(true, 3);
  t.deepEqual(kps.install(d), [a]);
  t.is(kps.previous, b);
  t.is(kps.current, d);
  t.is(kps.clear().length, 2);
});
