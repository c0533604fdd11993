// The account id: the Cosmos-style address of the mnemonic's first key, as upstream's VpnAccount
// derives it (src/account/account-key.ts holds the derivation).
//
// The key's code (secp256k1, BIP32: about 0.3 MB of the daemon's heap) is imported on first use, not at
// start: a router without an account, or with static peers, never holds it.
import type { AccountKey } from './account-key.js';
import type { Mnemonic } from './mnemonic.js';

export async function accountKeyFromMnemonic(mnemonic: Mnemonic): Promise<AccountKey> {
  const { AccountKey } = await import('./account-key.js');
  return AccountKey.fromMnemonic(mnemonic);
}

export async function accountIdFromMnemonic(mnemonic: Mnemonic): Promise<string> {
  return (await accountKeyFromMnemonic(mnemonic)).address;
}
