// Lab-only verification of a spent ticket, as a gateway does it: Payment::spend_verify
// (nym_offline_compact_ecash/src/scheme/mod.rs: no_duplicate_serial_numbers, verify_spend_proof,
// check_signature_validity, check_exp_signature_validity, batch_check_coin_index_signatures) with
// SpendProof::verify (proofs/proof_spend.rs), nymtech/nym daed9cd15bc0, pairings from @noble/curves; plus
// double-spend detection by serial number (the gateway's storage keeps the encoded serial numbers).
// The coin-index batch check is done signature by signature here (upstream batches with random weights).
import type { CredentialSpendingData } from '../../../src/ecash/credential-spending-data.js';
import { ecashUnixTimestamp } from '../../../src/ecash/ecash-date.js';
import { EcashError } from '../../../src/ecash/errors.js';
import { scale, type G2Point } from '../../../src/ecash/group-elements.js';
import { TYPE_EXP, TYPE_IDX, dateScalar, groupParameters, typeScalar } from '../../../src/ecash/group-parameters.js';
import { checkBilinearPairing } from '../../../src/ecash/pairing.js';
import { encodedSerialNumber, type Payment } from '../../../src/ecash/payment.js';
import { computeChallenge } from '../../../src/ecash/proof-challenge.js';
import { Fr } from '../../../src/ecash/scalar-field.js';
import { payInfoHash, spendChallengeParts, spendInstanceBytes } from '../../../src/ecash/spend.js';
import type { VerificationKey } from '../../../src/ecash/verification-key.js';

export type SpendRejection = 'duplicate-serial' | 'proof' | 'signature' | 'expiration-signature' | 'coin-signature' | 'shape' | 'double-spend';

export class SpendRejected extends EcashError {
  constructor(readonly reason: SpendRejection, detail: string) {
    super('value', `spend (${reason})`, detail);
  }
}

function verifySpendProof(p: Payment, vk: VerificationKey, payInfo: Uint8Array): boolean {
  const { g1, g2, gammas, delta } = groupParameters();
  const gamma1 = gammas[1]!;
  const z = p.zkProof;
  const c = z.challenge;
  const n = Number(p.spendValue);
  const ra = z.responsesAttributes;
  if (ra.length < 3 || vk.betaG2.length < 4) return false;
  const rr = Array.from({ length: n }, (_, k) => payInfoHash(payInfo, k));
  const oneMinusC = Fr.sub(1n, c);
  let tKappa = scale(p.kappa, c).add(scale(vk.alpha, oneMinusC)).add(scale(g2, z.responseR));
  ra.forEach((a, i) => {
    if (vk.betaG2[i]) tKappa = tKappa.add(scale(vk.betaG2[i]!, a));
  });
  const tCc = scale(g1, z.responseOC).add(scale(gamma1, ra[1]!)).add(scale(p.cc, c));
  const tKappaE = scale(p.kappaE, c).add(scale(vk.alpha, oneMinusC)).add(scale(vk.betaG2[0]!, ra[2]!)).add(scale(g2, z.responseRE));
  // upstream zips these with the instance vectors: the shortest length wins
  const zip = <A, B>(a: readonly A[], b: readonly B[]) => a.slice(0, Math.min(a.length, b.length)).map((x, i) => [x, b[i]!] as const);
  const tAa = zip(zip(z.responsesOA, z.responsesL), p.aa).map(([[o, l], aa]) => scale(g1, o).add(scale(gamma1, l)).add(scale(aa, c)));
  const tSs = zip(z.responsesMu, p.ss).map(([m, s]) => scale(delta, m).add(scale(s, c)));
  const tTt = zip(zip(z.responsesMu, rr), p.tt).map(([[m, r], t]) => scale(g1, ra[0]!).add(scale(scale(g1, r), m)).add(scale(t, c)));
  const tGamma1 = zip(zip(p.aa, z.responsesMu), z.responsesOMu).map(([[aa, m], o]) => scale(aa.add(p.cc).add(gamma1), m).add(scale(g1, o)).add(scale(gamma1, c)));
  const tKappaK: G2Point[] = zip(zip(p.kappaK, z.responsesRK), z.responsesL).map(([[kk, rk], l]) =>
    scale(kk, c).add(scale(g2, rk)).add(scale(vk.alpha, oneMinusC)).add(scale(vk.betaG2[0]!, l)),
  );
  const instance = spendInstanceBytes(p);
  const challenge = computeChallenge(spendChallengeParts(vk, instance, { kappa: tKappa, kappaE: tKappaE, cc: tCc, aa: tAa, ss: tSs, kappaK: tKappaK, gamma1: tGamma1, tt: tTt }, payInfo, n));
  return challenge === c;
}

/** Payment::spend_verify for a CredentialSpendingData, against the epoch's master key. Throws SpendRejected. */
export function verifySpentCredential(csd: CredentialSpendingData, vk: VerificationKey): void {
  const p = csd.payment;
  const n = Number(p.spendValue);
  if (n < 1 || p.ss.length !== n || p.tt.length !== n || p.aa.length !== n || p.kappaK.length !== n || p.omega.length !== n) {
    throw new SpendRejected('shape', `spend_value ${n} with ${p.ss.length} serial numbers, ${p.kappaK.length} kappa_k, ${p.omega.length} coin signatures`);
  }
  const seen = new Set<string>();
  for (const s of p.ss) {
    const key = s.toHex(true);
    if (seen.has(key)) throw new SpendRejected('duplicate-serial', 'a serial number repeats inside the payment');
    seen.add(key);
  }
  if (!verifySpendProof(p, vk, csd.payInfo)) throw new SpendRejected('proof', 'the spend proof does not verify');
  const kappaType = p.kappa.add(scale(vk.betaG2[3]!, typeScalar(p.tType)));
  if (p.sig.h.is0() || !checkBilinearPairing(p.sig.h, kappaType, p.sig.s)) throw new SpendRejected('signature', 'the wallet signature does not verify');
  const spendDate = dateScalar(ecashUnixTimestamp(csd.spendDate));
  const kappaE = p.kappaE.add(scale(vk.betaG2[1]!, spendDate)).add(scale(vk.betaG2[2]!, TYPE_EXP));
  if (p.sigExp.h.is0() || !checkBilinearPairing(p.sigExp.h, kappaE, p.sigExp.s)) throw new SpendRejected('expiration-signature', 'no valid expiration-date signature for the spend date');
  const partially = scale(vk.betaG2[1]!, TYPE_IDX).add(scale(vk.betaG2[2]!, TYPE_IDX));
  p.omega.forEach((sig, k) => {
    if (!checkBilinearPairing(sig.h, partially.add(p.kappaK[k]!), sig.s)) throw new SpendRejected('coin-signature', `coin-index signature ${k} does not verify`);
  });
}

/** A gateway's memory of spent serial numbers (upstream keeps them per epoch in its storage). */
export class SpentSerialNumbers {
  private readonly seen = new Set<string>();

  /** Whether this payment's serial numbers were accepted before (upstream asks its storage before verifying). */
  spentBefore(csd: CredentialSpendingData): boolean {
    return this.seen.has(Buffer.from(encodedSerialNumber(csd.payment)).toString('hex'));
  }

  /** Verifies and records; a serial number seen before is a double spend. */
  accept(csd: CredentialSpendingData, vk: VerificationKey): void {
    verifySpentCredential(csd, vk);
    const serial = Buffer.from(encodedSerialNumber(csd.payment)).toString('hex');
    if (this.seen.has(serial)) throw new SpendRejected('double-spend', 'this serial number was spent before');
    this.seen.add(serial);
  }
}

