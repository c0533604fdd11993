// CredentialSpendingData in both byte forms against upstream's CREDENTIAL_BYTES: decode, check every field,
// re-encode byte for byte; the serde/bincode form round-trips and has the layout derived from the serde
// definitions; hostile input (truncated, oversized lengths, bad points, bad scalars, bad dates) is refused
// with an EcashError and nothing else.
import test from 'ava';
import fc from 'fast-check';
import { bls12_381 } from '@noble/curves/bls12-381.js';
import { base58 } from '@scure/base';
import { BincodeWriter } from '../../src/codec/bincode.js';
import { decodeBase58Large, encodeBase58Large } from '../../src/ecash/base58-large.js';
import {
  credentialSpendingDataBincode,
  credentialSpendingDataFromBincode,
  credentialSpendingDataFromBytes,
  credentialSpendingDataToBytes,
} from '../../src/ecash/credential-spending-data.js';
import { EcashError } from '../../src/ecash/errors.js';
import { fromJulianDay, fromOrdinal, ordinal, toJulianDay, ecashDate, ecashUnixTimestamp } from '../../src/ecash/ecash-date.js';
import { g1FromBytes, g2FromBytes, scalarFromBytes, SCALAR_ORDER } from '../../src/ecash/group-elements.js';
import { parsePayInfo, payInfoBytes } from '../../src/ecash/pay-info.js';
import { encodedSerialNumber, paymentFromBytes, paymentToBytes, writePayment } from '../../src/ecash/payment.js';
import { CREDENTIAL_BYTES } from './credential-bytes.fixture.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

function refusedWith(t: import('ava').ExecutionContext, f: () => unknown, codes: string[]): EcashError {
  const e = t.throws(f, { instanceOf: EcashError }) as EcashError;
  t.true(codes.includes(e.code), `code ${e.code} (${e.message}) not in ${codes.join('|')}`);
  return e;
}

test('CREDENTIAL_BYTES decodes and re-encodes to the same 1,245 bytes', (t) => {
  t.is(CREDENTIAL_BYTES.length, 1245);
  const c = credentialSpendingDataFromBytes(CREDENTIAL_BYTES);
  const again = credentialSpendingDataToBytes(c);
  t.is(again.length, 1245);
  t.is(hex(again), hex(CREDENTIAL_BYTES));
});

test('CREDENTIAL_BYTES fields: payment length, pay_info, spend date, epoch id, the payment’s shape', (t) => {
  const c = credentialSpendingDataFromBytes(CREDENTIAL_BYTES);
  // u32 BE length prefix 0x00000485
  t.is(new DataView(CREDENTIAL_BYTES.buffer).getUint32(0, false), 1157);
  t.is(paymentToBytes(c.payment).length, 1157);
  t.deepEqual([...c.payInfo], new Array(72).fill(6));
  t.deepEqual(c.spendDate, { year: 2024, month: 12, day: 11 });
  t.is(toJulianDay(c.spendDate), 2460656); // bytes 00 25 8b f0
  t.is(c.epochId, 1n);
  const p = c.payment;
  t.is(p.spendValue, 1n);
  t.is(p.tType, 0); // v1-mixnet-entry
  t.deepEqual(
    [p.kappaK.length, p.omega.length, p.ss.length, p.tt.length, p.aa.length],
    [1, 1, 1, 1, 1],
  );
  const z = p.zkProof;
  t.deepEqual(
    [z.responsesRK.length, z.responsesL.length, z.responsesOA.length, z.responsesMu.length, z.responsesOMu.length, z.responsesAttributes.length],
    [0, 1, 1, 1, 1, 3],
  );
  // the first bytes of some elements, read straight off the fixture
  t.is(hex(p.kappa.toBytes(true)).slice(0, 8), 'b3dfb988');
  t.is(hex(p.sig.h.toBytes(true)).slice(0, 8), 'a632f517');
  t.is(hex(p.cc.toBytes(true)).slice(0, 8), 'add81649');
  t.is(hex(encodedSerialNumber(p)).slice(0, 8), '964af8d4');
  // the challenge scalar is little-endian: its first byte on the wire is the least significant
  t.is(Number(z.challenge & 0xffn), 0xcb);
  t.true(z.challenge < SCALAR_ORDER);
});

