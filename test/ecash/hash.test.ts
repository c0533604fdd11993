// hash_to_scalar and hash_g1 as upstream (nym_offline_compact_ecash/src/utils.rs).
// hash_to_scalar: upstream's vectors for its DST are in common/dkg/src/utils.rs `test_hash_to_scalar`
// (nymtech/nym daed9cd15bc0), called there with b"NYMECASH-V01-CS02-with-expander-SHA256" — the e-cash
// scalar domain; the expected values are Scalar::from_bytes (32 bytes little-endian), copied below.
// hash_g1: upstream-made points are the h of the expiration-date signatures in nym-api's JSON fixture
// (nym-api/nym-api-requests/src/ecash/models.rs tests), and the WASM provides more: a withdrawal request carries
// joined_commitment_hash = hash_g1(compress(joined_commitment + gamma3·expiration + gamma4·type))
// (scheme/withdrawal.rs generate_non_identity_h), with gamma_i = hash_g1("gamma{i}") (scheme/setup.rs).
import test from 'ava';
import { bls12_381 } from '@noble/curves/bls12-381.js';
import { ecashDate, ecashUnixTimestamp, fromJulianDay, toJulianDay } from '../../src/ecash/ecash-date.js';
import { scalarFromBytes, scale } from '../../src/ecash/group-elements.js';
import { dateScalar, groupParameters, typeScalar } from '../../src/ecash/group-parameters.js';
import { G1_HASH_DOMAIN, hashG1, hashToScalar } from '../../src/ecash/hash.js';
import { withIssuanceSession } from '../../src/ecash/issuance.js';
import { encodeTicketType } from '../../src/ecash/ticket-type.js';
import { withdrawalRequestFromBs58 } from '../../src/ecash/withdrawal-request.js';
import { EcashError } from '../../src/ecash/errors.js';
import { expirationSignatureBase } from '../../src/ecash/signature-sets.js';
import { parseExpirationDateSignatures, parseWalletSharesAnswer } from '../../src/ecash/signature-sets-json.js';
import { EXPIRATION_SIGNATURES_JSON } from './expiration-signatures.fixture.js';

test('hash_to_scalar: upstream’s three vectors (common/dkg/src/utils.rs test_hash_to_scalar)', (t) => {
  const le = (xs: number[]) => scalarFromBytes(Uint8Array.from(xs));
  t.is(hashToScalar('foo'), le([253, 57, 224, 227, 175, 195, 226, 82, 46, 175, 33, 126, 171, 239, 255, 92, 108, 168, 6, 79, 90, 11, 235, 236, 221, 10, 85, 133, 42, 81, 95, 30]));
  t.is(hashToScalar('bar'), le([48, 83, 69, 52, 42, 18, 135, 244, 211, 190, 160, 196, 118, 154, 24, 126, 0, 125, 72, 201, 170, 225, 123, 201, 52, 120, 171, 132, 235, 182, 20, 26]));
  const msg3 = Uint8Array.from([
    33, 135, 76, 234, 71, 35, 247, 216, 39, 242, 42, 88, 152, 29, 74, 135, 9, 29, 216, 123, 250, 87, 108, 29, 245, 126, 109, 102, 84, 71, 158, 224,
    145, 243, 49, 121, 244, 27, 115, 121, 25, 66, 216, 67, 97, 101, 140, 160, 77, 239, 114, 215, 152, 48, 15, 231, 101, 60, 42, 92, 128, 131, 161, 43,
  ]);
  t.is(hashToScalar(msg3), le([128, 189, 8, 43, 186, 55, 52, 61, 171, 196, 159, 177, 162, 100, 27, 143, 85, 83, 218, 171, 91, 220, 155, 25, 7, 38, 2, 36, 4, 93, 136, 4]));
});

test('hash_g1 is RFC 9380 hash_to_curve with upstream’s domain, into the prime-order subgroup', (t) => {
  const h = hashG1('gamma1');
  h.assertValidity();
  t.false(h.is0());
  t.true(h.equals(bls12_381.G1.hashToCurve(new TextEncoder().encode('gamma1'), { DST: G1_HASH_DOMAIN }) as never));
  t.false(h.equals(hashG1('gamma2')));
  t.is(groupParameters().gammas.length, 4);
});

