// PayInfo: the 72 bytes a spend is bound to (nym_offline_compact_ecash/src/scheme/mod.rs), built by the
// client as NymPayInfo (credentials-interface/src/lib.rs `From<NymPayInfo> for PayInfo`):
// 32 random bytes ‖ unix timestamp as i64 big-endian ‖ the gateway's 32-byte public key.
import { EcashError } from './errors.js';

export const PAY_INFO_BYTES = 72;

export interface NymPayInfo {
  readonly randomness: Uint8Array; // 32 bytes
  readonly timestamp: bigint; // i64, unix seconds
  readonly providerPublicKey: Uint8Array; // 32 bytes
}

export function payInfoBytes(p: NymPayInfo): Uint8Array {
  if (p.randomness.length !== 32) throw new EcashError('length', 'pay info randomness', `${p.randomness.length} bytes, wants 32`);
  if (p.providerPublicKey.length !== 32) throw new EcashError('length', 'pay info provider key', `${p.providerPublicKey.length} bytes, wants 32`);
  const out = new Uint8Array(PAY_INFO_BYTES);
  out.set(p.randomness, 0);
  new DataView(out.buffer).setBigInt64(32, p.timestamp, false);
  out.set(p.providerPublicKey, 40);
  return out;
}

export function parsePayInfo(bytes: Uint8Array): NymPayInfo {
  if (bytes.length !== PAY_INFO_BYTES) throw new EcashError('length', 'pay info', `${bytes.length} bytes, wants ${PAY_INFO_BYTES}`);
  return {
    randomness: bytes.slice(0, 32),
    timestamp: new DataView(bytes.buffer, bytes.byteOffset, bytes.length).getBigInt64(32, false),
    providerPublicKey: bytes.slice(40, 72),
  };
}

/** A fresh NymPayInfo for a gateway, with randomness and time injected (NymPayInfo::generate). */
export function generatePayInfo(providerPublicKey: Uint8Array, nowUnixSeconds: number, randomBytes: (n: number) => Uint8Array): Uint8Array {
  return payInfoBytes({ randomness: randomBytes(32), timestamp: BigInt(Math.floor(nowUnixSeconds)), providerPublicKey });
}
