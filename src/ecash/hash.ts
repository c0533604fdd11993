// Upstream's two hash functions (nym_offline_compact_ecash/src/utils.rs at nymtech/nym daed9cd15bc0,
// unchanged since the WASM's commit 2ca7c7a252a8), done by @noble/curves:
//   hash_g1        — RFC 9380 hash_to_curve for BLS12-381 G1 (expand_message_xmd with SHA-256, SSWU, random
//                    oracle), with the domain below;
//   hash_to_scalar — RFC 9380 hash_to_field over the scalar field, one element, L = 48 bytes, the same
//                    expander, with the scalar domain below (the fork's `Scalar::hash_to_field`).
import { bls12_381 } from '@noble/curves/bls12-381.js';
import type { G1Point } from './group-elements.js';

export const G1_HASH_DOMAIN = 'NYMECASH-V01-CS02-with-BLS12381G1_XMD:SHA-256_SSWU_RO_';
export const SCALAR_HASH_DOMAIN = 'NYMECASH-V01-CS02-with-expander-SHA256';

const utf8 = (s: string) => new TextEncoder().encode(s);

export function hashG1(msg: Uint8Array | string): G1Point {
  const bytes = typeof msg === 'string' ? utf8(msg) : msg;
  return bls12_381.G1.hashToCurve(bytes, { DST: G1_HASH_DOMAIN }) as unknown as G1Point;
}

export function hashToScalar(msg: Uint8Array | string): bigint {
  const bytes = typeof msg === 'string' ? utf8(msg) : msg;
  return bls12_381.G1.hashToScalar(bytes, { DST: SCALAR_HASH_DOMAIN });
}
