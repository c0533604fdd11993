// CredentialSpendingData — what a client hands a gateway for one ticket — in its two byte forms.
// Ported from common/credentials-interface/src/lib.rs (nymtech/nym daed9cd15bc0).
//
// 1. `to_bytes` / `try_from_bytes` (the form the vpn-api's and CREDENTIAL_BYTES' use):
//      payment length u32 BE ‖ Payment::to_bytes ‖ pay_info (72) ‖ spend_date Julian day i32 BE ‖ epoch_id u64 BE
//    try_from_bytes wants at least 88 bytes and exactly payment length + 84 after the prefix.
// 2. The serde derive (`#[derive(Serialize, Deserialize)]`, fields in order), which is what bincode writes when
//    the credential travels inside the authenticator's `BandwidthCredential::ZkNym(Box<CredentialSpendingData>)`
//    (authenticator-requests make_bincode_serializer: big-endian + varint, like src/codec/bincode.ts):
//      payment    — the Payment struct inline (payment.ts; no outer length: serde structs are not prefixed),
//      pay_info   — PayInfo's hand-written Serialize is `pay_info_bytes.to_vec()`: varint 72, then the bytes,
//      spend_date — time::Date's Serialize for a non-human-readable format is the tuple (year: i32,
//                   ordinal: u16): zigzag varint year, varint ordinal,
//      epoch_id   — u64 varint.
//    Box<T> serialises as T. The enum wrapper (variant index of ZkNym) belongs to the authenticator message.
import { BincodeReader, BincodeWriter } from '../codec/bincode.js';
import { EcashError } from './errors.js';
import { fromJulianDay, fromOrdinal, ordinal, toJulianDay, type EcashDate } from './ecash-date.js';
import { PAY_INFO_BYTES } from './pay-info.js';
import { asEcashError, paymentFromBytes, paymentToBytes, readPayment, writePayment, type Payment } from './payment.js';

export interface CredentialSpendingData {
  readonly payment: Payment;
  readonly payInfo: Uint8Array; // 72 bytes, see pay-info.ts
  readonly spendDate: EcashDate;
  readonly epochId: bigint; // u64
}

const U64_MAX = (1n << 64n) - 1n;
// pay_info 72 + spend date 4 + epoch id 8 (upstream's "payment_len + 84").
const TAIL_BYTES = PAY_INFO_BYTES + 4 + 8;

function checkFields(c: CredentialSpendingData): void {
  if (c.payInfo.length !== PAY_INFO_BYTES) throw new EcashError('length', 'pay_info', `${c.payInfo.length} bytes, wants ${PAY_INFO_BYTES}`);
  if (c.epochId < 0n || c.epochId > U64_MAX) throw new EcashError('value', 'epoch_id', `${c.epochId} is not a u64`);
}

/** CredentialSpendingData::to_bytes. */
export function credentialSpendingDataToBytes(c: CredentialSpendingData): Uint8Array {
  checkFields(c);
  const payment = paymentToBytes(c.payment);
  const out = new Uint8Array(4 + payment.length + TAIL_BYTES);
  const view = new DataView(out.buffer);
  view.setUint32(0, payment.length, false);
  out.set(payment, 4);
  let at = 4 + payment.length;
  out.set(c.payInfo, at);
  at += PAY_INFO_BYTES;
  view.setInt32(at, toJulianDay(c.spendDate), false);
  view.setBigUint64(at + 4, c.epochId, false);
  return out;
}

/** CredentialSpendingData::try_from_bytes. */
export function credentialSpendingDataFromBytes(raw: Uint8Array): CredentialSpendingData {
  const what = 'CredentialSpendingData';
  if (raw.length < 4 + TAIL_BYTES) throw new EcashError('length', what, `${raw.length} bytes, at least ${4 + TAIL_BYTES} needed`);
  const view = new DataView(raw.buffer, raw.byteOffset, raw.length);
  const paymentLength = view.getUint32(0, false);
  if (raw.length - 4 !== paymentLength + TAIL_BYTES) {
    throw new EcashError('length', what, `declares a ${paymentLength}-byte payment, so ${4 + paymentLength + TAIL_BYTES} bytes in all, got ${raw.length}`);
  }
  const payment = paymentFromBytes(raw.subarray(4, 4 + paymentLength));
  let at = 4 + paymentLength;
  const payInfo = raw.slice(at, at + PAY_INFO_BYTES);
  at += PAY_INFO_BYTES;
  const spendDate = fromJulianDay(view.getInt32(at, false), `${what}.spend_date`);
  const epochId = view.getBigUint64(at + 4, false);
  return { payment, payInfo, spendDate, epochId };
}

/** Appends the serde/bincode form to `w` (for a caller building a larger authenticator message). */
export function writeCredentialSpendingData(w: BincodeWriter, c: CredentialSpendingData): void {
  checkFields(c);
  writePayment(w, c.payment);
  w.bytes(c.payInfo);
  w.signed(c.spendDate.year, 32);
  w.u16(ordinal(c.spendDate));
  w.u64(c.epochId);
}

export function readCredentialSpendingData(r: BincodeReader): CredentialSpendingData {
  const payment = readPayment(r);
  return asEcashError(() => {
    const payInfo = r.bytes(r.remaining, 'CredentialSpendingData.pay_info');
    if (payInfo.length !== PAY_INFO_BYTES) throw new EcashError('length', 'CredentialSpendingData.pay_info', `${payInfo.length} bytes, wants ${PAY_INFO_BYTES}`);
    const year = r.signed(32, 'CredentialSpendingData.spend_date.year');
    const ord = r.u16('CredentialSpendingData.spend_date.ordinal');
    const spendDate = fromOrdinal(Number(year), ord, 'CredentialSpendingData.spend_date');
    const epochId = r.u64('CredentialSpendingData.epoch_id');
    return { payment, payInfo: payInfo.slice(), spendDate, epochId };
  });
}

/** The serde/bincode form of CredentialSpendingData, as carried in BandwidthCredential::ZkNym. */
export function credentialSpendingDataBincode(c: CredentialSpendingData): Uint8Array {
  const w = new BincodeWriter();
  writeCredentialSpendingData(w, c);
  return w.finish();
}

/** Decodes exactly one serde/bincode CredentialSpendingData (trailing bytes refused, as DefaultOptions does). */
export function credentialSpendingDataFromBincode(bytes: Uint8Array): CredentialSpendingData {
  const r = new BincodeReader(bytes);
  const c = readCredentialSpendingData(r);
  asEcashError(() => r.end('CredentialSpendingData'));
  return c;
}
