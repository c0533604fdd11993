// One error type for everything e-cash refuses, with a code a caller can branch on and the place it
// happened (`what`: the field or structure). Upstream's CompactEcashError has a variant per case
// (nym_offline_compact_ecash/src/error.rs); the codes below group those variants by what went wrong.

export type EcashErrorCode =
  | 'length' // a buffer or a vector of the wrong size (DeserializationLengthMismatch, DeserializationFailure)
  | 'point' // bytes that are not a group element: bad flags, off the curve, outside the subgroup
  | 'scalar' // 32 bytes that are not a canonical scalar (>= r)
  | 'date' // a day outside time::Date's range, or an impossible calendar date
  | 'format' // anything else structurally wrong (bincode varints, enum tags, trailing bytes)
  | 'value'; // a well-formed value the operation cannot use (unknown ticket type, wrong argument)

export class EcashError extends Error {
  override name = 'EcashError';

  constructor(
    readonly code: EcashErrorCode,
    readonly what: string,
    detail: string,
  ) {
    super(`${what}: ${detail}`);
  }
}
