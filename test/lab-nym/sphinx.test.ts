// The lab gateway's Sphinx final hop (tools/lab/nym-gateway/sphinx.ts, lioness.ts, mix-packet.ts) against the
// real thing: packets the official nym-client-wasm 1.4.1 made (fixtures/nym-client-wasm-packets.ts), unwrapped
// with the lab gateway's sphinx key. A header MAC that verifies, a payload that LIONESS-decrypts to 16 zero
// bytes and a 0x01 marker, and a destination equal to the recipient's identity can only come out of a port that
// matches sphinx-packet 0.6.0 byte for byte (HKDF-SHA256 expansion, HMAC-SHA256/16, AES-128-CTR routing info,
// the version-259 payload key from its seed, LIONESS with ChaCha20 and keyed BLAKE2b).
import test from 'ava';
import { randomBytes } from 'node:crypto';
import { x25519 } from '@noble/curves/ed25519.js';
import { base58 } from '@scure/base';
import { lionessDecrypt, lionessEncrypt, LionessError } from '../../tools/lab/nym-gateway/lioness.js';
import { decodeNodeAddress, encodeNodeAddress, MixPacketError, PACKET_SIZES, parseMixPacket, plaintextSize } from '../../tools/lab/nym-gateway/mix-packet.js';
import {
  buildOneHopPacket, ENCRYPTED_ROUTING_INFO_SIZE, HEADER_SIZE, PAYLOAD_KEYS_SEEDS_VERSION, processFinalHop, recoverPlaintext, SphinxError,
  X25519_WITH_EXPLICIT_PAYLOAD_KEYS_VERSION,
} from '../../tools/lab/nym-gateway/sphinx.js';
import { SINGLE_FRAGMENT } from './fixtures/nym-client-wasm-packets.js';

const hex = (s: string) => Uint8Array.from(Buffer.from(s, 'hex'));
const toHex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const sphinxKey = hex(SINGLE_FRAGMENT.sphinxPrivate);
const wasmMixPacket = hex(SINGLE_FRAGMENT.packets[0]!);
const identityOf = (address: string) => base58.decode(address.split('.')[0]!);

test('sizes follow from the crate\'s constants: header 348 (alpha 32 + MAC 16 + beta 300), regular packet 2413 (2048 plaintext), ack 386', (t) => {
  // constants.rs: NODE_META_INFO_SIZE = 32 + 1 + 8 + 3; beta = (44 + 16) * MAX_PATH_LENGTH (5)
  t.is(ENCRYPTED_ROUTING_INFO_SIZE, 300);
  t.is(HEADER_SIZE, 348);
  // packet_sizes.rs: 2 KiB + header + payload overhead (16 zeros + the 0x01 marker); ack = IV 16 + id 5 + overhead
  t.deepEqual(PACKET_SIZES, { regular: 2413, ack: 386, extended8: 8557, extended16: 16749, extended32: 33133 });
  t.is(plaintextSize('regular'), 2048);
});

test('the WASM client\'s MixPacket v2: Sphinx, key rotation 0 (unknown), next hop 127.0.0.1:1789 = 04 06fd 7f000001, a regular packet', (t) => {
  t.is(toHex(wasmMixPacket.subarray(0, 9)), '0000' + '0406fd7f000001');
  const p = parseMixPacket(wasmMixPacket, 2);
  t.is(p.packetType, 0);
  t.is(p.keyRotation, 0);
  t.deepEqual(p.nextHop, { host: '127.0.0.1', port: 1789 });
  t.is(p.size, 'regular');
  t.is(p.packet.length, 2413);
  // nodes.rs as_bytes: ip version || port BE || octets
  t.is(toHex(encodeNodeAddress({ host: '127.0.0.1', port: 1789 })), '0406fd7f000001');
  t.deepEqual(decodeNodeAddress(hex('0406fd7f000001' + '00'.repeat(12))), { address: { host: '127.0.0.1', port: 1789 }, length: 7 });
});

test('the WASM client\'s packet unwraps as a final hop: version 259 (seeded payload keys, not the legacy 258), its recipient\'s identity as destination, a zero SURB id, 2048 bytes of plaintext', (t) => {
  const hop = processFinalHop(parseMixPacket(wasmMixPacket, 2).packet, sphinxKey);
  t.is(hop.version, PAYLOAD_KEYS_SEEDS_VERSION);
  t.deepEqual(hop.destination, identityOf(SINGLE_FRAGMENT.recipient));
  t.deepEqual(hop.surbIdentifier, new Uint8Array(16));
  t.is(hop.plaintext.length, 2048);
  // The plaintext starts with the SURB-ACK's first hop (this gateway) padded to 19 bytes.
  t.is(toHex(hop.plaintext.subarray(0, 19)), '0406fd7f000001' + '00'.repeat(12));
  t.is(hop.replayTag.length, 32);
});

test('the SURB-ACK inside is itself a one-hop packet for this gateway, addressed to the sending client, carrying IV + encrypted fragment id (21 bytes)', (t) => {
  const hop = processFinalHop(parseMixPacket(wasmMixPacket, 2).packet, sphinxKey);
  const ackPacket = hop.plaintext.subarray(19, 19 + PACKET_SIZES.ack);
  const ack = processFinalHop(ackPacket, sphinxKey);
  t.is(ack.version, PAYLOAD_KEYS_SEEDS_VERSION);
  t.deepEqual(ack.destination, identityOf(SINGLE_FRAGMENT.sender));
  t.is(ack.plaintext.length, 21);
});

