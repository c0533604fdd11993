// Pure-JS backend from @noble: runs anywhere (no OpenSSL needed) and is the reference the
// node:crypto backend is compared against.
import { chacha20poly1305, xchacha20poly1305 } from '@noble/ciphers/chacha.js';
import { blake2s } from '@noble/hashes/blake2.js';
import { hmac } from '@noble/hashes/hmac.js';
import { x25519 } from '@noble/curves/ed25519.js';
import { isAllZero, type CryptoBackend, type TransportCipher } from './backend.js';

const TAG = 16;

function open(
  aead: typeof chacha20poly1305 | typeof xchacha20poly1305,
  key: Uint8Array, nonce: Uint8Array, sealed: Uint8Array, ad: Uint8Array,
): Uint8Array | null {
  if (sealed.length < TAG) return null;
  try {
    return aead(key, nonce, ad).decrypt(sealed);
  } catch {
    return null;
  }
}

class NobleTransportCipher implements TransportCipher {
  // Scratch for padded plaintext, grown once; noble encrypts straight into the caller's buffer.
  private scratch = new Uint8Array(2048);
  constructor(private readonly key: Uint8Array) {}
  seal(nonce: Uint8Array, plaintext: Uint8Array, padding: number, out: Uint8Array, offset: number): number {
    const n = plaintext.length + padding;
    let input = plaintext;
    if (padding > 0) {
      if (this.scratch.length < n) this.scratch = new Uint8Array(n);
      this.scratch.set(plaintext);
      this.scratch.fill(0, plaintext.length, n);
      input = this.scratch.subarray(0, n);
    }
    chacha20poly1305(this.key, nonce).encrypt(input, out.subarray(offset, offset + n + TAG));
    return n + TAG;
  }
  open(nonce: Uint8Array, sealed: Uint8Array): Uint8Array | null {
    return open(chacha20poly1305, this.key, nonce, sealed, new Uint8Array(0));
  }
}

export const nobleBackend: CryptoBackend = {
  name: 'noble',
  aeadSeal: (key, nonce, plaintext, ad) => chacha20poly1305(key, nonce, ad).encrypt(plaintext),
  aeadOpen: (key, nonce, sealed, ad) => open(chacha20poly1305, key, nonce, sealed, ad),
  xaeadSeal: (key, nonce, plaintext, ad) => xchacha20poly1305(key, nonce, ad).encrypt(plaintext),
  xaeadOpen: (key, nonce, sealed, ad) => open(xchacha20poly1305, key, nonce, sealed, ad),
  hash(a, b) {
    const h = blake2s.create();
    h.update(a);
    if (b !== undefined) h.update(b);
    return h.digest();
  },
  hmac: (key, data) => hmac(blake2s, key, data),
  mac: (key, data) => blake2s(data, { key, dkLen: 16 }),
  x25519(privateKey, publicKey) {
    let out: Uint8Array;
    try {
      out = x25519.getSharedSecret(privateKey, publicKey);
    } catch {
      return null; // noble throws on a low-order point
    }
    return isAllZero(out) ? null : out;
  },
  x25519Public: (privateKey) => x25519.getPublicKey(privateKey),
  transportCipher: (key) => new NobleTransportCipher(key.slice()),
};
