// The MAC binding a WireGuard key to its private IPs and the gateway's nonce (GatewayClient::new / verify,
// nymtech/nym common/authenticator-requests/src/v6/registration.rs, commit daed9cd15bc0):
//   HMAC-SHA256, keyed by X25519(own private key, other side's public key),
//   over: the public key of the side that made it (32 bytes) ‖ ipPairText(private_ips) ‖ nonce as u64 little-endian.
// The gateway makes one with its key in PendingRegistration (the client checks it); the client makes one with
// its key in Final (the gateway checks it). X25519 and HMAC from node:crypto.
import { createHmac, createPrivateKey, createPublicKey, diffieHellman, timingSafeEqual } from 'node:crypto';
import { ipPairText, type IpPair } from './ip-pair.js';

const X25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b656e04220420', 'hex');
const X25519_SPKI_PREFIX = Buffer.from('302a300506032b656e032100', 'hex');

function sharedSecret(ownPrivate: Uint8Array, otherPublic: Uint8Array): Buffer {
  if (ownPrivate.length !== 32 || otherPublic.length !== 32) throw new RangeError('X25519 keys are 32 bytes');
  const privateKey = createPrivateKey({ key: Buffer.concat([X25519_PKCS8_PREFIX, ownPrivate]), format: 'der', type: 'pkcs8' });
  const publicKey = createPublicKey({ key: Buffer.concat([X25519_SPKI_PREFIX, otherPublic]), format: 'der', type: 'spki' });
  return diffieHellman({ privateKey, publicKey });
}

function u64le(nonce: bigint): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt.asUintN(64, nonce));
  return b;
}

/** The MAC made by the holder of `ownPrivate` (whose public key is `ownPublic`) for the other side. */
export function clientMac(ownPrivate: Uint8Array, ownPublic: Uint8Array, otherPublic: Uint8Array, ips: IpPair, nonce: bigint): Uint8Array {
  const h = createHmac('sha256', sharedSecret(ownPrivate, otherPublic));
  h.update(ownPublic);
  h.update(ipPairText(ips), 'utf8');
  h.update(u64le(nonce));
  return new Uint8Array(h.digest());
}

/** Checks a MAC the other side made with its key (`otherPublic`), in constant time. */
export function verifyClientMac(ownPrivate: Uint8Array, otherPublic: Uint8Array, ips: IpPair, nonce: bigint, mac: Uint8Array): boolean {
  const h = createHmac('sha256', sharedSecret(ownPrivate, otherPublic));
  h.update(otherPublic);
  h.update(ipPairText(ips), 'utf8');
  h.update(u64le(nonce));
  const expected = h.digest();
  return mac.length === expected.length && timingSafeEqual(expected, mac);
}