test('hash_g1 and the gammas agree with upstream’s WASM: the withdrawal request’s commitment hash', async (t) => {
  for (const type of ['v1-mixnet-entry', 'v1-wireguard-exit'] as const) {
    const now = new Date();
    const expiration = fromJulianDay(toJulianDay(ecashDate(now.getUTCFullYear(), now.getUTCMonth() + 1, now.getUTCDate())) + 6);
    const body = await withIssuanceSession((s) => s.withdrawalRequest(type, expiration));
    const req = withdrawalRequestFromBs58(body.withdrawalRequest);
    const { gammas } = groupParameters();
    const combined = req.joinedCommitment
      .add(scale(gammas[2]!, dateScalar(ecashUnixTimestamp(expiration))))
      .add(scale(gammas[3]!, typeScalar(encodeTicketType(type))));
    const h = hashG1(combined.toBytes(true));
    t.true(h.equals(req.joinedCommitmentHash), `commitment hash for ${type}`);
    // and a different type or date gives a different hash: the check is not vacuous
    const other = req.joinedCommitment
      .add(scale(gammas[2]!, dateScalar(ecashUnixTimestamp(expiration) + 86400)))
      .add(scale(gammas[3]!, typeScalar(encodeTicketType(type))));
    t.false(hashG1(other.toBytes(true)).equals(req.joinedCommitmentHash));
  }
});

test('hash_g1 against upstream-made points: the h of each expiration-date signature in nym-api’s JSON fixture', (t) => {
  const set = parseExpirationDateSignatures(JSON.parse(EXPIRATION_SIGNATURES_JSON));
  t.is(set.epochId, 0);
  t.deepEqual(set.expirationDate, { year: 2024, month: 8, day: 3 });
  t.is(set.signatures.length, 30);
  set.signatures.forEach((s, i) => {
    t.is(s.expirationTimestamp, ecashUnixTimestamp(set.expirationDate));
    t.is(s.spendingTimestamp, s.expirationTimestamp - (29 - i) * 86400);
    // h = hash_g1(scalar(expiration) ‖ scalar(spending day)), computed by upstream
    t.true(expirationSignatureBase(s.expirationTimestamp, s.spendingTimestamp).equals(s.signature.h), `signature ${i}`);
  });
});

test('the JSON signature sets refuse bad hex, points off the curve, impossible dates and wrong types', (t) => {
  const good = JSON.parse(EXPIRATION_SIGNATURES_JSON) as { expiration_date: string; signatures: { signature: { h: string; s: string }; index?: number }[] };
  const mutate = (f: (j: typeof good) => void) => {
    const j = JSON.parse(JSON.stringify(good)) as typeof good;
    f(j);
    return j;
  };
  t.throws(() => parseExpirationDateSignatures(mutate((j) => (j.signatures[0]!.signature.h = j.signatures[0]!.signature.h.toUpperCase()))), { instanceOf: EcashError });
  t.throws(() => parseExpirationDateSignatures(mutate((j) => (j.signatures[0]!.signature.h = j.signatures[0]!.signature.h.slice(2)))), { instanceOf: EcashError });
  const off = t.throws(() => parseExpirationDateSignatures(mutate((j) => (j.signatures[3]!.signature.s = '80' + '0'.repeat(92) + '03') /* x = 3: x³ + 4 has no square root */)), { instanceOf: EcashError });
  t.is(off!.code, 'point');
  t.throws(() => parseExpirationDateSignatures(mutate((j) => (j.expiration_date = '2024-02-30'))), { instanceOf: EcashError });
  t.throws(() => parseExpirationDateSignatures(mutate((j) => ((j as unknown as { signatures: unknown }).signatures = 'x'))), { instanceOf: EcashError });
  t.throws(() => parseWalletSharesAnswer({ epochId: -1, shares: [] }), { instanceOf: EcashError });
  t.throws(() => parseWalletSharesAnswer({ epochId: 1, shares: [{ nodeIndex: 1, bs58EncodedShare: '0OIl' }] }), { instanceOf: EcashError });
});
