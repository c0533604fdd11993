import test from 'ava';
import { BincodeError, BincodeReader, BincodeWriter } from '../../src/codec/bincode.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

// Expected bytes follow bincode 1.3's VarintEncoding (src/config/int.rs): values below 251 are one
// byte; 251/252/253 tag a big-endian u16/u32/u64 under with_big_endian(); signed values are zigzagged.
test('varint boundaries, big-endian', (t) => {
  const cases: Array<[number | bigint, string]> = [
    [0, '00'], [250, 'fa'], [251, 'fb00fb'], [0xffff, 'fbffff'], [0x10000, 'fc00010000'],
    [0xffffffff, 'fcffffffff'], [0x100000000, 'fd0000000100000000'], [2n ** 64n - 1n, 'fdffffffffffffffff'],
  ];
  for (const [v, h] of cases) {
    const enc = new BincodeWriter().u64(v).finish();
    t.is(hex(enc), h, `encode ${v}`);
    const r = new BincodeReader(enc);
    t.is(r.u64(), BigInt(v));
    r.end();
  }
});

test('zigzag signed integers', (t) => {
  const cases: Array<[bigint, string]> = [[0n, '00'], [-1n, '01'], [1n, '02'], [-126n, 'fb00fb'], [125n, 'fa'], [-2147483648n, 'fcffffffff']];
  for (const [v, h] of cases) {
    const enc = new BincodeWriter().signed(v, 32).finish();
    t.is(hex(enc), h, `encode ${v}`);
    t.is(new BincodeReader(enc).signed(32), v);
  }
});

test('strings, bytes, options, variants, sequences', (t) => {
  const enc = new BincodeWriter().u8(6).u8(2).variant(1).string('ab').bytes(new Uint8Array([9])).option<number>(undefined, (w, v) => w.u8(v)).option(7, (w, v) => w.u16(v)).seq([1, 300], (w, v) => w.u32(v)).bool(true).finish();
  t.is(hex(enc), '0602' + '01' + '026162' + '0109' + '00' + '0107' + '02' + '01' + 'fb012c' + '01');
  const r = new BincodeReader(enc);
  t.is(r.u8(), 6); t.is(r.u8(), 2); t.is(r.variant(5), 1); t.is(r.string(10), 'ab'); t.deepEqual([...r.bytes(10)], [9]);
  t.is(r.option((x) => x.u8()), undefined); t.is(r.option((x) => x.u16()), 7); t.deepEqual(r.seq(10, (x) => x.u32()), [1, 300]); t.true(r.bool());
  r.end();
});

test('refusals: truncation, bad tags, bounds, trailing bytes, ranges', (t) => {
  t.throws(() => new BincodeReader(new Uint8Array([0xfb, 0x01])).u16(), { instanceOf: BincodeError });
  t.throws(() => new BincodeReader(new Uint8Array([0xff])).u64(), { instanceOf: BincodeError, message: /invalid varint tag/ });
  t.throws(() => new BincodeReader(new Uint8Array([0xfc, 0, 1, 0, 0])).u16(), { instanceOf: BincodeError, message: /does not fit/ });
  t.throws(() => new BincodeReader(new Uint8Array([0xfd, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff])).bytes(1 << 20), { message: /over the bound/ });
  t.throws(() => new BincodeReader(new Uint8Array([2, 0xff, 0xfe])).string(10), { message: /not UTF-8/ });
  t.throws(() => new BincodeReader(new Uint8Array([2])).option((r) => r.u8()), { message: /invalid option tag/ });
  t.throws(() => new BincodeReader(new Uint8Array([3])).variant(3), { message: /unknown variant/ });
  t.throws(() => new BincodeReader(new Uint8Array([2])).bool(), { message: /not a bool/ });
  const r = new BincodeReader(new Uint8Array([1, 2])); r.u8(); t.throws(() => r.end(), { message: /1 trailing bytes/ });
  t.throws(() => new BincodeWriter().u16(70000), { instanceOf: BincodeError });
  t.throws(() => new BincodeWriter().u8(256), { instanceOf: BincodeError });
});
