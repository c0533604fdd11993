// The gateway's side of the registration handshake a Nym client opens a websocket with (nymtech/nym
// common/gateway-requests/src/registration/handshake/{messages.rs,state.rs,gateway.rs}, commit
// b4046a8969805642). Pure: bytes in, bytes out, the ephemeral key and nonce handed in.
//   client → gateway  identity (ed25519, 32) || ephemeral x25519 (32) || HKDF salt (16)
//   gateway → client  ephemeral x25519 (32) || AES-GCM-SIV(sig_gateway(eph_g || eph_c)) (64+16) || nonce (12)
//   client → gateway  AES-GCM-SIV(sig_client(eph_c || eph_g)) (64+16) || nonce (12)
//   gateway → client  [1] (success)
// Each payload travels as the JSON text `{"type":"handshakePayload","protocol_version":N,"data":[...]}`.
import { ed25519, x25519 } from '@noble/curves/ed25519.js';
import { KDF_SALT_LENGTH, GATEWAY_NONCE_LENGTH, GATEWAY_TAG_LENGTH, SharedGatewayKey } from './shared-key.js';

const KEY = 32;
const SIGNATURE = 64;
const INIT_LENGTH = KEY + KEY + KDF_SALT_LENGTH;
const LEGACY_INIT_LENGTH = KEY + KEY;
const MATERIAL_LENGTH = SIGNATURE + GATEWAY_TAG_LENGTH + GATEWAY_NONCE_LENGTH;

export class HandshakeError extends Error {
  override readonly name = 'HandshakeError';
}

const concat = (...parts: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
};

export interface GatewayHandshakeStep {
  /** What the gateway sends back (its ephemeral key and signed material). */
  reply: Uint8Array;
  /** Checks the client's material; returns the finalisation payload and the shared key. */
  finish(material: Uint8Array): { reply: Uint8Array; key: SharedGatewayKey; clientIdentity: Uint8Array };
}

/**
 * Answers a client's handshake init. `ephemeralPrivate` (32 random bytes) and `nonce` (12) come from the
 * caller so tests can fix them.
 */
export function gatewayHandshake(identityPrivate: Uint8Array, init: Uint8Array, ephemeralPrivate: Uint8Array, nonce: Uint8Array): GatewayHandshakeStep {
  if (init.length === LEGACY_INIT_LENGTH) throw new HandshakeError('legacy handshake (no HKDF salt) is not supported by the lab gateway');
  if (init.length !== INIT_LENGTH) throw new HandshakeError(`handshake init of ${init.length} bytes, expected ${INIT_LENGTH}`);
  const clientIdentity = init.slice(0, KEY);
  const clientEphemeral = init.slice(KEY, 2 * KEY);
  const salt = init.slice(2 * KEY);
  try {
    ed25519.Point.fromBytes(clientIdentity);
  } catch {
    throw new HandshakeError('the client identity is not an ed25519 point');
  }
  let key: SharedGatewayKey;
  try {
    key = SharedGatewayKey.derive(ephemeralPrivate, clientEphemeral, salt);
  } catch {
    throw new HandshakeError('the client ephemeral key is not a usable x25519 key');
  }
  const ownEphemeral = x25519.getPublicKey(ephemeralPrivate);
  const signature = ed25519.sign(concat(ownEphemeral, clientEphemeral), identityPrivate);
  const reply = concat(ownEphemeral, key.encrypt(signature, nonce), nonce);
  return {
    reply,
    finish(material) {
      if (material.length !== MATERIAL_LENGTH) throw new HandshakeError(`key material of ${material.length} bytes, expected ${MATERIAL_LENGTH}`);
      const ciphertext = material.slice(0, SIGNATURE + GATEWAY_TAG_LENGTH);
      const theirNonce = material.slice(SIGNATURE + GATEWAY_TAG_LENGTH);
      let theirSignature: Uint8Array;
      try {
        theirSignature = key.decrypt(ciphertext, theirNonce);
      } catch {
        throw new HandshakeError('the client key material failed its AES-GCM-SIV tag');
      }
      if (!ed25519.verify(theirSignature, concat(clientEphemeral, ownEphemeral), clientIdentity)) {
        throw new HandshakeError('the client signature over the ephemeral keys does not verify');
      }
      return { reply: Uint8Array.of(1), key, clientIdentity };
    },
  };
}
