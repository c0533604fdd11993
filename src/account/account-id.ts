// The account id: the Cosmos-style address of the mnemonic's first key, as upstream's VpnAccount
// derives it (DirectSecp256k1HdWallet with prefix "n"): BIP39 seed (empty passphrase) → BIP32
// m/44'/118'/0'/0/0 on secp256k1 → RIPEMD160(SHA256(compressed public key)) → bech32, prefix "n".

import { ripemd160 } from '@noble/hashes/legacy.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { HDKey } from '@scure/bip32';
import { bech32 } from '@scure/base';
import type { Mnemonic } from './mnemonic.js';

/** nym-network-defaults COSMOS_DERIVATION_PATH. */
export const COSMOS_DERIVATION_PATH = "m/44'/118'/0'/0/0";
/** The bech32 prefix of Nyx addresses. */
export const ACCOUNT_ID_PREFIX = 'n';

export function accountIdFromMnemonic(mnemonic: Mnemonic): string {
  const seed = mnemonic.seed();
  const master = HDKey.fromMasterSeed(seed);
  const key = master.derive(COSMOS_DERIVATION_PATH);
  try {
    const publicKey = key.publicKey;
    if (publicKey === null || publicKey.length !== 33) throw new Error('BIP32 derivation gave no compressed public key');
    return bech32.encode(ACCOUNT_ID_PREFIX, bech32.toWords(ripemd160(sha256(publicKey))));
  } finally {
    // Keys derived from the secret do not outlive this call.
    key.wipePrivateData();
    master.wipePrivateData();
    seed.fill(0);
  }
}
