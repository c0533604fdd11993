// Our WireGuard private keys, one per hop role, kept in the state dir (0700) as base64 files (0600).
// Made on first use; an existing key is always reused so gateways that know us keep knowing us.

import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generatePrivateKey, keyFromBase64, keyToBase64 } from '../wireguard/keys.js';

export type HopRole = 'entry' | 'exit';

export function keyPath(stateDir: string, role: HopRole): string {
  return join(stateDir, `wg-${role}.key`);
}

export function loadOrCreateKey(stateDir: string, role: HopRole): Uint8Array {
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  chmodSync(stateDir, 0o700);
  const path = keyPath(stateDir, role);
  if (existsSync(path)) {
    const text = readFileSync(path, 'utf8').trim();
    try {
      return keyFromBase64(text, `${path}`);
    } catch (e) {
      throw new Error(`${path} does not hold a WireGuard key (${(e as Error).message}); remove it to make a new one`);
    }
  }
  const key = generatePrivateKey();
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, keyToBase64(key) + '\n', { mode: 0o600 });
  renameSync(tmp, path);
  return key;
}