test('unwrap time per packet (header + LIONESS payload), measured over 200 real packets', (t) => {
  const packet = parseMixPacket(wasmMixPacket, 2).packet;
  processFinalHop(packet, sphinxKey); // warm-up
  const n = 200;
  const started = process.hrtime.bigint();
  for (let i = 0; i < n; i++) processFinalHop(packet, sphinxKey);
  const perPacketUs = Number(process.hrtime.bigint() - started) / 1000 / n;
  t.log(`processFinalHop: ${perPacketUs.toFixed(0)} µs per 2413-byte packet (mean of ${n})`);
  t.true(perPacketUs < 20_000, 'well under the client\'s 1.5 s ack wait');
});

test('malformed packets are refused with a SphinxError naming why', (t) => {
  const packet = parseMixPacket(wasmMixPacket, 2).packet;
  const flip = (at: number) => { const c = packet.slice(); c[at] ^= 0x01; return c; };
  const macFailure = /failed its integrity MAC/;
  t.throws(() => processFinalHop(packet.subarray(0, 300), sphinxKey), { instanceOf: SphinxError, message: /at least 365 bytes/ });
  t.throws(() => processFinalHop(flip(32), sphinxKey), { instanceOf: SphinxError, message: macFailure }, 'a bit of the MAC');
  t.throws(() => processFinalHop(flip(100), sphinxKey), { instanceOf: SphinxError, message: macFailure }, 'a bit of the routing info');
  t.throws(() => processFinalHop(flip(0), sphinxKey), { instanceOf: SphinxError, message: macFailure }, 'a bit of alpha');
  t.throws(() => processFinalHop(packet, randomBytes(32)), { instanceOf: SphinxError, message: macFailure }, 'another gateway\'s key');
  t.throws(() => processFinalHop(flip(HEADER_SIZE + 500), sphinxKey), { instanceOf: SphinxError, message: /leading zero bytes are missing/ }, 'a bit of the payload');
  const lowOrder = packet.slice();
  lowOrder.fill(0, 0, 32);
  t.throws(() => processFinalHop(lowOrder, sphinxKey), { instanceOf: SphinxError, message: /unusable/ });
});

test('malformed MixPackets are refused with a MixPacketError', (t) => {
  t.throws(() => parseMixPacket(wasmMixPacket.subarray(0, 2000), 2), { instanceOf: MixPacketError, message: /not of a known packet size/ });
  t.throws(() => parseMixPacket(Uint8Array.of(0, 0), 2), { instanceOf: MixPacketError });
  const outfox = wasmMixPacket.slice(); outfox[0] = 2;
  t.throws(() => parseMixPacket(outfox, 2), { instanceOf: MixPacketError, message: /Outfox/ });
  const rotation = wasmMixPacket.slice(); rotation[1] = 3;
  t.throws(() => parseMixPacket(rotation, 2), { instanceOf: MixPacketError, message: /key rotation/ });
  const ipVersion = wasmMixPacket.slice(); ipVersion[2] = 5;
  t.throws(() => parseMixPacket(ipVersion, 2), { instanceOf: MixPacketError, message: /IP version/ });
});

test('a one-hop packet built by the lab unwraps again, in both versions the WASM can emit (259 seeds, 258 explicit keys)', (t) => {
  const node = randomBytes(32);
  const destination = randomBytes(32);
  const plaintext = randomBytes(700);
  for (const version of [PAYLOAD_KEYS_SEEDS_VERSION, X25519_WITH_EXPLICIT_PAYLOAD_KEYS_VERSION]) {
    const packet = buildOneHopPacket({ nodePublicKey: x25519.getPublicKey(node), destination, plaintext, payloadSize: 1000, version });
    t.is(packet.length, HEADER_SIZE + 1000);
    const hop = processFinalHop(packet, node);
    t.is(hop.version, version);
    t.deepEqual(hop.destination, Uint8Array.from(destination));
    t.deepEqual(hop.plaintext, Uint8Array.from(plaintext));
  }
  t.throws(() => processFinalHop(buildOneHopPacket({ nodePublicKey: x25519.getPublicKey(node), destination, plaintext, payloadSize: 1000, version: 257 }), node), { instanceOf: SphinxError, message: /version 257/ });
});

test('payload padding: 16 zeros, the plaintext, 0x01, zeros; anything else is refused', (t) => {
  t.deepEqual(recoverPlaintext(Uint8Array.of(...new Array(16).fill(0), 7, 1, 1, 0, 0)), Uint8Array.of(7, 1));
  t.throws(() => recoverPlaintext(Uint8Array.of(...new Array(16).fill(0), 7, 0)), { instanceOf: SphinxError, message: /no 0x01/ });
  t.throws(() => recoverPlaintext(Uint8Array.of(...new Array(16).fill(0), 7, 1, 0, 2)), { instanceOf: SphinxError, message: /non-zero bytes after/ });
});

test('LIONESS: decrypt undoes encrypt, every byte depends on every byte, and the key and block sizes are enforced', (t) => {
  const key = randomBytes(192);
  const block = randomBytes(2065);
  const c = Uint8Array.from(block);
  lionessEncrypt(key, c);
  t.notDeepEqual(c, Uint8Array.from(block));
  const flipped = Uint8Array.from(c);
  flipped[2000] ^= 1;
  lionessDecrypt(key, flipped);
  // a wide-block cipher: one flipped ciphertext bit scrambles the left half as well
  t.notDeepEqual(flipped.subarray(0, 16), Uint8Array.from(block).subarray(0, 16));
  lionessDecrypt(key, c);
  t.deepEqual(c, Uint8Array.from(block));
  t.throws(() => lionessEncrypt(randomBytes(191), randomBytes(100)), { instanceOf: LionessError });
  t.throws(() => lionessEncrypt(key, randomBytes(32)), { instanceOf: LionessError });
});
