// What the lab reads out of a final hop's plaintext and what it sends back (tools/lab/nym-gateway/nym-payload.ts,
// chunking.ts, nym-message.ts): checked against the official nym-client-wasm 1.4.1's real packets (fixtures/)
// and against byte layouts written down from nymtech/nym b4046a89's source (the file named in each test).
import test from 'ava';
import { randomBytes } from 'node:crypto';
import { x25519 } from '@noble/curves/ed25519.js';
import { base58 } from '@scure/base';
import { ChunkingError, encodeFragment, FragmentReassembler, parseFragment, splitIntoFragments } from '../../tools/lab/nym-gateway/chunking.js';
import { PACKET_SIZES, parseMixPacket } from '../../tools/lab/nym-gateway/mix-packet.js';
import { encodeRepliableData, encodeReplyData, NymMessageError, padMessage, parseNymMessage, removeMessagePadding } from '../../tools/lab/nym-gateway/nym-message.js';
import {
  buildSurbAck, decryptRegularMessage, decryptReplyMessage, encryptRegularMessage, encryptReplyMessage, fragmentRoomInRegularPacket, fragmentRoomInReplyPacket,
  recoverAckIdentifier, splitSurbAck, SURB_ACK_SIZE, surbKeyDigest,
} from '../../tools/lab/nym-gateway/nym-payload.js';
import { HEADER_SIZE, processFinalHop, surbToBytes, useSurb } from '../../tools/lab/nym-gateway/sphinx.js';
import { FOUR_FRAGMENTS, SINGLE_FRAGMENT, type WasmCapture } from './fixtures/nym-client-wasm-packets.js';

const hex = (s: string) => Uint8Array.from(Buffer.from(s, 'hex'));
const toHex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const identityOf = (address: string) => base58.decode(address.split('.')[0]!);

/** The recipient's view of one captured packet: the fragment bytes after the SURB-ACK and the encryption. */
function fragmentOf(c: WasmCapture, i: number): Uint8Array {
  const hop = processFinalHop(parseMixPacket(hex(c.packets[i]!), 2).packet, hex(c.sphinxPrivate));
  return decryptRegularMessage(splitSurbAck(hop.plaintext).message, hex(c.recipientEncryptionPrivate));
}

test('sizes from message.rs / preparer: SURB-ACK 405 (19 + 386), fragment room 1611 in a regular or reply packet (2048 − 405 − 32)', (t) => {
  t.is(SURB_ACK_SIZE, 19 + PACKET_SIZES.ack);
  t.is(fragmentRoomInRegularPacket(), 1611);
  t.is(fragmentRoomInReplyPacket(), 1611);
});

test('fragment headers as fragment.rs to_bytes writes them: id with its top bit set, total, current, then 0 or the linked id', (t) => {
  t.is(toHex(encodeFragment({ setId: 12345, totalFragments: 1, currentFragment: 1, payload: Uint8Array.of(9) })), '80003039' + '01' + '01' + '00' + '09');
  t.is(toHex(encodeFragment({ setId: 12345, totalFragments: 3, currentFragment: 1, previousSetId: 7, payload: new Uint8Array(0) })), '80003039' + '03' + '01' + '80000007');
  t.deepEqual(parseFragment(hex('80003039' + '0301' + '80000007' + 'aa')), { setId: 12345, totalFragments: 3, currentFragment: 1, previousSetId: 7, payload: Uint8Array.of(0xaa) });
  t.throws(() => parseFragment(hex('00003039' + '0101' + '00')), { instanceOf: ChunkingError, message: /marker bit/ });
  t.throws(() => parseFragment(hex('80003039' + '0103' + '00')), { instanceOf: ChunkingError, message: /not a position/ });
  t.throws(() => parseFragment(hex('80003039' + '03' + '02' + '80000007')), { instanceOf: ChunkingError, message: /cannot carry/ });
});

test('the WASM\'s single packet: fragment 1 of 1 (1611 bytes), a Repliable DataV2 message with exactly the bytes sent and 2 one-hop reply SURBs whose first hop is this gateway', (t) => {
  const fragment = parseFragment(fragmentOf(SINGLE_FRAGMENT, 0));
  t.is(fragment.totalFragments, 1);
  t.is(fragment.currentFragment, 1);
  t.is(fragment.payload.length, 1611 - 7);
  const m = parseNymMessage(removeMessagePadding(fragment.payload));
  if (m.kind !== 'repliable' || m.content.kind !== 'data') return t.fail(`not repliable data: ${m.kind}`);
  t.is(toHex(m.content.message), SINGLE_FRAGMENT.message);
  t.is(m.senderTag.length, 16);
  t.is(m.content.replySurbs.length, 2);
  for (const s of m.content.replySurbs) {
    t.is(s.surb.payloadKeyMaterial.length, 1, 'one hop: one payload key seed');
    t.is(s.surb.payloadKeyMaterial[0]!.length, 16);
    t.is(toHex(s.surb.firstHop), '0406fd7f000001' + '00'.repeat(25));
    t.is(s.keyRotation, 0);
  }
});

