// Curve25519 key helpers: generation, derivation and the base64 form `wg` prints.
import { randomBytes } from 'node:crypto';
import { KEY_SIZE } from './constants.js';
import type { CryptoBackend } from './crypto/backend.js';
import { defaultBackend } from './crypto/index.js';

/** Applies X25519 clamping in place, as `wg genkey` does, and returns the key. */
export function clampPrivateKey(key: Uint8Array): Uint8Array {
  key[0]! &= 248;
  key[31]! &= 127;
  key[31]! |= 64;
  return key;
}

export function generatePrivateKey(): Uint8Array {
  return clampPrivateKey(new Uint8Array(randomBytes(KEY_SIZE)));
}

export function publicKeyFromPrivate(privateKey: Uint8Array, backend: CryptoBackend = defaultBackend): Uint8Array {
  if (privateKey.length !== KEY_SIZE) throw new RangeError(`private key must be ${KEY_SIZE} bytes, got ${privateKey.length}`);
  return new Uint8Array(backend.x25519Public(privateKey));
}

export function generatePresharedKey(): Uint8Array {
  return new Uint8Array(randomBytes(KEY_SIZE));
}

export function keyToBase64(key: Uint8Array): string {
  if (key.length !== KEY_SIZE) throw new RangeError(`key must be ${KEY_SIZE} bytes, got ${key.length}`);
  return Buffer.from(key.buffer, key.byteOffset, key.length).toString('base64');
}

const BASE64_KEY = /^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$/;

/** Parses a 32-byte key in standard base64 (44 chars, one '='), rejecting anything else. */
export function keyFromBase64(text: string, what = 'key'): Uint8Array {
  if (typeof text !== 'string' || !BASE64_KEY.test(text)) {
    throw new TypeError(`${what}: not a base64-encoded 32-byte key: ${JSON.stringify(String(text).slice(0, 60))}`);
  }
  return new Uint8Array(Buffer.from(text, 'base64'));
}

export function keysEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i]! ^ b[i]!;
  return d === 0;
}
