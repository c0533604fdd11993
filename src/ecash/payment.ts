// Payment — one spent ticket with its proof — and its byte form. Ported from
// nym_offline_compact_ecash/src/scheme/mod.rs (struct Payment, serde derive), proofs/proof_spend.rs
// (struct SpendProof), common_types.rs (struct Signature) at nymtech/nym daed9cd15bc0.
//
// Upstream's `Payment::to_bytes` is bincode of the serde derive, with the crate's `binary_serialiser()`
// (DefaultOptions, big-endian, varint — the same options as src/codec/bincode.ts). Under serde the
// nym-bls12_381-fork types serialise as byte strings: a varint length (48 for G1, 96 for G2, 32 for a
// scalar) and then the compressed point / little-endian scalar. Structs are their fields in order; Vec is a
// varint count then the elements; u64 is a varint; u8 is one raw byte. So the same encoding is both the
// payment inside CredentialSpendingData::to_bytes and the payment inside the serde (bincode) form of
// CredentialSpendingData — it is written by one function here for both.
import { BincodeError, BincodeReader, BincodeWriter } from '../codec/bincode.js';
import { EcashError } from './errors.js';
import {
  G1_BYTES,
  G2_BYTES,
  SCALAR_BYTES,
  g1FromBytes,
  g1ToBytes,
  g2FromBytes,
  g2ToBytes,
  scalarFromBytes,
  scalarToBytes,
  type G1Point,
  type G2Point,
} from './group-elements.js';
import { TICKETBOOK_SIZE } from './ticket-type.js';

/** A Pointcheval–Sanders signature: two G1 points (common_types.rs `Signature { h, s }`). */
export interface Signature {
  readonly h: G1Point;
  readonly s: G1Point;
}

export interface SpendProof {
  readonly challenge: bigint;
  readonly responseR: bigint;
  readonly responseRE: bigint;
  readonly responsesRK: readonly bigint[];
  readonly responsesL: readonly bigint[];
  readonly responsesOA: readonly bigint[];
  readonly responseOC: bigint;
  readonly responsesMu: readonly bigint[];
  readonly responsesOMu: readonly bigint[];
  readonly responsesAttributes: readonly bigint[];
}

export interface Payment {
  readonly kappa: G2Point;
  readonly kappaE: G2Point;
  readonly sig: Signature;
  readonly sigExp: Signature;
  readonly kappaK: readonly G2Point[];
  readonly omega: readonly Signature[];
  readonly ss: readonly G1Point[];
  readonly tt: readonly G1Point[];
  readonly aa: readonly G1Point[];
  readonly spendValue: bigint;
  readonly cc: G1Point;
  readonly tType: number;
  readonly zkProof: SpendProof;
}

// Bounds for hostile input. A payment spends at most a whole ticketbook (upstream refuses a spend_value over
// the ticketbook size before proving), so its per-ticket vectors have at most TICKETBOOK_SIZE entries; the
// proof responds for at most the 4 attributes (constants.rs ATTRIBUTES_LEN). Upstream's decoder itself has no
// bound besides the input's length; these only refuse payments that could never verify.
const MAX_PER_TICKET = TICKETBOOK_SIZE;
const MAX_ATTRIBUTES = 4;

// --- writing ---------------------------------------------------------------------------------------------

const writeG1 = (w: BincodeWriter, p: G1Point) => w.bytes(g1ToBytes(p));
const writeG2 = (w: BincodeWriter, p: G2Point) => w.bytes(g2ToBytes(p));
const writeScalar = (w: BincodeWriter, s: bigint) => w.bytes(scalarToBytes(s));
const writeSignature = (w: BincodeWriter, s: Signature) => {
  writeG1(w, s.h);
  writeG1(w, s.s);
};

export function writeSpendProof(w: BincodeWriter, p: SpendProof): void {
  writeScalar(w, p.challenge);
  writeScalar(w, p.responseR);
  writeScalar(w, p.responseRE);
  w.seq(p.responsesRK, writeScalar);
  w.seq(p.responsesL, writeScalar);
  w.seq(p.responsesOA, writeScalar);
  writeScalar(w, p.responseOC);
  w.seq(p.responsesMu, writeScalar);
  w.seq(p.responsesOMu, writeScalar);
  w.seq(p.responsesAttributes, writeScalar);
}

/** Appends the payment's serde/bincode form (no length prefix) to `w`. */
export function writePayment(w: BincodeWriter, p: Payment): void {
  if (!Number.isInteger(p.tType) || p.tType < 0 || p.tType > 0xff) throw new EcashError('value', 'payment t_type', `${p.tType} is not a u8`);
  writeG2(w, p.kappa);
  writeG2(w, p.kappaE);
  writeSignature(w, p.sig);
  writeSignature(w, p.sigExp);
  w.seq(p.kappaK, writeG2);
  w.seq(p.omega, writeSignature);
  w.seq(p.ss, writeG1);
  w.seq(p.tt, writeG1);
  w.seq(p.aa, writeG1);
  w.u64(p.spendValue);
  writeG1(w, p.cc);
  w.u8(p.tType);
  writeSpendProof(w, p.zkProof);
}

