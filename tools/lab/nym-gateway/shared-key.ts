// The key a Nym gateway shares with a client after the registration handshake, and what it protects
// (nymtech/nym common/gateway-requests/src/shared_key/mod.rs and registration/handshake/state.rs
// derive_shared_key, commit b4046a8969805642): X25519 of the two ephemeral keys, HKDF over BLAKE3 (an HMAC
// built from the hash, as Rust's SimpleHmac) with the client's 16-byte salt and no info, 32 bytes out, used as
// an AES-256-GCM-SIV key with 12-byte nonces (nym-sphinx params GatewayEncryptionAlgorithm). The legacy
// AES-128-CTR + HMAC key (clients that send no salt) is not offered by the lab: nym-client-wasm 1.4.1 always
// derives the GCM-SIV key from a gateway announcing protocol 3 or later.
import { gcmsiv } from '@noble/ciphers/aes.js';
import { x25519 } from '@noble/curves/ed25519.js';
import { blake3 } from '@noble/hashes/blake3.js';
import { hkdf } from '@noble/hashes/hkdf.js';

export const KDF_SALT_LENGTH = 16;
export const GATEWAY_NONCE_LENGTH = 12;
export const GATEWAY_TAG_LENGTH = 16;

export class SharedKeyError extends Error {
  override readonly name = 'SharedKeyError';
}

export class SharedGatewayKey {
  constructor(readonly bytes: Uint8Array) {
    if (bytes.length !== 32) throw new SharedKeyError(`a shared gateway key has 32 bytes, not ${bytes.length}`);
  }

  static derive(ourEphemeralPrivate: Uint8Array, theirEphemeralPublic: Uint8Array, salt: Uint8Array): SharedGatewayKey {
    const dh = x25519.getSharedSecret(ourEphemeralPrivate, theirEphemeralPublic);
    return new SharedGatewayKey(hkdf(blake3, dh, salt, new Uint8Array(0), 32));
  }

  encrypt(plaintext: Uint8Array, nonce: Uint8Array): Uint8Array {
    if (nonce.length !== GATEWAY_NONCE_LENGTH) throw new SharedKeyError(`nonce of ${nonce.length} bytes, expected ${GATEWAY_NONCE_LENGTH}`);
    return gcmsiv(this.bytes, nonce).encrypt(plaintext);
  }

  decrypt(ciphertext: Uint8Array, nonce: Uint8Array): Uint8Array {
    if (nonce.length !== GATEWAY_NONCE_LENGTH) throw new SharedKeyError(`nonce of ${nonce.length} bytes, expected ${GATEWAY_NONCE_LENGTH}`);
    if (ciphertext.length < GATEWAY_TAG_LENGTH) throw new SharedKeyError('ciphertext shorter than its tag');
    try {
      return gcmsiv(this.bytes, nonce).decrypt(ciphertext);
    } catch {
      throw new SharedKeyError('ciphertext failed its AES-GCM-SIV tag');
    }
  }
}
