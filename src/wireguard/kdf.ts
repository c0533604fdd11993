// HKDF over HMAC-BLAKE2s as the whitepaper's KDF1/KDF2/KDF3 (see wireguard-go noise-helpers.go).
import type { CryptoBackend } from './crypto/backend.js';

const ONE = Uint8Array.of(1);

function expand(c: CryptoBackend, prk: Uint8Array, prev: Uint8Array, counter: number): Uint8Array {
  const input = new Uint8Array(prev.length + 1);
  input.set(prev);
  input[prev.length] = counter;
  return c.hmac(prk, input);
}

export function kdf1(c: CryptoBackend, key: Uint8Array, input: Uint8Array): Uint8Array {
  return c.hmac(c.hmac(key, input), ONE);
}

export function kdf2(c: CryptoBackend, key: Uint8Array, input: Uint8Array): [Uint8Array, Uint8Array] {
  const prk = c.hmac(key, input);
  const t0 = c.hmac(prk, ONE);
  return [t0, expand(c, prk, t0, 2)];
}

export function kdf3(c: CryptoBackend, key: Uint8Array, input: Uint8Array): [Uint8Array, Uint8Array, Uint8Array] {
  const prk = c.hmac(key, input);
  const t0 = c.hmac(prk, ONE);
  const t1 = expand(c, prk, t0, 2);
  return [t0, t1, expand(c, prk, t1, 3)];
}
