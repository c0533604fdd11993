// Node-to-node framing (tools/lab/nym-gateway/framing.ts) against the byte layout of upstream's NymCodec
// (nymtech/nym common/nymsphinx/framing src/{codec,packet}.rs, params packet_version/packet_sizes/key_rotation):
// headers byte for byte in both versions, frames read from a stream in any pieces, and every malformed header
// refused by name with the frames before it kept.
import test from 'ava';
import { randomBytes } from 'node:crypto';
import { encodeFrame, FrameDecoder, FramingError } from '../../tools/lab/nym-gateway/framing.js';
import { PACKET_SIZES } from '../../tools/lab/nym-gateway/mix-packet.js';

const regular = () => new Uint8Array(randomBytes(PACKET_SIZES.regular));
const ack = () => new Uint8Array(randomBytes(PACKET_SIZES.ack));

test('headers as upstream writes them: version 7 (3 bytes, no rotation), version 8 (4 bytes, rotation last); size tags by size', (t) => {
  const p = regular();
  t.deepEqual([...encodeFrame({ packet: p, packetType: 0, keyRotation: 2 }, true).subarray(0, 3)], [7, 1, 0]);
  const v8 = encodeFrame({ packet: p, packetType: 0, keyRotation: 2 }, false);
  t.deepEqual([...v8.subarray(0, 4)], [8, 1, 0, 2]);
  t.deepEqual(v8.subarray(4), p, 'the packet follows unchanged, without a length');
  t.is(v8.length, 4 + 2413);
  t.deepEqual([...encodeFrame({ packet: ack(), packetType: 0, keyRotation: 1 }, false).subarray(0, 4)], [8, 2, 0, 1]);
  const tags = (['extended8', 'extended16', 'extended32'] as const).map((k) => encodeFrame({ packet: new Uint8Array(PACKET_SIZES[k]), packetType: 0, keyRotation: 0 }, true)[1]);
  t.deepEqual(tags, [4, 5, 3]);
  t.throws(() => encodeFrame({ packet: new Uint8Array(1000), packetType: 0, keyRotation: 0 }, true), { instanceOf: FramingError, message: /not of a known packet size/ });
  t.throws(() => encodeFrame({ packet: p, packetType: 2, keyRotation: 0 }, true), { instanceOf: FramingError, message: /Sphinx packets only/ });
});

test('a stream read byte by byte, or two frames of both versions in one piece, gives the packets back with their headers', (t) => {
  const a = regular();
  const b = ack();
  const stream = new Uint8Array([...encodeFrame({ packet: a, packetType: 0, keyRotation: 2 }, false), ...encodeFrame({ packet: b, packetType: 0, keyRotation: 1 }, true)]);
  const whole = new FrameDecoder().push(stream);
  t.is(whole.error, undefined);
  t.deepEqual(whole.frames.map((f) => [f.version, f.size, f.packetType, f.keyRotation]), [[8, 'regular', 0, 2], [7, 'ack', 0, 0]], 'a legacy frame carries no rotation: unknown');
  t.deepEqual(whole.frames[0]!.packet, a);
  t.deepEqual(whole.frames[1]!.packet, b);
  const d = new FrameDecoder();
  const got = [];
  for (const byte of stream) got.push(...d.push(Uint8Array.of(byte)).frames);
  t.deepEqual(got.map((f) => f.packet), [a, b]);
  t.is(d.pending, 0);
});

test('malformed headers are refused by name; frames before one are kept, and the decoder stays broken', (t) => {
  const good = encodeFrame({ packet: ack(), packetType: 0, keyRotation: 0 }, true);
  const cases: [number[], RegExp][] = [
    [[6, 1, 0], /packet version 6 is below the first framed version 7/],
    [[9, 1, 0, 0], /packet version 9 is newer than 8/],
    [[8, 1, 0, 3], /3 is not a key rotation/],
    [[7, 9, 0], /9 is not a packet size tag/],
    [[7, 6, 2], /an Outfox size/],
    [[7, 1, 2], /Outfox packets are not processed/],
    [[7, 1, 1], /1 is not a packet type/],
  ];
  for (const [header, message] of cases) {
    const d = new FrameDecoder();
    const r = d.push(new Uint8Array([...good, ...header]));
    t.is(r.frames.length, 1, `the frame before ${header.join(',')} is kept`);
    t.true(r.error instanceof FramingError);
    t.regex(r.error!.message, message);
    t.is(d.push(good).error, r.error, 'nothing more is read from a corrupted stream');
  }
  t.deepEqual(new FrameDecoder().push(Uint8Array.of(8, 1, 0)), { frames: [] }, 'a version-8 header waits for its fourth byte');
});
