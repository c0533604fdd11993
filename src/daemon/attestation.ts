// Proof that the `nym-vpn` object on the bus is this daemon, for a client about to hand it a secret. While
// nym-vpnd is away from the bus (restarting, re-registering) another client may publish the name; a CLI that
// looked it up would then give the squatter the mnemonic. At start the daemon writes a random key into its run
// dir, readable by root only; the `attest` method answers a caller's nonce with HMAC(key, nonce ‖ object id).
// A caller that can read the key checks the answer, then sends the secret by that object id (not by name), so
// an object that replaced ours after the check receives nothing.
// Not covered: a squatter running as root (it can read the key, or be the daemon), and callers that cannot
// read the key (LuCI goes through rpcd, which calls by name: the owner trusts the bus there).
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { join } from 'node:path';
import { writeFileAtomic } from '../fs/atomic-file.js';

export const ATTEST_KEY_FILE = 'attest.key';
const CONTEXT = 'nym-vpn attest v1';

export function attestKeyPath(runDir: string): string {
  return join(runDir, ATTEST_KEY_FILE);
}

/** HMAC-SHA256(key, context ‖ nonce ‖ object id), hex: what the daemon answers and the caller expects. */
export function attestationProof(key: Uint8Array, nonceHex: string, objectId: number): string {
  return createHmac('sha256', key).update(`${CONTEXT}\n${nonceHex}\n${objectId >>> 0}`).digest('hex');
}

export function proofMatches(expected: string, got: unknown): boolean {
  if (typeof got !== 'string' || got.length !== expected.length) return false;
  return timingSafeEqual(Buffer.from(expected), Buffer.from(got));
}

export class Attestation {
  private constructor(private readonly key: Uint8Array) {}

  /** A new key for this run of the daemon, written 0600 in a 0700 run dir. */
  static async create(runDir: string): Promise<Attestation> {
    const key = randomBytes(32);
    await writeFileAtomic(attestKeyPath(runDir), key.toString('hex') + '\n', { mode: 0o600, dirMode: 0o700 });
    return new Attestation(key);
  }

  proof(nonceHex: string, objectId: number): string {
    return attestationProof(this.key, nonceHex, objectId);
  }
}
