// The account id: the Cosmos-style address of the mnemonic's first key, as upstream's VpnAccount
// derives it (src/account/account-key.ts holds the derivation).
import { AccountKey } from './account-key.js';
import type { Mnemonic } from './mnemonic.js';

export { ACCOUNT_ID_PREFIX, COSMOS_DERIVATION_PATH } from './account-key.js';

export function accountIdFromMnemonic(mnemonic: Mnemonic): string {
  return AccountKey.fromMnemonic(mnemonic).address;
}