test('NymPayInfo layout: randomness ‖ i64 BE timestamp ‖ provider key', (t) => {
  const bytes = payInfoBytes({ randomness: new Uint8Array(32).fill(1), timestamp: 1733875200n, providerPublicKey: new Uint8Array(32).fill(2) });
  t.is(hex(bytes.subarray(32, 40)), '000000006758d600');
  const back = parsePayInfo(bytes);
  t.is(back.timestamp, 1733875200n);
  t.deepEqual([...back.providerPublicKey], new Array(32).fill(2));
  refusedWith(t, () => parsePayInfo(new Uint8Array(71)), ['length']);
});

test('serde/bincode form: payment inline, pay_info as a Vec<u8>, Date as (i32, u16) varints, epoch varint; round trip', (t) => {
  const c = credentialSpendingDataFromBytes(CREDENTIAL_BYTES);
  const b = credentialSpendingDataBincode(c);
  const payment = CREDENTIAL_BYTES.subarray(4, 4 + 1157);
  // 2024-12-11: zigzag(2024) = 4048 → tag 251 + 0x0fd0; ordinal 346 → 251 + 0x015a; epoch 1
  const expected = new Uint8Array([...payment, 72, ...new Array(72).fill(6), 251, 0x0f, 0xd0, 251, 0x01, 0x5a, 1]);
  t.is(hex(b), hex(expected));
  t.is(ordinal(c.spendDate), 346);
  const back = credentialSpendingDataFromBincode(b);
  t.is(hex(credentialSpendingDataToBytes(back)), hex(CREDENTIAL_BYTES));
  t.is(hex(credentialSpendingDataBincode(back)), hex(b));
  // one trailing byte is refused, as bincode's DefaultOptions does
  refusedWith(t, () => credentialSpendingDataFromBincode(new Uint8Array([...b, 0])), ['format']);
  // pay_info of 71 bytes inside the serde form
  const w = new BincodeWriter();
  writePayment(w, c.payment);
  w.bytes(new Uint8Array(71)).signed(2024, 32).u16(346).u64(1);
  refusedWith(t, () => credentialSpendingDataFromBincode(w.finish()), ['length']);
  // day 366 of a non-leap year
  const w2 = new BincodeWriter();
  writePayment(w2, c.payment);
  w2.bytes(new Uint8Array(72)).signed(2025, 32).u16(366).u64(1);
  refusedWith(t, () => credentialSpendingDataFromBincode(w2.finish()), ['date']);
});

test('every truncation of CREDENTIAL_BYTES, and cuts all along its bincode form, are EcashErrors', (t) => {
  const c = credentialSpendingDataFromBytes(CREDENTIAL_BYTES);
  const b = credentialSpendingDataBincode(c);
  for (let n = 0; n < CREDENTIAL_BYTES.length; n++) {
    t.throws(() => credentialSpendingDataFromBytes(CREDENTIAL_BYTES.subarray(0, n)), { instanceOf: EcashError });
  }
  // the bincode form decodes points as it goes, so cutting it late costs a decode of everything before the
  // cut: every cut in the first 200 bytes and in the tail (pay_info, date, epoch), every 11th in between
  for (let n = 0; n < b.length; n += n < 200 || n > b.length - 100 ? 1 : 11) {
    t.throws(() => credentialSpendingDataFromBincode(b.subarray(0, n)), { instanceOf: EcashError });
  }
  // the payment alone, truncated inside: a length fault
  refusedWith(t, () => paymentFromBytes(CREDENTIAL_BYTES.subarray(4, 600)), ['length']);
});

