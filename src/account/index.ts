// What the rest of nym-vpn uses from src/account.

export { AccountStore, AccountStoreError, DEVICE_KEYS_FILE, MNEMONIC_FILE } from './account-store.js';
export type { StoredAccount } from './account-store.js';
export { accountIdFromMnemonic } from './account-id.js';
export { DeviceKeys } from './device-keys.js';
export { MNEMONIC_WORD_COUNTS, Mnemonic, MnemonicError } from './mnemonic.js';
export type { MnemonicProblem } from './mnemonic.js';
