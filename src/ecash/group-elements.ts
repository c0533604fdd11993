// BLS12-381 group elements and scalars in the byte forms upstream uses (the zkcrypto `bls12_381` API that
// nym-bls12_381-fork keeps): a scalar is 32 bytes little-endian and must be canonical (< r) —
// `Scalar::from_bytes` refuses anything else; G1 and G2 points are the 48- and 96-byte compressed forms
// (`G1Affine::from_compressed`), which check the flag bits, that x is a canonical field element, that the
// point is on the curve and that it lies in the prime-order subgroup. All arithmetic is @noble/curves'.
import { bls12_381 } from '@noble/curves/bls12-381.js';
import { EcashError } from './errors.js';

export const G1 = bls12_381.G1.Point;
export const G2 = bls12_381.G2.Point;
export type G1Point = InstanceType<typeof G1>;
export type G2Point = InstanceType<typeof G2>;

/** The order r of G1, G2 and the scalar field. */
export const SCALAR_ORDER: bigint = bls12_381.fields.Fr.ORDER;

export const SCALAR_BYTES = 32;
export const G1_BYTES = 48;
export const G2_BYTES = 96;

const COMPRESSED_FLAG = 0x80;

export function scalarToBytes(s: bigint): Uint8Array {
  if (s < 0n || s >= SCALAR_ORDER) throw new EcashError('scalar', 'scalar', 'not reduced modulo r');
  const out = new Uint8Array(SCALAR_BYTES);
  let v = s;
  for (let i = 0; i < SCALAR_BYTES; i++) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

export function scalarFromBytes(bytes: Uint8Array, what = 'scalar'): bigint {
  if (bytes.length !== SCALAR_BYTES) throw new EcashError('length', what, `${bytes.length} bytes, a scalar is ${SCALAR_BYTES}`);
  let v = 0n;
  for (let i = SCALAR_BYTES - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[i]!);
  if (v >= SCALAR_ORDER) throw new EcashError('scalar', what, 'not canonical (>= r)');
  return v;
}

export function g1ToBytes(p: G1Point): Uint8Array {
  return p.toBytes(true);
}

export function g2ToBytes(p: G2Point): Uint8Array {
  return p.toBytes(true);
}

export function g1FromBytes(bytes: Uint8Array, what = 'G1 point'): G1Point {
  return decodePoint(bytes, G1_BYTES, what, (b) => G1.fromBytes(b));
}

export function g2FromBytes(bytes: Uint8Array, what = 'G2 point'): G2Point {
  return decodePoint(bytes, G2_BYTES, what, (b) => G2.fromBytes(b));
}

function decodePoint<P>(bytes: Uint8Array, size: number, what: string, decode: (b: Uint8Array) => P): P {
  if (bytes.length !== size) throw new EcashError('length', what, `${bytes.length} bytes, a compressed point is ${size}`);
  // Upstream only ever accepts the compressed form; say so before noble reports something vaguer.
  if ((bytes[0]! & COMPRESSED_FLAG) === 0) throw new EcashError('point', what, 'compression flag not set');
  try {
    return decode(bytes);
  } catch (e) {
    // noble's messages name the failed check: bad flags, non-canonical x, no square root (off the curve),
    // not in the prime-order subgroup.
    throw new EcashError('point', what, (e as Error).message);
  }
}

/**
 * p·s for any s in [0, r). noble's constant-time `multiply` refuses 0, which the scheme does use (the ticket
 * type v1-mixnet-entry is the scalar 0, `Scalar::from(0)` in upstream).
 */
export function scale(p: G1Point, s: bigint): G1Point;
export function scale(p: G2Point, s: bigint): G2Point;
export function scale(p: G1Point | G2Point, s: bigint): G1Point | G2Point {
  if (s < 0n || s >= SCALAR_ORDER) throw new EcashError('scalar', 'scalar', 'not reduced modulo r');
  if (s === 0n) return p.constructor === G1 ? G1.ZERO : G2.ZERO;
  return p.multiply(s);
}
