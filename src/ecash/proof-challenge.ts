// The Fiat–Shamir challenge both e-cash proofs use (nym_offline_compact_ecash/src/proofs/mod.rs
// compute_challenge): SHA-256 over the concatenated parts, the 32-byte digest placed in the UPPER half of a
// zeroed 64-byte buffer, read as Scalar::from_bytes_wide (little-endian, reduced mod r). Responses are
// r - c·secret (produce_response).
import { sha256 } from '@noble/hashes/sha2.js';
import { Fr, scalarFromWideBytes } from './scalar-field.js';

export function computeChallenge(parts: readonly Uint8Array[]): bigint {
  const h = sha256.create();
  for (const p of parts) h.update(p);
  const wide = new Uint8Array(64);
  wide.set(h.digest(), 32);
  return scalarFromWideBytes(wide);
}

export const produceResponse = (witnessReplacement: bigint, challenge: bigint, secret: bigint): bigint =>
  Fr.sub(witnessReplacement, Fr.mul(challenge, secret));
