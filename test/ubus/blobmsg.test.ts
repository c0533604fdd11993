import test from 'ava';
import { BlobError, BlobWriter } from '../../src/ubus/blob.js';
import { decodeEntries, decodeTable, putJson, toJsonText } from '../../src/ubus/blobmsg.js';
import { BlobmsgType } from '../../src/ubus/constants.js';
import { frameLength, FrameReader, UbusFrameError } from '../../src/ubus/message.js';

const hex = (s: string) => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
function payloadOf(obj: Record<string, unknown>): Uint8Array {
  const w = new BlobWriter();
  for (const [k, v] of Object.entries(obj)) putJson(w, k, v);
  return w.finish().subarray(4);
}

test('the document\'s examples: "msg": "hi" and "ok": true', (t) => {
  t.deepEqual(payloadOf({ msg: 'hi' }), hex('83 00 00 0f 00 03 6d 73 67 00 00 00 68 69 00 00'));
  t.deepEqual(payloadOf({ ok: true }), hex('87 00 00 0d 00 02 6f 6b 00 00 00 00 01 00 00 00'));
});

test('JSON numbers get the ubus CLI\'s types: INT32 when they fit, else INT64, fractions DOUBLE, null UNSPEC', (t) => {
  const entries = decodeEntries(payloadOf({
    a: 2147483647, b: -2147483648, c: 2147483648, d: -2147483649, e: 1.5, f: null, g: false, h: 'x', i: [1, 'y'], j: { k: 1 },
  }));
  t.deepEqual(entries.map((e) => [e.name, BlobmsgType[e.type]]), [
    ['a', 'INT32'], ['b', 'INT32'], ['c', 'INT64'], ['d', 'INT64'], ['e', 'DOUBLE'], ['f', 'UNSPEC'],
    ['g', 'INT8'], ['h', 'STRING'], ['i', 'ARRAY'], ['j', 'TABLE'],
  ]);
  t.deepEqual(decodeTable(payloadOf({ c: 2147483648, e: 1.5, i: [1, 'y'], j: { k: [] } })), { c: 2147483648, e: 1.5, i: [1, 'y'], j: { k: [] } });
});

test('INT64 beyond 2^53 decodes as bigint and prints as a plain integer', (t) => {
  const v = decodeTable(payloadOf({ big: 9007199254740993n }));
  t.is(v.big, 9007199254740993n);
  t.is(toJsonText(v), '{"big":9007199254740993}');
  t.is(toJsonText({ a: [1, { b: 'c' }] }, '\t'), '{\n\t"a": [\n\t\t1,\n\t\t{\n\t\t\t"b": "c"\n\t\t}\n\t]\n}');
});

test('a double is big-endian IEEE-754', (t) => {
  t.deepEqual(payloadOf({ d: 1.5 }), hex('88 00 00 10 00 01 64 00 3f f8 00 00 00 00 00 00'));
});

test('malformed blobmsg is refused with a clear error, never misread', (t) => {
  // string without NUL
  t.throws(() => decodeTable(hex('83 00 00 0e 00 03 6d 73 67 00 00 00 68 69 00 00')), { instanceOf: BlobError, message: /NUL/ });
  // INT32 with 3 bytes
  t.throws(() => decodeTable(hex('85 00 00 0b 00 01 61 00 00 00 01 00')), { message: /INT32 with 3 bytes/ });
  // length overruns the container
  t.throws(() => decodeTable(hex('83 00 00 40 00 01 61 00')), { message: /overruns/ });
  // name length overruns
  t.throws(() => decodeTable(hex('83 00 00 08 00 09 61 00')), { message: /name length/ });
  // not an extended attribute
  t.throws(() => decodeTable(hex('03 00 00 08 00 01 61 00')), { message: /extended bit/ });
  // length below the header
  t.throws(() => decodeTable(hex('83 00 00 02')), { message: /below header/ });
});

test('frame sizing refuses what ubusd refuses', (t) => {
  t.throws(() => frameLength(hex('01 00 00 00 00 00 00 00 00 00 00 04')), { instanceOf: UbusFrameError, message: /version/ });
  t.throws(() => frameLength(hex('00 00 00 00 00 00 00 00 00 00 00 03')), { message: /below 4/ });
  t.throws(() => frameLength(hex('00 00 00 00 00 00 00 00 00 10 00 04')), { message: /exceeds 1048576/ });
  t.is(frameLength(hex('00 00 00 00 00 00 00 00 00 0f ff fc')), 8 + 0x0ffffc);
  t.is(frameLength(hex('00 00 00 00 00 00 00 00 00 00 00 05')), 13, 'the raw length, as ubusd reads it');
});

test('the frame reader reassembles frames split at every byte', (t) => {
  const a = hex('00 00 00 00 74 5b 14 80 00 00 00 04');
  const b = hex('00 01 00 01 00 00 00 00 00 00 00 0c 01 00 00 08 00 00 00 00');
  const all = new Uint8Array([...a, ...b, ...a]);
  const r = new FrameReader();
  const out: Uint8Array[] = [];
  for (const byte of all) out.push(...r.push(Uint8Array.of(byte)));
  t.deepEqual(out.map((f) => Buffer.from(f).toString('hex')), [a, b, a].map((f) => Buffer.from(f).toString('hex')));
});
