// A spent zk-nym ticket as it travels to a gateway: upstream's CredentialSpendingData and its Payment, in both
// of upstream's byte forms (nymtech/nym common/credentials-interface/src/lib.rs, common/nym_offline_compact_ecash
// src/scheme/mod.rs Payment, proofs/proof_spend.rs SpendProof, common_types.rs Signature; commit daed9cd15bc0):
//
// - to_bytes (the credential's own format): u32 BE length of the payment's bytes, the payment's bytes,
//   pay_info (72 bytes), the spend date as a Julian day (i32 BE), epoch_id (u64 BE);
// - serde under bincode (big-endian, varint), which the authenticator's Final and TopUp messages carry: the
//   payment's bytes, pay_info as a byte vector (varint 72, then the bytes), the spend date as the tuple
//   (year i32 zigzag-varint, ordinal day u16 varint) as the time crate serialises a Date, epoch_id varint.
//
// The payment's bytes are themselves bincode (binary_serialiser, the same options) of its serde derive: points as
// byte vectors of their compressed form (G1 48 bytes, G2 96), scalars as byte vectors of 32 (little-endian, as
// bls12_381 writes them), vectors as a varint count then the items, spend_value varint, t_type a u8. Upstream's
// CREDENTIAL_BYTES decodes by these rules to exactly its 1,157 payment bytes with every point on its curve
// (test/ecash/credential-spending-data.test.ts). Pure: no I/O; points checked with @noble/curves.
import { bls12_381 } from '@noble/curves/bls12-381.js';
import { BincodeReader, BincodeWriter, withBincodeErrors } from '../codec/bincode.js';

export class CredentialFormatError extends Error {
  override name = 'CredentialFormatError';
}

export interface SignaturePair {
  h: Uint8Array;
  s: Uint8Array;
}

export interface SpendProof {
  challenge: Uint8Array;
  responseR: Uint8Array;
  responseRE: Uint8Array;
  responsesRK: Uint8Array[];
  responsesL: Uint8Array[];
  responsesOA: Uint8Array[];
  responseOC: Uint8Array;
  responsesMu: Uint8Array[];
  responsesOMu: Uint8Array[];
  responsesAttributes: Uint8Array[];
}

export interface Payment {
  kappa: Uint8Array;
  kappaE: Uint8Array;
  sig: SignaturePair;
  sigExp: SignaturePair;
  kappaK: Uint8Array[];
  omega: SignaturePair[];
  ss: Uint8Array[];
  tt: Uint8Array[];
  aa: Uint8Array[];
  spendValue: bigint;
  cc: Uint8Array;
  /** upstream's TicketTypeRepr: 0 mixnet entry, 1 mixnet exit, 2 wireguard entry, 3 wireguard exit. */
  tType: number;
  zkProof: SpendProof;
}

export interface CredentialSpendingData {
  payment: Payment;
  /** 72 bytes (PayInfo). */
  payInfo: Uint8Array;
  /** The spend date as a Julian day number (time::Date::to_julian_day). */
  spendDateJulian: number;
  epochId: bigint;
}

const G1_LEN = 48;
const G2_LEN = 96;
const SCALAR_LEN = 32;
const PAY_INFO_LEN = 72;
/** Far above what a ticketbook makes (tens of items), low enough to never allocate much on hostile input. */
const MAX_ITEMS = 1024;
const FR_ORDER = bls12_381.fields.Fr.ORDER;

// ---- points and scalars ----

function point(r: BincodeReader, len: number, what: string): Uint8Array {
  const b = r.bytes(len, what);
  if (b.length !== len) throw new CredentialFormatError(`${what}: ${b.length} bytes, a ${len === G1_LEN ? 'G1' : 'G2'} point is ${len}`);
  try {
    (len === G1_LEN ? bls12_381.G1.Point : bls12_381.G2.Point).fromBytes(b);
  } catch (e) {
    throw new CredentialFormatError(`${what}: not a valid compressed ${len === G1_LEN ? 'G1' : 'G2'} point (${(e as Error).message})`);
  }
  return b.slice();
}

function scalar(r: BincodeReader, what: string): Uint8Array {
  const b = r.bytes(SCALAR_LEN, what);
  if (b.length !== SCALAR_LEN) throw new CredentialFormatError(`${what}: ${b.length} bytes, a scalar is 32`);
  let v = 0n;
  for (let i = SCALAR_LEN - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]!);
  if (v >= FR_ORDER) throw new CredentialFormatError(`${what}: not a canonical scalar`);
  return b.slice();
}

