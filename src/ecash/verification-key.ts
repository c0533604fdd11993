// An issuer's (or the aggregated master) verification key, VerificationKeyAuth, and its byte form
// (nym_offline_compact_ecash/src/scheme/keygen.rs to_bytes / try_from): alpha (G2, 96) ‖ number of betas as
// u64 LITTLE-endian ‖ beta_g1 (48 each) ‖ beta_g2 (96 each). The vpn-api and the WASM pass it as bs58.
// Keys made by ttp_keygen carry ATTRIBUTES_LEN + 1 = 5 betas.
import { base58 } from '@scure/base';
import { EcashError } from './errors.js';
import { G1_BYTES, G2_BYTES, g1FromBytes, g1ToBytes, g2FromBytes, g2ToBytes, scale, type G1Point, type G2Point } from './group-elements.js';
import { lagrangeCoefficientsAtOrigin } from './scalar-field.js';

export interface VerificationKey {
  readonly alpha: G2Point;
  readonly betaG1: readonly G1Point[];
  readonly betaG2: readonly G2Point[];
}

/** More betas than this is no key the scheme makes (5); refusing early bounds the work on hostile input. */
const MAX_BETAS = 16;

export function verificationKeyToBytes(vk: VerificationKey): Uint8Array {
  if (vk.betaG1.length !== vk.betaG2.length) throw new EcashError('value', 'verification key', 'beta_g1 and beta_g2 differ in length');
  const n = vk.betaG1.length;
  const out = new Uint8Array(G2_BYTES + 8 + n * (G1_BYTES + G2_BYTES));
  out.set(g2ToBytes(vk.alpha), 0);
  new DataView(out.buffer).setBigUint64(G2_BYTES, BigInt(n), true);
  vk.betaG1.forEach((b, i) => out.set(g1ToBytes(b), G2_BYTES + 8 + i * G1_BYTES));
  vk.betaG2.forEach((b, i) => out.set(g2ToBytes(b), G2_BYTES + 8 + n * G1_BYTES + i * G2_BYTES));
  return out;
}

export function verificationKeyFromBytes(bytes: Uint8Array): VerificationKey {
  const what = 'verification key';
  const per = G1_BYTES + G2_BYTES;
  if (bytes.length < G2_BYTES + 8 + per || (bytes.length - 8 - G2_BYTES) % per !== 0) {
    throw new EcashError('length', what, `${bytes.length} bytes is not 104 + k·144 with k ≥ 1`);
  }
  const declared = new DataView(bytes.buffer, bytes.byteOffset, bytes.length).getBigUint64(G2_BYTES, true);
  const n = (bytes.length - 8 - G2_BYTES) / per;
  if (declared !== BigInt(n)) throw new EcashError('length', what, `declares ${declared} betas, holds ${n}`);
  if (n > MAX_BETAS) throw new EcashError('length', what, `${n} betas`);
  const alpha = g2FromBytes(bytes.subarray(0, G2_BYTES), `${what}.alpha`);
  const g1At = G2_BYTES + 8;
  const g2At = g1At + n * G1_BYTES;
  const betaG1 = Array.from({ length: n }, (_, i) => g1FromBytes(bytes.subarray(g1At + i * G1_BYTES, g1At + (i + 1) * G1_BYTES), `${what}.beta_g1[${i}]`));
  const betaG2 = Array.from({ length: n }, (_, i) => g2FromBytes(bytes.subarray(g2At + i * G2_BYTES, g2At + (i + 1) * G2_BYTES), `${what}.beta_g2[${i}]`));
  return { alpha, betaG1, betaG2 };
}

export function verificationKeyFromBs58(s: string): VerificationKey {
  let bytes: Uint8Array;
  try {
    bytes = base58.decode(s);
  } catch (e) {
    throw new EcashError('format', 'verification key', `not base58: ${(e as Error).message}`);
  }
  return verificationKeyFromBytes(bytes);
}

export const verificationKeyToBs58 = (vk: VerificationKey): string => base58.encode(verificationKeyToBytes(vk));

/**
 * The master key from partial keys and their signer indices (aggregation.rs aggregate_verification_keys:
 * Lagrange interpolation at 0). Lets a client check that the partial keys it was given belong to the master
 * key it was given — something the WASM does not check.
 */
export function aggregateVerificationKeys(keys: readonly VerificationKey[], indices: readonly bigint[]): VerificationKey {
  if (keys.length === 0 || keys.length !== indices.length) throw new EcashError('value', 'aggregate verification keys', 'needs one index per key');
  if (new Set(indices.map(String)).size !== indices.length) throw new EcashError('value', 'aggregate verification keys', 'repeated signer index');
  const n = keys[0]!.betaG1.length;
  if (keys.some((k) => k.betaG1.length !== n || k.betaG2.length !== n)) throw new EcashError('value', 'aggregate verification keys', 'keys of different sizes');
  const l = lagrangeCoefficientsAtOrigin(indices);
  const sumG1 = (pick: (k: VerificationKey) => G1Point) => keys.reduce((acc, k, i) => acc.add(scale(pick(k), l[i]!)), scale(pick(keys[0]!), 0n));
  const sumG2 = (pick: (k: VerificationKey) => G2Point) => keys.reduce((acc, k, i) => acc.add(scale(pick(k), l[i]!)), scale(pick(keys[0]!), 0n));
  return {
    alpha: sumG2((k) => k.alpha),
    betaG1: Array.from({ length: n }, (_, j) => sumG1((k) => k.betaG1[j]!)),
    betaG2: Array.from({ length: n }, (_, j) => sumG2((k) => k.betaG2[j]!)),
  };
}
