// Spending one or more tickets of a ticketbook: Wallet::spend / WalletSignatures::spend
// (nym_offline_compact_ecash/src/scheme/mod.rs) and SpendProof::construct (proofs/proof_spend.rs), nymtech/nym
// daed9cd15bc0, on @noble/curves. Pure: randomness comes in as `randomBytes`, the spend date as a timestamp.
//
// Upstream quirk kept for byte-compatibility: the proof's r_k witnesses are empty (the coin-signature
// blinding factors are not proven), so responses_r_k is always empty and kappa_k is not bound by the proof;
// the verifier checks kappa_k only through the coin-index signature pairings.
import { BincodeWriter } from '../codec/bincode.js';
import { EcashError } from './errors.js';
import { g1ToBytes, g2ToBytes, scale, type G1Point, type G2Point } from './group-elements.js';
import { CRED_VALIDITY_PERIOD_DAYS, SECONDS_PER_DAY, dateScalar, groupParameters } from './group-parameters.js';
import { hashToScalar } from './hash.js';
import { PAY_INFO_BYTES } from './pay-info.js';
import type { Payment, Signature, SpendProof } from './payment.js';
import { computeChallenge, produceResponse } from './proof-challenge.js';
import { Fr, randomScalar } from './scalar-field.js';
import { TICKETBOOK_SIZE } from './ticket-type.js';
import type { WalletSignatures } from './ticketbook.js';
import { verificationKeyToBytes, type VerificationKey } from './verification-key.js';

export interface SpendInput {
  readonly wallet: WalletSignatures;
  readonly secretKey: bigint; // SecretKeyUser.sk
  readonly ticketsSpent: number; // l: tickets of this book already spent (the first index used)
  readonly spendValue?: number; // tickets in this payment, default 1
  readonly verificationKey: VerificationKey; // the epoch's master key
  readonly expirationDateSignatures: readonly Signature[]; // CRED_VALIDITY_PERIOD_DAYS, sorted by date
  readonly coinIndexSignatures: readonly Signature[]; // TICKETBOOK_SIZE, sorted by index
  readonly payInfo: Uint8Array; // 72 bytes
  readonly spendTimestamp: number; // UTC midnight of the spend date, unix seconds
  readonly randomBytes: (n: number) => Uint8Array;
}

/** compute_pay_info_hash: hash_to_scalar(pay_info ‖ k as u64 little-endian). */
export function payInfoHash(payInfo: Uint8Array, k: number): bigint {
  const b = new Uint8Array(PAY_INFO_BYTES + 8);
  b.set(payInfo, 0);
  new DataView(b.buffer).setBigUint64(PAY_INFO_BYTES, BigInt(k), true);
  return hashToScalar(b);
}

/** find_index: which of the 7 date signatures covers the spend date. */
export function expirationSignatureIndex(spendTimestamp: number, expirationTimestamp: number): number {
  const start = expirationTimestamp - (CRED_VALIDITY_PERIOD_DAYS - 1) * SECONDS_PER_DAY;
  if (spendTimestamp < start) throw new EcashError('date', 'spend date', 'before the ticketbook is valid');
  const i = Math.floor((spendTimestamp - start) / SECONDS_PER_DAY);
  if (i >= CRED_VALIDITY_PERIOD_DAYS) throw new EcashError('date', 'spend date', 'after the ticketbook expired');
  return i;
}

/** Signature::blind_and_randomise: h' = h·r', s' = s·r' + h'·r; returns (h', s') and r. */
function blindAndRandomise(sig: Signature, rand: () => bigint): { sig: Signature; r: bigint } {
  const r = rand();
  const rPrime = rand();
  const h = scale(sig.h, rPrime);
  return { sig: { h, s: scale(sig.s, rPrime).add(scale(h, r)) }, r };
}

/** SpendInstance::to_bytes: bincode of {kappa, cc, aa, ss, tt, kappa_k, kappa_e}. */
export function spendInstanceBytes(i: { kappa: G2Point; cc: G1Point; aa: readonly G1Point[]; ss: readonly G1Point[]; tt: readonly G1Point[]; kappaK: readonly G2Point[]; kappaE: G2Point }): Uint8Array {
  const w = new BincodeWriter();
  w.bytes(g2ToBytes(i.kappa)).bytes(g1ToBytes(i.cc));
  for (const v of [i.aa, i.ss, i.tt]) w.seq(v, (ww, p) => ww.bytes(g1ToBytes(p)));
  w.seq(i.kappaK, (ww, p) => ww.bytes(g2ToBytes(p)));
  w.bytes(g2ToBytes(i.kappaE));
  return w.finish();
}

