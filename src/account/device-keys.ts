// The device's key pair: random ed25519, not derived from the mnemonic (as upstream's Device). Its
// identity — what `get-device-id` prints and the API registers — is the public key in base58.
// Signatures are over SHA-256 of the message, as upstream's Device::sign makes them.

import { randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { base58 } from '@scure/base';

const SECRET_BYTES = 32;

// The device signs a vpn-api request now and then, never in bulk. noble's default for the base point is a table
// of its multiples, built on the first signature and kept for good: about 0.4 MB of the daemon's heap. Window 1 is
// noble's own table-less path (still constant-time, same results), a few milliseconds slower per signature.
ed25519.Point.BASE.precompute(1);

export class DeviceKeys {
  readonly #secret: Uint8Array;
  readonly publicKey: Uint8Array;

  private constructor(secret: Uint8Array) {
    if (secret.length !== SECRET_BYTES) throw new RangeError(`a device secret key is ${SECRET_BYTES} bytes, got ${secret.length}`);
    this.#secret = Uint8Array.from(secret);
    this.publicKey = ed25519.getPublicKey(this.#secret);
  }

  static generate(): DeviceKeys {
    const secret = new Uint8Array(randomBytes(SECRET_BYTES));
    try {
      return new DeviceKeys(secret);
    } finally {
      secret.fill(0);
    }
  }

  /** From the 32-byte ed25519 secret (seed). */
  static fromSecret(secret: Uint8Array): DeviceKeys {
    return new DeviceKeys(secret);
  }

  /** The device identity: base58 of the public key. */
  get identity(): string {
    return base58.encode(this.publicKey);
  }

  /** ed25519 signature over SHA-256(message). */
  sign(message: Uint8Array | string): Uint8Array {
    const bytes = typeof message === 'string' ? new TextEncoder().encode(message) : message;
    return ed25519.sign(sha256(bytes), this.#secret);
  }

  /** The secret, base58 (upstream's private key form), for the store only. */
  exportSecret(): string {
    return base58.encode(this.#secret);
  }

  toString(): string {
    return `DeviceKeys(${this.identity})`;
  }

  toJSON(): { identity: string } {
    return { identity: this.identity };
  }

  [inspect.custom](): string {
    return this.toString();
  }
}
