// Upstream's CREDENTIAL_BYTES (a real spent ticket, 1,245 bytes) through both of upstream's byte forms: it
// decodes field by field — every point on its curve — and re-encodes to the same bytes; its serde-bincode form,
// derived from the Rust serde rules (see src/ecash/credential-spending-data.ts), round-trips and travels inside
// an authenticator Final message; damaged input is a clear error.
import test from 'ava';
import { BincodeReader } from '../../src/codec/bincode.js';
import {
  CredentialFormatError, credentialBincode, credentialFromBytes, credentialToBytes, readCredentialBincode, spendDateIso,
  julianDayToYearOrdinal, yearOrdinalToJulianDay,
} from '../../src/ecash/credential-spending-data.js';
import { decodeRequest, encodeRequest } from '../../src/authenticator/messages-v6.js';
import { parseIp } from '../../src/net/ip-address.js';
import { CREDENTIAL_BYTES_HEX } from './credential-bytes.fixture.js';

const RAW = new Uint8Array(Buffer.from(CREDENTIAL_BYTES_HEX, 'hex'));

test('CREDENTIAL_BYTES decodes field by field and re-encodes to the same 1,245 bytes', (t) => {
  t.is(RAW.length, 1245);
  const c = credentialFromBytes(RAW);
  const p = c.payment;
  t.is(p.kappaK.length, 1);
  t.is(p.omega.length, 1);
  t.deepEqual([p.ss.length, p.tt.length, p.aa.length], [1, 1, 1]);
  t.is(p.spendValue, 1n);
  t.is(p.tType, 0, 'V1MixnetEntry');
  t.deepEqual([p.zkProof.responsesRK.length, p.zkProof.responsesL.length, p.zkProof.responsesAttributes.length], [0, 1, 3]);
  t.deepEqual(c.payInfo, new Uint8Array(72).fill(6));
  t.is(spendDateIso(c), '2024-12-11');
  t.is(c.epochId, 1n);
  t.deepEqual(credentialToBytes(c), RAW);
});

test('the serde-bincode form: the payment bytes, pay_info as a vector, the date as (year, ordinal), epoch varint', (t) => {
  const c = credentialFromBytes(RAW);
  const b = credentialBincode(c);
  t.deepEqual(b.subarray(0, 1157), RAW.subarray(4, 4 + 1157), 'a payment serialises the same way in both forms');
  // 72, the 72 bytes; zigzag(2024) = 4048 = u16 tag 251 + 0x0fd0; 2024-12-11 is day 346 = 251 + 0x015a; epoch 1.
  t.deepEqual([...b.subarray(1157)], [72, ...new Array(72).fill(6), 251, 0x0f, 0xd0, 251, 0x01, 0x5a, 1]);
  const r = new BincodeReader(b);
  const back = readCredentialBincode(r);
  t.is(r.remaining, 0);
  t.deepEqual(credentialToBytes(back), RAW);
  t.deepEqual(julianDayToYearOrdinal(2460656), { year: 2024, ordinal: 346 });
  t.is(yearOrdinalToJulianDay(2024, 346), 2460656);
  t.is(yearOrdinalToJulianDay(2000, 1), 2451545, 'J2000');
  t.throws(() => yearOrdinalToJulianDay(2023, 366), { instanceOf: CredentialFormatError });
});

test('inside an authenticator v6 Final message: spliced in, read back, the same credential', (t) => {
  const c = credentialFromBytes(RAW);
  const key = new Uint8Array(32).fill(5);
  const msg = encodeRequest({ requestId: 77n, data: { type: 'final', gatewayClient: { pubKey: key, privateIps: { ipv4: parseIp('10.1.0.2'), ipv6: parseIp('fc01::2') }, mac: new Uint8Array(32) }, credential: { credential: { kind: 'zk-nym', credentialBincode: credentialBincode(c) }, ticketType: 'v1-mixnet-entry' } } });
  const back = decodeRequest(msg, (r) => credentialBincode(readCredentialBincode(r)));
  t.is(back.requestId, 77n);
  t.true(back.data.type === 'final' && back.data.credential?.credential.kind === 'zk-nym');
  if (back.data.type === 'final' && back.data.credential?.credential.kind === 'zk-nym') {
    const inner = readCredentialBincode(new BincodeReader(back.data.credential.credential.credentialBincode));
    t.deepEqual(credentialToBytes(inner), RAW);
    t.is(back.data.credential.ticketType, 'v1-mixnet-entry');
  }
});

test('damaged credentials: truncations, lengths, a point off the curve, a non-canonical scalar, huge counts', (t) => {
  for (const n of [0, 10, 87, 88, 500, 1160, 1244]) t.throws(() => credentialFromBytes(RAW.subarray(0, n)), { instanceOf: CredentialFormatError }, `cut at ${n}`);
  t.throws(() => credentialFromBytes(Uint8Array.from([...RAW, 0])), { instanceOf: CredentialFormatError, message: /does not match/ });
  const offCurve = RAW.slice();
  offCurve[4 + 1 + 10]! ^= 0xff; // inside kappa's compressed bytes
  t.throws(() => credentialFromBytes(offCurve), { instanceOf: CredentialFormatError, message: /kappa: not a valid compressed G2 point/ });
  const b = credentialBincode(credentialFromBytes(RAW));
  // A scalar of all 0xff is above the group order: replace the first scalar (the challenge) with it.
  const p = credentialFromBytes(RAW).payment;
  const payment = new Uint8Array(RAW.subarray(4, 1161));
  const at = Buffer.from(payment).indexOf(Buffer.from(p.zkProof.challenge));
  t.true(at > 0);
  const bad = payment.slice();
  bad.fill(0xff, at, at + 32);
  const raw2 = new Uint8Array(RAW);
  raw2.set(bad, 4);
  t.throws(() => credentialFromBytes(raw2), { instanceOf: CredentialFormatError, message: /challenge: not a canonical scalar/ });
  // A count of 2^40 items is refused before anything is allocated.
  const huge = Uint8Array.from([...b.subarray(0, 97 * 2 + 49 * 4), 253, 0, 0, 1, 0, 0, 0, 0, 0]);
  t.throws(() => readCredentialBincode(new BincodeReader(huge)), { instanceOf: CredentialFormatError, message: /kappa_k: \d+ items/ });
});
