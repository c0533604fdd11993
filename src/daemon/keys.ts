// Our WireGuard private keys, one per hop role, kept in the state dir (0700) as base64 files (0600).
// Made on first use; an existing key is always reused so gateways that know us keep knowing us.

import { join } from 'node:path';
import { ensureDir, writeFileAtomic } from '../fs/atomic-file.js';
import { readSecretFile } from '../fs/secret-file.js';
import { generatePrivateKey, keyFromBase64, keyToBase64 } from '../wireguard/keys.js';

export type HopRole = 'entry' | 'exit';

export function keyPath(stateDir: string, role: HopRole): string {
  return join(stateDir, `wg-${role}.key`);
}

export async function loadOrCreateKey(stateDir: string, role: HopRole): Promise<Uint8Array> {
  await ensureDir(stateDir, 0o700);
  const path = keyPath(stateDir, role);
  // Not through a symlink, only a regular file, 0600 again if someone widened it (as the account files).
  const text = await readSecretFile(path, 4096);
  if (text !== undefined) {
    try {
      return keyFromBase64(text.trim(), path);
    } catch (e) {
      throw new Error(`${path} does not hold a WireGuard key (${(e as Error).message}); remove it to make a new one`);
    }
  }
  const key = generatePrivateKey();
  await writeFileAtomic(path, keyToBase64(key) + '\n', { mode: 0o600 });
  return key;
}
