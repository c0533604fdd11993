// Arithmetic in the scalar field Fr of BLS12-381, by @noble/curves' field implementation, plus the two ways
// upstream turns bytes into scalars: `Scalar::from_bytes_wide` (64 bytes little-endian, reduced) for random
// scalars and Fiat–Shamir challenges.
import { bls12_381 } from '@noble/curves/bls12-381.js';

export const Fr = bls12_381.fields.Fr;

/** Scalar::from_bytes_wide: a 512-bit little-endian integer reduced modulo r. */
export function scalarFromWideBytes(bytes: Uint8Array): bigint {
  if (bytes.length !== 64) throw new RangeError(`from_bytes_wide takes 64 bytes, got ${bytes.length}`);
  let v = 0n;
  for (let i = 63; i >= 0; i--) v = (v << 8n) | BigInt(bytes[i]!);
  return Fr.create(v);
}

/** A uniformly random scalar from 64 injected random bytes (as `Scalar::random` draws them). */
export function randomScalar(randomBytes: (n: number) => Uint8Array): bigint {
  return scalarFromWideBytes(randomBytes(64));
}

/**
 * Lagrange coefficients at 0 for the signer indices `points` (utils.rs generate_lagrangian_coefficients_at_origin):
 * l_i = prod_{j != i} (0 - x_j) / (x_i - x_j).
 */
export function lagrangeCoefficientsAtOrigin(points: readonly bigint[]): bigint[] {
  return points.map((xi, i) => {
    let num = 1n;
    let den = 1n;
    points.forEach((xj, j) => {
      if (j === i) return;
      num = Fr.mul(num, Fr.neg(Fr.create(xj)));
      den = Fr.mul(den, Fr.sub(Fr.create(xi), Fr.create(xj)));
    });
    return Fr.div(num, den);
  });
}
