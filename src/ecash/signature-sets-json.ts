// The signature sets and shares answer in the JSON the vpn-api / credential proxy hands out, parsed strictly.
// Shapes (serde, field names as in the Rust):
//   TicketbookWalletSharesResponse (nym-credential-proxy-requests api/v1/ticketbook/models.rs, camelCase):
//     { epochId, shares: [{ nodeIndex, bs58EncodedShare }], masterVerificationKey?: { epochId, bs58EncodedKey },
//       aggregatedCoinIndexSignatures?: { signatures: AggregatedCoinIndicesSignatures },
//       aggregatedExpirationDateSignatures?: { signatures: AggregatedExpirationDateSignatures } }
//   AggregatedExpirationDateSignatures (common/credentials serialiser/signatures.rs, snake_case):
//     { epoch_id, expiration_date: "YYYY-MM-DD", signatures: [{ signature: { h, s }, expiration_timestamp, spending_timestamp }] }
//   AggregatedCoinIndicesSignatures: { epoch_id, signatures: [{ signature: { h, s }, index }] }
// In JSON (a human-readable serde format) a G1 point is the lowercase hex of its 48-byte compressed form — as
// upstream's own fixture in nym-api/nym-api-requests/src/ecash/models.rs (tests) shows; a date is
// "YYYY-MM-DD" (nym_serde_helpers::date / the api's date_serde).
import { parseEcashDate, type EcashDate } from './ecash-date.js';
import { EcashError } from './errors.js';
import { G1_BYTES, g1FromBytes, type G1Point } from './group-elements.js';
import type { Signature } from './payment.js';

/** Upstream answers hold at most a ticketbook's 50 coin signatures; older epochs signed 30 dates. */
const MAX_SIGNATURES = 1000;

type Obj = Record<string, unknown>;

function obj(v: unknown, what: string): Obj {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new EcashError('format', what, 'not an object');
  return v as Obj;
}

function uint(o: Obj, k: string, what: string, max = Number.MAX_SAFE_INTEGER): number {
  const v = o[k];
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0 || v > max) throw new EcashError('format', `${what}.${k}`, `not an unsigned integer: ${JSON.stringify(v)}`);
  return v;
}

function list(o: Obj, k: string, what: string): unknown[] {
  const v = o[k];
  if (!Array.isArray(v)) throw new EcashError('format', `${what}.${k}`, 'not an array');
  if (v.length > MAX_SIGNATURES) throw new EcashError('length', `${what}.${k}`, `${v.length} entries`);
  return v;
}

function hexPoint(v: unknown, what: string): G1Point {
  if (typeof v !== 'string' || !/^[0-9a-f]*$/.test(v) || v.length !== 2 * G1_BYTES) throw new EcashError('format', what, 'not the hex of a compressed G1 point');
  return g1FromBytes(Uint8Array.from(Buffer.from(v, 'hex')), what);
}

function signature(v: unknown, what: string): Signature {
  const o = obj(v, what);
  return { h: hexPoint(o.h, `${what}.h`), s: hexPoint(o.s, `${what}.s`) };
}

export interface ExpirationDateSignatureSet {
  epochId: number;
  expirationDate: EcashDate;
  signatures: { signature: Signature; expirationTimestamp: number; spendingTimestamp: number }[];
}

export interface CoinIndexSignatureSet {
  epochId: number;
  signatures: { signature: Signature; index: number }[];
}

export function parseExpirationDateSignatures(v: unknown, what = 'expiration date signatures'): ExpirationDateSignatureSet {
  const o = obj(v, what);
  return {
    epochId: uint(o, 'epoch_id', what),
    expirationDate: parseEcashDate(o.expiration_date, `${what}.expiration_date`),
    signatures: list(o, 'signatures', what).map((x, i) => {
      const w = `${what}.signatures[${i}]`;
      const e = obj(x, w);
      return { signature: signature(e.signature, `${w}.signature`), expirationTimestamp: uint(e, 'expiration_timestamp', w, 0xffff_ffff), spendingTimestamp: uint(e, 'spending_timestamp', w, 0xffff_ffff) };
    }),
  };
}

export function parseCoinIndexSignatures(v: unknown, what = 'coin index signatures'): CoinIndexSignatureSet {
  const o = obj(v, what);
  return {
    epochId: uint(o, 'epoch_id', what),
    signatures: list(o, 'signatures', what).map((x, i) => {
      const w = `${what}.signatures[${i}]`;
      const e = obj(x, w);
      return { signature: signature(e.signature, `${w}.signature`), index: uint(e, 'index', w) };
    }),
  };
}

export interface WalletSharesAnswer {
  epochId: number;
  shares: { nodeIndex: number; bs58EncodedShare: string }[];
  masterVerificationKey?: { epochId: number; bs58EncodedKey: string };
  coinIndexSignatures?: CoinIndexSignatureSet;
  expirationDateSignatures?: ExpirationDateSignatureSet;
}

const BS58 = /^[1-9A-HJ-NP-Za-km-z]+$/;

/** TicketbookWalletSharesResponse, as NymVpnZkNym.blinded_shares carries it. */
export function parseWalletSharesAnswer(v: unknown, what = 'blinded shares'): WalletSharesAnswer {
  const o = obj(v, what);
  const out: WalletSharesAnswer = {
    epochId: uint(o, 'epochId', what),
    shares: list(o, 'shares', what).map((x, i) => {
      const w = `${what}.shares[${i}]`;
      const e = obj(x, w);
      const share = e.bs58EncodedShare;
      if (typeof share !== 'string' || !BS58.test(share) || share.length > 200) throw new EcashError('format', `${w}.bs58EncodedShare`, 'not a bs58 share');
      return { nodeIndex: uint(e, 'nodeIndex', w), bs58EncodedShare: share };
    }),
  };
  const mk = o.masterVerificationKey;
  if (mk !== undefined && mk !== null) {
    const m = obj(mk, `${what}.masterVerificationKey`);
    const key = m.bs58EncodedKey;
    if (typeof key !== 'string' || !BS58.test(key) || key.length > 4000) throw new EcashError('format', `${what}.masterVerificationKey.bs58EncodedKey`, 'not a bs58 key');
    out.masterVerificationKey = { epochId: uint(m, 'epochId', `${what}.masterVerificationKey`), bs58EncodedKey: key };
  }
  const coins = o.aggregatedCoinIndexSignatures;
  if (coins !== undefined && coins !== null) out.coinIndexSignatures = parseCoinIndexSignatures(obj(coins, `${what}.aggregatedCoinIndexSignatures`).signatures, `${what}.aggregatedCoinIndexSignatures.signatures`);
  const dates = o.aggregatedExpirationDateSignatures;
  if (dates !== undefined && dates !== null) out.expirationDateSignatures = parseExpirationDateSignatures(obj(dates, `${what}.aggregatedExpirationDateSignatures`).signatures, `${what}.aggregatedExpirationDateSignatures.signatures`);
  return out;
}

/** The JSON form of a signature set entry, for the lab (the inverse of the parsers above). */
export const signatureJson = (s: Signature): { h: string; s: string } => ({ h: s.h.toHex(true), s: s.s.toHex(true) });