test('declared lengths that do not match are refused: prefix too big/small, vector counts, element lengths', (t) => {
  const withPrefix = (n: number) => {
    const copy = CREDENTIAL_BYTES.slice();
    new DataView(copy.buffer).setUint32(0, n, false);
    return copy;
  };
  refusedWith(t, () => credentialSpendingDataFromBytes(withPrefix(0xffff_ffff)), ['length']);
  refusedWith(t, () => credentialSpendingDataFromBytes(withPrefix(1156)), ['length']);
  refusedWith(t, () => credentialSpendingDataFromBytes(new Uint8Array([...CREDENTIAL_BYTES, 0])), ['length']);
  // kappa declared as 97 bytes (the byte after the prefix is kappa's varint length, 96)
  const k = CREDENTIAL_BYTES.slice(4, 4 + 1157);
  k[0] = 97;
  refusedWith(t, () => paymentFromBytes(k), ['length']);
  // kappa_k count of a billion (u32 varint tag 252): over the bound, refused before reading
  const p = CREDENTIAL_BYTES.slice(4, 4 + 1157);
  const kappaKCount = 1 + 96 + 1 + 96 + 4 * 49; // after kappa, kappa_e, sig, sig_exp
  t.is(p[kappaKCount], 1);
  const huge = new Uint8Array([...p.subarray(0, kappaKCount), 252, 0x3b, 0x9a, 0xca, 0x00, ...p.subarray(kappaKCount + 1)]);
  refusedWith(t, () => paymentFromBytes(huge), ['length']);
  // a u128 varint tag where a count is expected
  const u128 = p.slice();
  u128[kappaKCount] = 254;
  refusedWith(t, () => paymentFromBytes(u128), ['format']);
  // trailing bytes after the payment itself
  refusedWith(t, () => paymentFromBytes(new Uint8Array([...p, 0])), ['format']);
});

test('spend date outside time::Date, non-canonical scalars, and points that are not group elements', (t) => {
  const date = CREDENTIAL_BYTES.slice();
  new DataView(date.buffer).setInt32(4 + 1157 + 72, 0x7fff_ffff, false);
  refusedWith(t, () => credentialSpendingDataFromBytes(date), ['date']);

  // the challenge scalar (first scalar after t_type) set to r: not canonical
  const p = CREDENTIAL_BYTES.slice(4, 4 + 1157);
  // offsets in the payment: kappa, kappa_e (1 + 96 each), sig, sig_exp (2 × (1 + 48) each), then kappa_k,
  // omega, ss, tt, aa with one element each (count byte + element), spend_value (1), cc (1 + 48), t_type
  const tTypeAt = 2 * 97 + 4 * 49 + (1 + 97) + (1 + 98) + 3 * (1 + 49) + 1 + 49;
  t.is(p[tTypeAt], 0);
  const r = SCALAR_ORDER;
  const rLe = new Uint8Array(32);
  for (let i = 0, v = r; i < 32; i++, v >>= 8n) rLe[i] = Number(v & 0xffn);
  const badScalar = p.slice();
  t.is(p[tTypeAt + 1], 32);
  badScalar.set(rLe, tTypeAt + 2);
  refusedWith(t, () => paymentFromBytes(badScalar), ['scalar']);
  refusedWith(t, () => scalarFromBytes(rLe), ['scalar']);
  t.is(scalarFromBytes(new Uint8Array(32).fill(0)), 0n);

  // kappa without the compression flag
  const flag = p.slice();
  flag[1]! &= 0x7f;
  refusedWith(t, () => paymentFromBytes(flag), ['point']);

  // kappa with an x that is not on the curve: search the x's near the fixture's for one without a y
  const Fp = bls12_381.fields.Fp;
  let offCurve: Uint8Array | undefined;
  for (let i = 1; i < 50 && !offCurve; i++) {
    const cand = Uint8Array.from([0x80, ...new Uint8Array(46), i]);
    const x = BigInt('0x' + hex(cand.subarray(1)));
    let hasY = true;
    try { Fp.sqrt(Fp.add(Fp.pow(x, 3n), 4n)); } catch { hasY = false; }
    if (!hasY) offCurve = cand;
  }
  t.truthy(offCurve);
  refusedWith(t, () => g1FromBytes(offCurve!), ['point']);

  // a G1 point on the curve but outside the prime-order subgroup (the cofactor is large, so a small x
  // with a y is almost surely one)
  let outside: Uint8Array | undefined;
  for (let i = 1; i < 50 && !outside; i++) {
    const x = BigInt(i);
    try { Fp.sqrt(Fp.add(Fp.pow(x, 3n), 4n)); } catch { continue; }
    outside = Uint8Array.from([0x80, ...new Uint8Array(46), i]);
  }
  t.truthy(outside);
  const e = refusedWith(t, () => g1FromBytes(outside!), ['point']);
  t.regex(e.message, /subgroup/);

  // x >= p (the field modulus with the compression flag set is not canonical)
  const pBytes = Uint8Array.from(Buffer.from(Fp.ORDER.toString(16).padStart(96, '0'), 'hex'));
  pBytes[0]! |= 0x80;
  refusedWith(t, () => g1FromBytes(pBytes), ['point']);
  // G2: wrong size and a random x off the curve / outside the subgroup
  refusedWith(t, () => g2FromBytes(new Uint8Array(48)), ['length']);
  const g2bad = p.slice(1, 97);
  g2bad[95]! ^= 1;
  refusedWith(t, () => g2FromBytes(g2bad), ['point']);
  // the point at infinity is a group element (upstream's from_compressed accepts it too)
  t.true(g1FromBytes(Uint8Array.from([0xc0, ...new Uint8Array(47)])).is0());
});