/** Payment::to_bytes. */
export function paymentToBytes(p: Payment): Uint8Array {
  const w = new BincodeWriter();
  writePayment(w, p);
  return w.finish();
}

// --- reading ---------------------------------------------------------------------------------------------

function readExact(r: BincodeReader, size: number, what: string): Uint8Array {
  // Bound by what is left, so a wrong declared length is reported as a wrong length, not a bound fault.
  const b = r.bytes(r.remaining, what);
  if (b.length !== size) throw new EcashError('length', what, `${b.length} bytes, wants ${size}`);
  return b;
}

const readG1 = (r: BincodeReader, what: string) => g1FromBytes(readExact(r, G1_BYTES, what), what);
const readG2 = (r: BincodeReader, what: string) => g2FromBytes(readExact(r, G2_BYTES, what), what);
const readScalar = (r: BincodeReader, what: string) => scalarFromBytes(readExact(r, SCALAR_BYTES, what), what);
/** One serde Signature {h, s}: two G1 points as byte strings. */
export const readSignature = (r: BincodeReader, what: string): Signature => ({ h: readG1(r, `${what}.h`), s: readG1(r, `${what}.s`) });

function readSeq<T>(r: BincodeReader, max: number, what: string, read: (r: BincodeReader, what: string) => T): T[] {
  let i = 0;
  return r.seq(max, (rr) => read(rr, `${what}[${i++}]`), what);
}

export function readSpendProof(r: BincodeReader): SpendProof {
  const what = 'payment.zk_proof';
  return {
    challenge: readScalar(r, `${what}.challenge`),
    responseR: readScalar(r, `${what}.response_r`),
    responseRE: readScalar(r, `${what}.response_r_e`),
    responsesRK: readSeq(r, MAX_PER_TICKET, `${what}.responses_r_k`, readScalar),
    responsesL: readSeq(r, MAX_PER_TICKET, `${what}.responses_l`, readScalar),
    responsesOA: readSeq(r, MAX_PER_TICKET, `${what}.responses_o_a`, readScalar),
    responseOC: readScalar(r, `${what}.response_o_c`),
    responsesMu: readSeq(r, MAX_PER_TICKET, `${what}.responses_mu`, readScalar),
    responsesOMu: readSeq(r, MAX_PER_TICKET, `${what}.responses_o_mu`, readScalar),
    responsesAttributes: readSeq(r, MAX_ATTRIBUTES, `${what}.responses_attributes`, readScalar),
  };
}

/** Reads one payment from `r`; bincode faults become EcashError ('length' when the input ran out). */
export function readPayment(r: BincodeReader): Payment {
  return asEcashError(() => ({
    kappa: readG2(r, 'payment.kappa'),
    kappaE: readG2(r, 'payment.kappa_e'),
    sig: readSignature(r, 'payment.sig'),
    sigExp: readSignature(r, 'payment.sig_exp'),
    kappaK: readSeq(r, MAX_PER_TICKET, 'payment.kappa_k', readG2),
    omega: readSeq(r, MAX_PER_TICKET, 'payment.omega', readSignature),
    ss: readSeq(r, MAX_PER_TICKET, 'payment.ss', readG1),
    tt: readSeq(r, MAX_PER_TICKET, 'payment.tt', readG1),
    aa: readSeq(r, MAX_PER_TICKET, 'payment.aa', readG1),
    spendValue: r.u64('payment.spend_value'),
    cc: readG1(r, 'payment.cc'),
    tType: r.u8('payment.t_type'),
    zkProof: readSpendProof(r),
  }));
}

/** Payment::try_from(&[u8]): the whole slice must be one payment (bincode DefaultOptions refuses trailing bytes). */
export function paymentFromBytes(bytes: Uint8Array): Payment {
  const r = new BincodeReader(bytes);
  const p = readPayment(r);
  asEcashError(() => r.end('payment'));
  return p;
}

/** The serial number as upstream encodes it (SerialNumberRef::to_bytes): the compressed ss points. */
export function encodedSerialNumber(p: Payment): Uint8Array {
  const out = new Uint8Array(p.ss.length * G1_BYTES);
  p.ss.forEach((s, i) => out.set(g1ToBytes(s), i * G1_BYTES));
  return out;
}

export function asEcashError<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    // BincodeReader reports running out of input as "needs N bytes … left" and an oversized declared length
    // as "over the bound": both are length faults; the rest (varint tags, option tags, trailing bytes) format.
    if (e instanceof BincodeError) throw new EcashError(/needs \d+ bytes|over the bound/.test(e.message) ? 'length' : 'format', 'bincode', e.message);
    throw e;
  }
}
