// check_bilinear_pairing (nym_offline_compact_ecash/src/utils.rs): e(p, q) == e(r, g2), evaluated as one
// multi-pairing e(p, q)·e(-r, g2) == 1 with @noble/curves. Points at infinity (which noble refuses to pair)
// make the check fail, as a forged signature should.
import { bls12_381 } from '@noble/curves/bls12-381.js';
import { G2, type G1Point, type G2Point } from './group-elements.js';

const Fp12 = bls12_381.fields.Fp12;

export function checkBilinearPairing(p: G1Point, q: G2Point, r: G1Point): boolean {
  if (p.is0() || q.is0() || r.is0()) return false;
  return Fp12.eql(bls12_381.pairingBatch([{ g1: p, g2: q }, { g1: r.negate(), g2: G2.BASE }]), Fp12.ONE);
}