/** The parts hashed into the spend proof's challenge, in upstream's order (construct and verify alike). */
export function spendChallengeParts(
  vk: VerificationKey,
  instance: Uint8Array,
  t: { kappa: G2Point; kappaE: G2Point; cc: G1Point; aa: readonly G1Point[]; ss: readonly G1Point[]; kappaK: readonly G2Point[]; gamma1: readonly G1Point[]; tt: readonly G1Point[] },
  payInfo: Uint8Array,
  spendValue: number,
): Uint8Array[] {
  const { g1, g2, gammas } = groupParameters();
  const value = new Uint8Array(8);
  new DataView(value.buffer).setBigUint64(0, BigInt(spendValue), true);
  return [
    g1ToBytes(g1),
    g2ToBytes(g2),
    ...gammas.map(g1ToBytes),
    verificationKeyToBytes(vk),
    instance,
    g2ToBytes(t.kappa),
    g2ToBytes(t.kappaE),
    g1ToBytes(t.cc),
    ...t.aa.map(g1ToBytes),
    ...t.ss.map(g1ToBytes),
    ...t.kappaK.map(g2ToBytes),
    ...t.gamma1.map(g1ToBytes),
    ...t.tt.map(g1ToBytes),
    payInfo,
    value,
  ];
}

export function spend(input: SpendInput): Payment {
  const { wallet, verificationKey: vk } = input;
  const spendValue = input.spendValue ?? 1;
  const l0 = input.ticketsSpent;
  if (input.payInfo.length !== PAY_INFO_BYTES) throw new EcashError('length', 'pay info', `${input.payInfo.length} bytes`);
  if (vk.betaG2.length < 4) throw new EcashError('value', 'verification key', `${vk.betaG2.length} betas, a spend needs at least 4`);
  if (input.expirationDateSignatures.length !== CRED_VALIDITY_PERIOD_DAYS) throw new EcashError('value', 'expiration date signatures', `${input.expirationDateSignatures.length}, wants ${CRED_VALIDITY_PERIOD_DAYS}`);
  if (input.coinIndexSignatures.length !== TICKETBOOK_SIZE) throw new EcashError('value', 'coin index signatures', `${input.coinIndexSignatures.length}, wants ${TICKETBOOK_SIZE}`);
  if (!Number.isInteger(spendValue) || spendValue < 1 || !Number.isInteger(l0) || l0 < 0 || l0 + spendValue > TICKETBOOK_SIZE) {
    throw new EcashError('value', 'spend', `spending ${spendValue} after ${l0} exceeds the ${TICKETBOOK_SIZE} tickets`);
  }
  const rand = () => randomScalar(input.randomBytes);
  const { g1, g2, gammas, delta } = groupParameters();
  const gamma1 = gammas[1]!;
  const expiration = dateScalar(wallet.expirationTimestamp);
  const attributes = [input.secretKey, wallet.v, expiration];

  // the wallet signature, randomised, and kappa proving it
  const { sig: sigPrime, r: signBlinding } = blindAndRandomise(wallet.sig, rand);
  let kappa = scale(g2, signBlinding).add(vk.alpha);
  attributes.forEach((a, i) => (kappa = kappa.add(scale(vk.betaG2[i]!, a))));

  // the expiration-date signature for the spend date, randomised, and kappa_e
  const dateSig = input.expirationDateSignatures[expirationSignatureIndex(input.spendTimestamp, wallet.expirationTimestamp)]!;
  const { sig: dateSigPrime, r: dateBlinding } = blindAndRandomise(dateSig, rand);
  const kappaE = scale(g2, dateBlinding).add(vk.alpha).add(scale(vk.betaG2[0]!, expiration));

  const oC = rand();
  const cc = scale(g1, oC).add(scale(gamma1, wallet.v));

  const aa: G1Point[] = [], ss: G1Point[] = [], tt: G1Point[] = [], kappaK: G2Point[] = [], omega: Signature[] = [];
  const rr: bigint[] = [], oA: bigint[] = [], mu: bigint[] = [], oMu: bigint[] = [], lk: bigint[] = [];
  for (let k = 0; k < spendValue; k++) {
    const l = BigInt(l0 + k);
    lk.push(l);
    const rrK = payInfoHash(input.payInfo, k);
    rr.push(rrK);
    const oAK = rand();
    oA.push(oAK);
    aa.push(scale(g1, oAK).add(scale(gamma1, l)));
    const denominator = Fr.add(Fr.add(wallet.v, l), 1n);
    if (denominator === 0n) throw new EcashError('value', 'spend', 'v + l + 1 = 0 (upstream UnluckiestError)');
    const muK = Fr.inv(denominator);
    mu.push(muK);
    ss.push(scale(delta, muK)); // pseudorandom_f_delta_v
    tt.push(scale(g1, input.secretKey).add(scale(scale(g1, muK), rrK))); // g1·sk + f_g_v(l)·R_k
    oMu.push(Fr.neg(Fr.mul(Fr.add(oAK, oC), muK)));
    const { sig: coinPrime, r: coinBlinding } = blindAndRandomise(input.coinIndexSignatures[Number(l)]!, rand);
    omega.push(coinPrime);
    kappaK.push(scale(g2, coinBlinding).add(vk.alpha).add(scale(vk.betaG2[0]!, l)));
  }

  // SpendProof::construct: witness replacements (attributes, r, r_e, o_c, r_k = [], l, o_a, mu, o_mu)
  const rAttributes = attributes.map(rand);
  const rR = rand();
  const rRE = rand();
  const rOC = rand();
  const rLk = lk.map(rand);
  const rOA = oA.map(rand);
  const rMu = mu.map(rand);
  const rOMu = oMu.map(rand);
  let tKappa = scale(g2, rR).add(vk.alpha);
  rAttributes.forEach((a, i) => (tKappa = tKappa.add(scale(vk.betaG2[i]!, a))));
  const tCc = scale(g1, rOC).add(scale(gamma1, rAttributes[1]!));
  const tKappaE = scale(g2, rRE).add(vk.alpha).add(scale(vk.betaG2[0]!, rAttributes[2]!));
  const tAa = rOA.map((o, k) => scale(g1, o).add(scale(gamma1, rLk[k]!)));
  const tSs = rMu.map((m) => scale(delta, m));
  const tTt = rr.map((rrK, k) => scale(g1, rAttributes[0]!).add(scale(scale(g1, rrK), rMu[k]!)));
  const tGamma1 = aa.map((aaK, k) => scale(aaK.add(cc).add(gamma1), rMu[k]!).add(scale(g1, rOMu[k]!)));
  const instance = spendInstanceBytes({ kappa, cc, aa, ss, tt, kappaK, kappaE });
  const challenge = computeChallenge(
    spendChallengeParts(vk, instance, { kappa: tKappa, kappaE: tKappaE, cc: tCc, aa: tAa, ss: tSs, kappaK: [], gamma1: tGamma1, tt: tTt }, input.payInfo, spendValue),
  );
  const zkProof: SpendProof = {
    challenge,
    responseR: produceResponse(rR, challenge, signBlinding),
    responseRE: produceResponse(rRE, challenge, dateBlinding),
    responsesRK: [],
    responsesL: rLk.map((r, k) => produceResponse(r, challenge, lk[k]!)),
    responsesOA: rOA.map((r, k) => produceResponse(r, challenge, oA[k]!)),
    responseOC: produceResponse(rOC, challenge, oC),
    responsesMu: rMu.map((r, k) => produceResponse(r, challenge, mu[k]!)),
    responsesOMu: rOMu.map((r, k) => produceResponse(r, challenge, oMu[k]!)),
    responsesAttributes: rAttributes.map((r, i) => produceResponse(r, challenge, attributes[i]!)),
  };
  return { kappa, kappaE, sig: sigPrime, sigExp: dateSigPrime, kappaK, omega, ss, tt, aa, spendValue: BigInt(spendValue), cc, tType: wallet.tType, zkProof };
}