function items<T>(r: BincodeReader, what: string, read: (i: number) => T): T[] {
  const n = r.varint(64, `${what} count`);
  if (n > BigInt(MAX_ITEMS)) throw new CredentialFormatError(`${what}: ${n} items, more than ${MAX_ITEMS}`);
  return Array.from({ length: Number(n) }, (_, i) => read(i));
}

const g1 = (r: BincodeReader, what: string) => point(r, G1_LEN, what);
const g2 = (r: BincodeReader, what: string) => point(r, G2_LEN, what);
const sig = (r: BincodeReader, what: string): SignaturePair => ({ h: g1(r, `${what}.h`), s: g1(r, `${what}.s`) });

function writePoint(w: BincodeWriter, p: Uint8Array, len: number): void {
  if (p.length !== len) throw new CredentialFormatError(`a point of ${p.length} bytes where ${len} belong`);
  w.bytes(p);
}
function writeScalar(w: BincodeWriter, s: Uint8Array): void {
  if (s.length !== SCALAR_LEN) throw new CredentialFormatError(`a scalar of ${s.length} bytes`);
  w.bytes(s);
}

// ---- the payment (its serde-bincode form, which is also its to_bytes) ----

function readPayment(r: BincodeReader): Payment {
  const kappa = g2(r, 'kappa');
  const kappaE = g2(r, 'kappa_e');
  const s = sig(r, 'sig');
  const sigExp = sig(r, 'sig_exp');
  const kappaK = items(r, 'kappa_k', (i) => g2(r, `kappa_k[${i}]`));
  const omega = items(r, 'omega', (i) => sig(r, `omega[${i}]`));
  const ss = items(r, 'ss', (i) => g1(r, `ss[${i}]`));
  const tt = items(r, 'tt', (i) => g1(r, `tt[${i}]`));
  const aa = items(r, 'aa', (i) => g1(r, `aa[${i}]`));
  const spendValue = r.u64('spend_value');
  const cc = g1(r, 'cc');
  const tType = r.u8('t_type');
  const sc = (what: string) => scalar(r, what);
  const vs = (what: string) => items(r, what, (i) => scalar(r, `${what}[${i}]`));
  const zkProof: SpendProof = {
    challenge: sc('challenge'), responseR: sc('response_r'), responseRE: sc('response_r_e'),
    responsesRK: vs('responses_r_k'), responsesL: vs('responses_l'), responsesOA: vs('responses_o_a'),
    responseOC: sc('response_o_c'), responsesMu: vs('responses_mu'), responsesOMu: vs('responses_o_mu'),
    responsesAttributes: vs('responses_attributes'),
  };
  return { kappa, kappaE, sig: s, sigExp, kappaK, omega, ss, tt, aa, spendValue, cc, tType, zkProof };
}

function writePayment(w: BincodeWriter, p: Payment): void {
  const s2 = (x: SignaturePair) => { writePoint(w, x.h, G1_LEN); writePoint(w, x.s, G1_LEN); };
  const list = <T>(xs: readonly T[], f: (x: T) => void) => { w.varint(xs.length); xs.forEach(f); };
  writePoint(w, p.kappa, G2_LEN);
  writePoint(w, p.kappaE, G2_LEN);
  s2(p.sig);
  s2(p.sigExp);
  list(p.kappaK, (x) => writePoint(w, x, G2_LEN));
  list(p.omega, s2);
  for (const v of [p.ss, p.tt, p.aa]) list(v, (x) => writePoint(w, x, G1_LEN));
  w.u64(p.spendValue);
  writePoint(w, p.cc, G1_LEN);
  w.u8(p.tType);
  const z = p.zkProof;
  const sl = (xs: readonly Uint8Array[]) => list(xs, (x) => writeScalar(w, x));
  writeScalar(w, z.challenge);
  writeScalar(w, z.responseR);
  writeScalar(w, z.responseRE);
  sl(z.responsesRK);
  sl(z.responsesL);
  sl(z.responsesOA);
  writeScalar(w, z.responseOC);
  sl(z.responsesMu);
  sl(z.responsesOMu);
  sl(z.responsesAttributes);
}

export function encodePayment(p: Payment): Uint8Array {
  const w = new BincodeWriter();
  writePayment(w, p);
  return w.finish();
}

export function decodePayment(bytes: Uint8Array): Payment {
  return wrap(() => {
    const r = new BincodeReader(bytes);
    const p = readPayment(r);
    r.end('payment');
    return p;
  });
}

// ---- dates: Julian day ↔ (year, ordinal), as the time crate counts them ----

const JULIAN_DAY_OF_UNIX_EPOCH = 2440588;