test('the WASM\'s four packets (5,000 bytes) reassemble to exactly those bytes in any arrival order; a retransmitted fragment of a delivered set is dropped', (t) => {
  const fragments = FOUR_FRAGMENTS.packets.map((_, i) => parseFragment(fragmentOf(FOUR_FRAGMENTS, i)));
  t.deepEqual(fragments.map((f) => [f.totalFragments, f.currentFragment]).sort(), [[4, 1], [4, 2], [4, 3], [4, 4]]);
  t.true(fragments.every((f) => f.setId === fragments[0]!.setId));
  for (const order of [[0, 1, 2, 3], [3, 2, 1, 0], [2, 0, 3, 1]]) {
    const r = new FragmentReassembler();
    const results = order.map((i) => r.insert(fragments[i]!));
    t.true(results.slice(0, 3).every((x) => x === undefined), 'nothing before the last fragment');
    const m = parseNymMessage(removeMessagePadding(results[3]!));
    if (m.kind !== 'repliable' || m.content.kind !== 'data') return t.fail('not repliable data');
    t.is(toHex(m.content.message), FOUR_FRAGMENTS.message);
    t.is(r.insert(fragments[0]!), undefined);
    t.is(r.duplicates, 1);
    t.is(r.pendingSets, 0);
  }
});

test('a reply by a real WASM SURB: the packet unwraps at this gateway with the SURB header the WASM made, for the WASM client, and its message decrypts with the SURB key to a Reply fragment', (t) => {
  const m = parseNymMessage(removeMessagePadding(parseFragment(fragmentOf(SINGLE_FRAGMENT, 0)).payload));
  if (m.kind !== 'repliable' || m.content.kind !== 'data') return t.fail('not repliable data');
  const surb = m.content.replySurbs[0]!;
  const sphinxPrivate = hex(SINGLE_FRAGMENT.sphinxPrivate);
  const replier = randomBytes(32);
  const room = fragmentRoomInReplyPacket();
  const [fragment] = splitIntoFragments(padMessage(encodeReplyData(new TextEncoder().encode('the answer')), room), room, 4242);
  const surbAck = buildSurbAck({
    firstHop: { host: '127.0.0.1', port: 1789 }, firstHopSphinxKey: x25519.getPublicKey(sphinxPrivate), destination: replier,
    ackKey: randomBytes(16), fragmentIdentifier: Uint8Array.of(0, 0, 0x10, 0x92, 1),
  });
  const plaintext = Buffer.concat([surbAck, encryptReplyMessage(encodeFragment(fragment!), surb.encryptionKey)]);
  t.is(plaintext.length, 2048);
  const packet = useSurb(surb.surb, plaintext, PACKET_SIZES.regular - HEADER_SIZE);
  t.is(packet.length, PACKET_SIZES.regular);
  const hop = processFinalHop(packet, sphinxPrivate);
  t.deepEqual(hop.destination, identityOf(SINGLE_FRAGMENT.sender), 'the SURB leads back to the WASM client');
  const split = splitSurbAck(hop.plaintext);
  t.is(toHex(split.message.subarray(0, 32)), toHex(surbKeyDigest(surb.encryptionKey)), 'BLAKE3 of the SURB key first, so the client finds its key');
  const back = decryptReplyMessage(split.message, (d) => (d === toHex(surbKeyDigest(surb.encryptionKey)) ? surb.encryptionKey : undefined));
  const reply = parseNymMessage(removeMessagePadding(parseFragment(back).payload));
  t.deepEqual(reply, { kind: 'reply-data', message: new TextEncoder().encode('the answer') });
  // and the SURB-ACK in it reaches the replier
  t.deepEqual(processFinalHop(split.ackPacket, sphinxPrivate).destination, Uint8Array.from(replier));
  t.is(surbToBytes(surb.surb).length, 348 + 32 + 16);
});