test('Julian days and ordinals agree with the calendar, and stay inside time::Date’s range', (t) => {
  t.is(toJulianDay(ecashDate(1970, 1, 1)), 2440588);
  t.is(toJulianDay(ecashDate(2000, 1, 1)), 2451545);
  t.is(toJulianDay(ecashDate(-4713, 11, 24)), 0); // proleptic Gregorian start of the Julian day count
  t.is(ecashUnixTimestamp(ecashDate(2024, 12, 11)), 1733875200);
  refusedWith(t, () => fromJulianDay(toJulianDay(ecashDate(9999, 12, 31)) + 1), ['date']);
  refusedWith(t, () => ecashDate(2025, 2, 29), ['date']);
  fc.assert(
    fc.property(fc.integer({ min: toJulianDay(ecashDate(-9999, 1, 1)), max: toJulianDay(ecashDate(9999, 12, 31)) }), (jd) => {
      const d = fromJulianDay(jd);
      const o = fromOrdinal(d.year, ordinal(d));
      return toJulianDay(d) === jd && o.month === d.month && o.day === d.day;
    }),
  );
});

test('base58 for large blobs agrees with @scure/base where that applies, keeps leading zeros, and is bounded', (t) => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
      const s = base58.encode(bytes);
      return encodeBase58Large(bytes) === s && Buffer.from(decodeBase58Large(s, 10_000, 'x')).equals(Buffer.from(bytes));
    }),
  );
  const big = new Uint8Array(9000).map((_, i) => (i * 7 + 3) & 0xff);
  big[0] = 0;
  big[1] = 0;
  const s = encodeBase58Large(big);
  t.true(s.startsWith('11'));
  t.deepEqual(decodeBase58Large(s, 64 * 1024, 'x'), big);
  t.is((t.throws(() => decodeBase58Large(s, 100, 'x'), { instanceOf: EcashError }) as EcashError).code, 'length');
  t.is((t.throws(() => decodeBase58Large('abc0', 100, 'x'), { instanceOf: EcashError }) as EcashError).code, 'format');
});