export function julianDayToYearOrdinal(jd: number): { year: number; ordinal: number } {
  const d = new Date((jd - JULIAN_DAY_OF_UNIX_EPOCH) * 86_400_000);
  const year = d.getUTCFullYear();
  const ordinal = Math.round((d.getTime() - Date.UTC(year, 0, 1)) / 86_400_000) + 1;
  return { year, ordinal };
}

export function yearOrdinalToJulianDay(year: number, ordinal: number): number {
  const days = 365 + (year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 1 : 0);
  if (!Number.isInteger(year) || year < -9999 || year > 9999 || !Number.isInteger(ordinal) || ordinal < 1 || ordinal > days) {
    throw new CredentialFormatError(`(${year}, ${ordinal}) is not a date`);
  }
  const d = new Date(Date.UTC(2000, 0, 1));
  d.setUTCFullYear(year, 0, ordinal);
  return Math.round(d.getTime() / 86_400_000) + JULIAN_DAY_OF_UNIX_EPOCH;
}

/** The spend date as YYYY-MM-DD (UTC). */
export function spendDateIso(c: Pick<CredentialSpendingData, 'spendDateJulian'>): string {
  return new Date((c.spendDateJulian - JULIAN_DAY_OF_UNIX_EPOCH) * 86_400_000).toISOString().slice(0, 10);
}

// ---- the credential ----

/** CredentialSpendingData::try_from_bytes. */
export function credentialFromBytes(raw: Uint8Array): CredentialSpendingData {
  if (raw.length < PAY_INFO_LEN + 8 + 4 + 4) throw new CredentialFormatError(`${raw.length} bytes is shorter than any credential`);
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const paymentLen = view.getUint32(0);
  if (raw.length - 4 !== paymentLen + 84) throw new CredentialFormatError(`the payment length ${paymentLen} does not match the ${raw.length} bytes`);
  const payment = decodePayment(raw.subarray(4, 4 + paymentLen));
  let at = 4 + paymentLen;
  const payInfo = raw.slice(at, at + PAY_INFO_LEN);
  at += PAY_INFO_LEN;
  const spendDateJulian = view.getInt32(at);
  julianDayToYearOrdinal(spendDateJulian); // a day the time crate can represent
  at += 4;
  const epochId = view.getBigUint64(at);
  return { payment, payInfo, spendDateJulian, epochId };
}

/** CredentialSpendingData::to_bytes. */
export function credentialToBytes(c: CredentialSpendingData): Uint8Array {
  if (c.payInfo.length !== PAY_INFO_LEN) throw new CredentialFormatError('pay_info is 72 bytes');
  const payment = encodePayment(c.payment);
  const out = new Uint8Array(4 + payment.length + 84);
  const view = new DataView(out.buffer);
  view.setUint32(0, payment.length);
  out.set(payment, 4);
  out.set(c.payInfo, 4 + payment.length);
  view.setInt32(4 + payment.length + PAY_INFO_LEN, c.spendDateJulian);
  view.setBigUint64(4 + payment.length + PAY_INFO_LEN + 4, c.epochId);
  return out;
}

/** The serde-bincode form (what a BandwidthClaim / TopUpMessage carries), written into `w`. */
export function writeCredentialBincode(w: BincodeWriter, c: CredentialSpendingData): void {
  if (c.payInfo.length !== PAY_INFO_LEN) throw new CredentialFormatError('pay_info is 72 bytes');
  writePayment(w, c.payment);
  w.bytes(c.payInfo);
  const { year, ordinal } = julianDayToYearOrdinal(c.spendDateJulian);
  w.signed(year, 32).u16(ordinal);
  w.u64(c.epochId);
}

export function credentialBincode(c: CredentialSpendingData): Uint8Array {
  const w = new BincodeWriter();
  writeCredentialBincode(w, c);
  return w.finish();
}

/** Reads one serde-bincode CredentialSpendingData from inside a larger message. */
export function readCredentialBincode(r: BincodeReader): CredentialSpendingData {
  return wrap(() => {
    const payment = readPayment(r);
    const payInfo = r.bytes(PAY_INFO_LEN, 'pay_info').slice();
    if (payInfo.length !== PAY_INFO_LEN) throw new CredentialFormatError('pay_info is 72 bytes');
    const year = Number(r.signed(32, 'spend_date.year'));
    const ordinal = r.u16('spend_date.ordinal');
    const spendDateJulian = yearOrdinalToJulianDay(year, ordinal);
    return { payment, payInfo, spendDateJulian, epochId: r.u64('epoch_id') };
  });
}

function wrap<T>(f: () => T): T {
  return withBincodeErrors(f, (m) => new CredentialFormatError(m));
}
