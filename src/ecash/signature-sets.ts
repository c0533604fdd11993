// The two signature sets a spend needs from the issuers, and their checks against the master key: the
// expiration-date signatures (scheme/expiration_date_signatures.rs verify_valid_dates_signatures) and the
// coin-index signatures (scheme/coin_indices_signatures.rs verify_coin_indices_signatures), nymtech/nym
// daed9cd15bc0. The WASM copies these sets into its export without checking them, so a client checks them
// before it relies on them. Upstream verifies with one randomised batch pairing; here each signature is one
// multi-pairing (7 + 50 of them, once per ticketbook and epoch).
import { EcashError } from './errors.js';
import { scale, type G1Point } from './group-elements.js';
import { CRED_VALIDITY_PERIOD_DAYS, SECONDS_PER_DAY, TYPE_EXP, TYPE_IDX, dateScalar } from './group-parameters.js';
import { hashG1 } from './hash.js';
import { checkBilinearPairing } from './pairing.js';
import type { Signature } from './payment.js';
import { scalarToBytes } from './group-elements.js';
import { TICKETBOOK_SIZE } from './ticket-type.js';
import { verificationKeyToBytes, type VerificationKey } from './verification-key.js';

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

/** The unix days a ticketbook expiring at `expirationTimestamp` can be spent on, oldest first. */
export function validSpendingTimestamps(expirationTimestamp: number): number[] {
  return Array.from({ length: CRED_VALIDITY_PERIOD_DAYS }, (_, l) => expirationTimestamp - (CRED_VALIDITY_PERIOD_DAYS - l - 1) * SECONDS_PER_DAY);
}

/** h of the date signature for (expiration, spending day): hash_g1(scalar bytes of both, little-endian). */
export function expirationSignatureBase(expirationTimestamp: number, spendingTimestamp: number): G1Point {
  return hashG1(concat(scalarToBytes(dateScalar(expirationTimestamp)), scalarToBytes(dateScalar(spendingTimestamp))));
}

/** h of the coin-index signature for `index`: hash_g1(master key bytes ‖ index as u64 little-endian). */
export function coinIndexSignatureBase(masterKey: VerificationKey, index: number): G1Point {
  const idx = new Uint8Array(8);
  new DataView(idx.buffer).setBigUint64(0, BigInt(index), true);
  return hashG1(concat(verificationKeyToBytes(masterKey), idx));
}

/** Checks the date signature for the i-th valid spending day (0 = the oldest) of a book expiring then. */
export function checkExpirationDateSignature(vk: VerificationKey, sig: Signature, i: number, expirationTimestamp: number): void {
  const what = 'expiration date signatures';
  if (vk.betaG2.length < 3) throw new EcashError('value', what, 'verification key too short');
  const day = validSpendingTimestamps(expirationTimestamp)[i];
  if (day === undefined) throw new EcashError('value', what, `no spending day ${i}`);
  const partially = vk.alpha.add(scale(vk.betaG2[0]!, dateScalar(expirationTimestamp))).add(scale(vk.betaG2[2]!, TYPE_EXP));
  if (!sig.h.equals(expirationSignatureBase(expirationTimestamp, day))) throw new EcashError('value', what, `signature ${i} is not on that day`);
  if (!checkBilinearPairing(sig.h, partially.add(scale(vk.betaG2[1]!, dateScalar(day))), sig.s)) throw new EcashError('value', what, `signature ${i} does not verify`);
}

export function verifyExpirationDateSignatures(vk: VerificationKey, signatures: readonly Signature[], expirationTimestamp: number): void {
  const what = 'expiration date signatures';
  if (signatures.length !== CRED_VALIDITY_PERIOD_DAYS) throw new EcashError('value', what, `${signatures.length}, wants ${CRED_VALIDITY_PERIOD_DAYS}`);
  signatures.forEach((sig, i) => checkExpirationDateSignature(vk, sig, i, expirationTimestamp));
}

/** Checks the coin-index signature of index i; `masterKey` is hashed into h, `vk` verifies. */
export function checkCoinIndexSignature(masterKey: VerificationKey, vk: VerificationKey, sig: Signature, i: number): void {
  const what = 'coin index signatures';
  if (vk.betaG2.length < 3) throw new EcashError('value', what, 'verification key too short');
  const partially = vk.alpha.add(scale(vk.betaG2[1]!, TYPE_IDX)).add(scale(vk.betaG2[2]!, TYPE_IDX));
  if (!sig.h.equals(coinIndexSignatureBase(masterKey, i))) throw new EcashError('value', what, `signature ${i} is not on index ${i}`);
  if (!checkBilinearPairing(sig.h, partially.add(scale(vk.betaG2[0]!, BigInt(i))), sig.s)) throw new EcashError('value', what, `signature ${i} does not verify`);
}

/** `masterKey` names the key whose bytes are hashed into each h; `vk` verifies (the same key for aggregated sets). */
export function verifyCoinIndexSignatures(masterKey: VerificationKey, vk: VerificationKey, signatures: readonly Signature[]): void {
  const what = 'coin index signatures';
  if (signatures.length !== TICKETBOOK_SIZE) throw new EcashError('value', what, `${signatures.length}, wants ${TICKETBOOK_SIZE}`);
  signatures.forEach((sig, i) => checkCoinIndexSignature(masterKey, vk, sig, i));
}
