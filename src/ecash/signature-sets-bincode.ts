// The two signature sets as the ticketbook export carries them: VersionSerialised revision 2 of
// AggregatedExpirationDateSignatures / AggregatedCoinIndicesSignatures (nymtech/nym common/credentials
// src/ecash/bandwidth/serialiser/signatures.rs, daed9cd15bc0), bincode with the crate's options (big-endian,
// varint; src/codec/bincode.ts), serde derive in field order:
//   expiration: epoch_id u64, expiration_date (nym_serde_helpers::date: the string "YYYY-MM-DD" in every
//               format), signatures Vec<{ signature {h, s}, expiration_timestamp u32, spending_timestamp u32 }>
//   coin index: epoch_id u64, signatures Vec<{ signature {h, s}, index u64 }>
// A G1 point is a byte string of its 48-byte compressed form, as everywhere in these structures.
// Then the sets a spend wants, in order: one signature per valid spending day, one per coin index.
import { BincodeReader } from '../codec/bincode.js';
import { ecashUnixTimestamp, formatEcashDate, parseEcashDate, type EcashDate } from './ecash-date.js';
import { EcashError } from './errors.js';
import { asEcashError, readSignature, type Signature } from './payment.js';
import { validSpendingTimestamps } from './signature-sets.js';
import type { CoinIndexSignatureSet, ExpirationDateSignatureSet } from './signature-sets-json.js';
import { TICKETBOOK_SIZE } from './ticket-type.js';

export const SIGNATURE_SETS_REVISION = 2;
const MAX_SIGNATURES = 1000;

function checkRevision(v: { revision: number }, what: string): void {
  if (v.revision !== SIGNATURE_SETS_REVISION) throw new EcashError('format', what, `serialisation revision ${v.revision}, this parser knows ${SIGNATURE_SETS_REVISION}`);
}

function epochOf(r: BincodeReader, what: string): number {
  const e = r.u64(`${what}.epoch_id`);
  if (e > BigInt(Number.MAX_SAFE_INTEGER)) throw new EcashError('value', `${what}.epoch_id`, `${e} is too large`);
  return Number(e);
}

export function expirationDateSignaturesFromBincode(v: { revision: number; data: Uint8Array }): ExpirationDateSignatureSet {
  const what = 'expiration date signatures';
  checkRevision(v, what);
  return asEcashError(() => {
    const r = new BincodeReader(v.data);
    const epochId = epochOf(r, what);
    const expirationDate = parseEcashDate(r.string(10, `${what}.expiration_date`), `${what}.expiration_date`);
    let i = 0;
    const signatures = r.seq(MAX_SIGNATURES, (rr) => {
      const w = `${what}.signatures[${i++}]`;
      return { signature: readSignature(rr, `${w}.signature`), expirationTimestamp: rr.u32(`${w}.expiration_timestamp`), spendingTimestamp: rr.u32(`${w}.spending_timestamp`) };
    }, `${what}.signatures`);
    r.end(what);
    return { epochId, expirationDate, signatures };
  });
}

export function coinIndexSignaturesFromBincode(v: { revision: number; data: Uint8Array }): CoinIndexSignatureSet {
  const what = 'coin index signatures';
  checkRevision(v, what);
  return asEcashError(() => {
    const r = new BincodeReader(v.data);
    const epochId = epochOf(r, what);
    let i = 0;
    const signatures = r.seq(MAX_SIGNATURES, (rr) => {
      const w = `${what}.signatures[${i++}]`;
      const sig = readSignature(rr, `${w}.signature`);
      const index = rr.u64(`${w}.index`);
      if (index > BigInt(Number.MAX_SAFE_INTEGER)) throw new EcashError('value', `${w}.index`, `${index} is too large`);
      return { signature: sig, index: Number(index) };
    }, `${what}.signatures`);
    r.end(what);
    return { epochId, signatures };
  });
}

/**
 * The signatures a spend takes, oldest spending day first: exactly one for each day the book may be spent
 * on, all for this book's expiration date and epoch (a set for another book is refused, not half used).
 */
export function spendingDateSignatures(set: ExpirationDateSignatureSet, expiration: EcashDate, epochId: number): Signature[] {
  const what = 'expiration date signatures';
  if (set.epochId !== epochId) throw new EcashError('value', what, `for epoch ${set.epochId}, the ticketbook is of epoch ${epochId}`);
  if (formatEcashDate(set.expirationDate) !== formatEcashDate(expiration)) throw new EcashError('value', what, `for ${formatEcashDate(set.expirationDate)}, the ticketbook expires ${formatEcashDate(expiration)}`);
  const exp = ecashUnixTimestamp(expiration);
  return validSpendingTimestamps(exp).map((day) => {
    const found = set.signatures.filter((s) => s.spendingTimestamp === day && s.expirationTimestamp === exp);
    if (found.length !== 1) throw new EcashError('value', what, `${found.length} signatures for spending day ${day}, wants 1`);
    return found[0]!.signature;
  });
}

/** The TICKETBOOK_SIZE coin-index signatures, by index, of this epoch. */
export function coinSignaturesByIndex(set: CoinIndexSignatureSet, epochId: number): Signature[] {
  const what = 'coin index signatures';
  if (set.epochId !== epochId) throw new EcashError('value', what, `for epoch ${set.epochId}, the ticketbook is of epoch ${epochId}`);
  return Array.from({ length: TICKETBOOK_SIZE }, (_, index) => {
    const found = set.signatures.filter((s) => s.index === index);
    if (found.length !== 1) throw new EcashError('value', what, `${found.length} signatures for index ${index}, wants 1`);
    return found[0]!.signature;
  });
}
