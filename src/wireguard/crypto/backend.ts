// The crypto primitives WireGuard needs, behind one interface so that node:crypto (OpenSSL) and
// @noble (pure JS) can be swapped, compared and mixed per primitive.

/**
 * ChaCha20-Poly1305 bound to one key, for the transport path: created once per keypair so
 * the per-packet work is only the nonce and the cipher itself.
 */
export interface TransportCipher {
  /**
   * Encrypts `plaintext` followed by `padding` zero bytes into `out` at `offset`, tag last.
   * `nonce` is the 12-byte AEAD nonce (4 zero bytes + little-endian counter). Returns bytes written.
   */
  seal(nonce: Uint8Array, plaintext: Uint8Array, padding: number, out: Uint8Array, offset: number): number;
  /** Decrypts ciphertext‖tag; null when authentication fails. No additional data. */
  open(nonce: Uint8Array, sealed: Uint8Array): Uint8Array | null;
  /**
   * Like open, but the plaintext overwrites the ciphertext (a view of `sealed` is returned). Optional: a
   * cipher that cannot (node:crypto) leaves it out. On failure `sealed` holds garbage.
   */
  openInPlace?(nonce: Uint8Array, sealed: Uint8Array): Uint8Array | null;
}

export interface CryptoBackend {
  readonly name: string;
  /** ChaCha20-Poly1305 (RFC 8439): returns ciphertext‖tag. */
  aeadSeal(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, ad: Uint8Array): Uint8Array;
  /** Returns the plaintext, or null if the tag does not verify. */
  aeadOpen(key: Uint8Array, nonce: Uint8Array, sealed: Uint8Array, ad: Uint8Array): Uint8Array | null;
  /** XChaCha20-Poly1305 (24-byte nonce), used only for cookie replies. */
  xaeadSeal(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, ad: Uint8Array): Uint8Array;
  xaeadOpen(key: Uint8Array, nonce: Uint8Array, sealed: Uint8Array, ad: Uint8Array): Uint8Array | null;
  /** BLAKE2s-256 of the concatenation of the parts (avoids a concat on the hot handshake path). */
  hash(a: Uint8Array, b?: Uint8Array): Uint8Array;
  /** HMAC-BLAKE2s (RFC 2104 over BLAKE2s-256), 32 bytes. */
  hmac(key: Uint8Array, data: Uint8Array): Uint8Array;
  /** Keyed BLAKE2s with a 16-byte output (WireGuard's MAC). */
  mac(key: Uint8Array, data: Uint8Array): Uint8Array;
  /** X25519 shared secret; null when the result is all zeros (low-order point). */
  x25519(privateKey: Uint8Array, publicKey: Uint8Array): Uint8Array | null;
  /** X25519 public key for a (clamped) private key. */
  x25519Public(privateKey: Uint8Array): Uint8Array;
  transportCipher(key: Uint8Array): TransportCipher;
}

export function isAllZero(bytes: Uint8Array): boolean {
  let acc = 0;
  for (let i = 0; i < bytes.length; i++) acc |= bytes[i]!;
  return acc === 0;
}