test('SURB-ACK: built for a one-hop route, it unwraps at the gateway for its destination and yields the fragment identifier under the ack key', (t) => {
  const gateway = randomBytes(32);
  const destination = randomBytes(32);
  const ackKey = randomBytes(16);
  const id = Uint8Array.of(0x12, 0x34, 0x56, 0x78, 3);
  const ack = buildSurbAck({ firstHop: { host: '127.0.0.1', port: 1789 }, firstHopSphinxKey: x25519.getPublicKey(gateway), destination, ackKey, fragmentIdentifier: id });
  t.is(ack.length, SURB_ACK_SIZE);
  t.is(toHex(ack.subarray(0, 19)), '0406fd7f000001' + '00'.repeat(12));
  const hop = processFinalHop(ack.subarray(19), gateway);
  t.deepEqual(hop.destination, Uint8Array.from(destination));
  t.deepEqual(recoverAckIdentifier(ackKey, hop.plaintext), id);
});

test('regular message encryption: ephemeral key || AES-128-CTR under HKDF-BLAKE3(X25519); the recipient recovers the fragment', (t) => {
  const recipient = randomBytes(32);
  const fragment = randomBytes(1611);
  const sealed = encryptRegularMessage(fragment, x25519.getPublicKey(recipient));
  t.is(sealed.length, 32 + 1611);
  t.deepEqual(decryptRegularMessage(sealed, recipient), Uint8Array.from(fragment));
  t.notDeepEqual(decryptRegularMessage(sealed, randomBytes(32)), Uint8Array.from(fragment));
});

test('NymMessage layouts (message.rs, requests/mod.rs, v2.rs): padding to whole fragments, Reply data 2 || 0 || bytes, Repliable v2 with SURB count/hops/rotation', (t) => {
  // 1604 bytes of fragment payload per 1611-byte fragment; message || 0x01 || zeros
  t.is(padMessage(new Uint8Array(1603), 1611).length, 1604);
  t.is(padMessage(new Uint8Array(1604), 1611).length, 3208);
  t.deepEqual(removeMessagePadding(Uint8Array.of(5, 1, 7, 1, 0, 0)), Uint8Array.of(5, 1, 7));
  t.throws(() => removeMessagePadding(Uint8Array.of(0, 0)), { instanceOf: NymMessageError });
  t.is(toHex(encodeReplyData(Uint8Array.of(0xab))), '0200ab');
  t.deepEqual(parseNymMessage(hex('0200ab')), { kind: 'reply-data', message: Uint8Array.of(0xab) });
  t.deepEqual(parseNymMessage(hex('00cafe')), { kind: 'plain', message: hex('cafe') });
  const surbBytes = Buffer.concat([new Uint8Array(348), hex('0406fd7f000001' + '00'.repeat(25)), new Uint8Array(16).fill(9)]);
  const tag = new Uint8Array(16).fill(3);
  const encoded = encodeRepliableData(tag, hex('beef'), [{ encryptionKey: new Uint8Array(16).fill(1), surbBytes }], 1, 2);
  t.is(toHex(encoded.subarray(0, 1 + 16 + 1 + 4)), '01' + '03'.repeat(16) + '03' + '0001' + '01' + '02');
  const m = parseNymMessage(encoded);
  if (m.kind !== 'repliable' || m.content.kind !== 'data') return t.fail('not repliable data');
  t.deepEqual(m.content.message, hex('beef'));
  t.is(m.content.replySurbs[0]!.keyRotation, 2);
  t.deepEqual(m.content.replySurbs[0]!.surb.payloadKeyMaterial[0], new Uint8Array(16).fill(9));
  t.throws(() => parseNymMessage(encoded.subarray(0, 100)), { instanceOf: NymMessageError, message: /need 412 bytes/ });
  t.throws(() => parseNymMessage(Uint8Array.of(1, ...tag, 0, 1, 2)), { instanceOf: NymMessageError, message: /v1/ });
  t.throws(() => parseNymMessage(Uint8Array.of(9)), { instanceOf: NymMessageError });
});

test('splitting: one set of fragments that each fill their room, refused past 255 fragments; linked sets are refused by the reassembler', (t) => {
  const room = 1611;
  const message = padMessage(randomBytes(5000), room);
  const fragments = splitIntoFragments(message, room, 99);
  t.is(fragments.length, 4);
  t.true(fragments.every((f) => encodeFragment(f).length === room));
  const r = new FragmentReassembler();
  let out: Uint8Array | undefined;
  for (const f of fragments) out = r.insert(parseFragment(encodeFragment(f)));
  t.deepEqual(out, message);
  t.throws(() => splitIntoFragments(new Uint8Array(256 * 1604), room), { instanceOf: ChunkingError, message: /256 fragments/ });
  t.throws(() => new FragmentReassembler().insert({ setId: 5, totalFragments: 2, currentFragment: 1, previousSetId: 4, payload: new Uint8Array(1) }), { instanceOf: ChunkingError, message: /linked/ });
});
