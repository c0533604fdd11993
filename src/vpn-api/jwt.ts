// The two bearer tokens of nym-vpn-api, built exactly as upstream's nym-vpn-api-client jwt.rs builds them
// (nymtech/nym-vpn-client nym-vpn-core/crates/nym-vpn-api-client/src/jwt.rs; the test vectors there are ours).
//   header   JSON with sorted keys (serde_json's map): {"alg":"ES256K","typ":"JWT"} or {"alg":"ECDSA",...}
//   payload  {"exp":30,"iat":<unix s>,"pubkey":<base58 compressed secp256k1 key>,"sub":<n1… account>} for the
//            account, {"exp":30,"iat":…,"sub":<base58 ed25519 device key>} for the device
//   each base64url without padding; the signature over `header.payload`:
//            account: secp256k1 over SHA-256 of it (Cosmos sign_raw), 64 bytes r ‖ s
//            device:  ed25519 over SHA-256 of it (the 32-byte digest is the signed message), 64 bytes
// Pure: the time comes in.
import { base58, base64urlnopad } from '@scure/base';
import type { AccountKey } from '../account/account-key.js';
import type { DeviceKeys } from '../account/device-keys.js';

/** Seconds a token is valid after iat (upstream: exp is a u8 duration, not a time). */
export const JWT_LIFETIME_S = 30;

const utf8 = (s: string) => new TextEncoder().encode(s);
const b64 = (bytes: Uint8Array) => base64urlnopad.encode(bytes);

/** JSON of a flat object with its keys sorted, as serde_json's default (BTreeMap) map writes it. */
function sortedJson(o: Record<string, string | number>): string {
  return `{${Object.keys(o).sort().map((k) => `${JSON.stringify(k)}:${JSON.stringify(o[k])}`).join(',')}}`;
}

function compose(header: Record<string, string>, payload: Record<string, string | number>, sign: (message: Uint8Array) => Uint8Array): string {
  const head = `${b64(utf8(sortedJson(header)))}.${b64(utf8(sortedJson(payload)))}`;
  return `${head}.${b64(sign(utf8(head)))}`;
}

/** The account JWT (header alg ES256K); `nowS` is the server-synced unix time in seconds. */
export function accountJwt(key: AccountKey, nowS: number): string {
  if (!Number.isSafeInteger(nowS) || nowS < 0) throw new RangeError(`bad time for a JWT: ${nowS}`);
  return compose(
    { alg: 'ES256K', typ: 'JWT' },
    { exp: JWT_LIFETIME_S, iat: nowS, pubkey: base58.encode(key.publicKey), sub: key.address },
    (m) => key.signRaw(m),
  );
}

/** The device JWT (header alg ECDSA, though the key is ed25519: upstream's naming). */
export function deviceJwt(device: DeviceKeys, nowS: number): string {
  if (!Number.isSafeInteger(nowS) || nowS < 0) throw new RangeError(`bad time for a JWT: ${nowS}`);
  return compose(
    { alg: 'ECDSA', typ: 'JWT' },
    { exp: JWT_LIFETIME_S, iat: nowS, sub: device.identity },
    (m) => device.sign(m), // DeviceKeys.sign is ed25519 over SHA-256(message)
  );
}
