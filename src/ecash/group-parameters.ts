// The scheme's fixed group parameters (nym_offline_compact_ecash/src/scheme/setup.rs GroupParameters::new
// with constants.rs ATTRIBUTES_LEN = 4): the generators of G1 and G2, gamma_i = hash_g1("gamma{i}") for
// i = 1..=4 and delta = hash_g1("delta"). Computed once, on first use.
import { G1, G2, type G1Point, type G2Point } from './group-elements.js';
import { hashG1 } from './hash.js';

export const ATTRIBUTES_LEN = 4;

export interface GroupParameters {
  readonly g1: G1Point;
  readonly g2: G2Point;
  /** gammas[0] pairs with the user's secret key, [1] the wallet secret, [2] the expiration date, [3] the type. */
  readonly gammas: readonly G1Point[];
  readonly delta: G1Point;
}

let cached: GroupParameters | undefined;

export function groupParameters(): GroupParameters {
  cached ??= {
    g1: G1.BASE,
    g2: G2.BASE,
    gammas: Array.from({ length: ATTRIBUTES_LEN }, (_, i) => hashG1(`gamma${i + 1}`)),
    delta: hashG1('delta'),
  };
  return cached;
}

/** Scalar::from(u64) of a date's unix timestamp (helpers.rs date_scalar). */
export const dateScalar = (unixSeconds: number): bigint => BigInt(unixSeconds);
/** Scalar::from(u64) of an encoded ticket type (helpers.rs type_scalar). */
export const typeScalar = (encoded: number): bigint => BigInt(encoded);

// constants.rs TYPE_EXP / TYPE_IDX: Scalar::from_raw of four little-endian u64 limbs taken from ASCII, i.e. the
// 32 ASCII bytes read as one little-endian integer (both are below r, so from_raw leaves them unchanged).
function asciiScalar(s: string): bigint {
  const b = new TextEncoder().encode(s);
  let v = 0n;
  for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]!);
  return v;
}
export const TYPE_EXP = asciiScalar('ZKNYMEXPIRATIONDATE4llCBMEypAxr3');
export const TYPE_IDX = asciiScalar('ZKNYMSINDICESh^7gTYbhnap*12n5GG6');

/** constants.rs CRED_VALIDITY_PERIOD_DAYS (network-defaults TICKETBOOK_VALIDITY_DAYS) and SECONDS_PER_DAY. */
export const CRED_VALIDITY_PERIOD_DAYS = 7;
export const SECONDS_PER_DAY = 86400;
