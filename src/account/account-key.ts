// The account's secp256k1 key: the first key of the mnemonic's Cosmos wallet (upstream's
// DirectSecp256k1HdWallet with prefix "n"): BIP39 seed (empty passphrase) → BIP32 m/44'/118'/0'/0/0. Its
// address (RIPEMD160(SHA256(compressed public key)), bech32 "n") is the account id; it signs the account JWT. It also seeds the account's e-cash keypair.
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { ripemd160 } from '@noble/hashes/legacy.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { HDKey } from '@scure/bip32';
import { base58, bech32 } from '@scure/base';
import { inspect } from 'node:util';
import type { Mnemonic } from './mnemonic.js';

// The account key signs the account's vpn-api requests now and then, and BIP32 (@scure/bip32: the same noble
// instance) derives it once. noble's default table of base-point multiples, built on first use and kept for
// good, would hold about 0.5 MB of the daemon's heap for that; window 1 is noble's own table-less path (still
// constant-time, same results).
secp256k1.Point.BASE.precompute(1);

/** nym-network-defaults COSMOS_DERIVATION_PATH. */
export const COSMOS_DERIVATION_PATH = "m/44'/118'/0'/0/0";
/** The bech32 prefix of Nyx addresses. */
export const ACCOUNT_ID_PREFIX = 'n';

export class AccountKey {
  readonly #secret: Uint8Array;
  /** Compressed (33 bytes). */
  readonly publicKey: Uint8Array;
  /** The account id, n1…. */
  readonly address: string;

  private constructor(secret: Uint8Array, publicKey: Uint8Array) {
    this.#secret = secret;
    this.publicKey = publicKey;
    this.address = bech32.encode(ACCOUNT_ID_PREFIX, bech32.toWords(ripemd160(sha256(publicKey))));
  }

  static fromMnemonic(mnemonic: Mnemonic): AccountKey {
    const seed = mnemonic.seed();
    const master = HDKey.fromMasterSeed(seed);
    const key = master.derive(COSMOS_DERIVATION_PATH);
    try {
      if (key.privateKey === null || key.publicKey === null || key.publicKey.length !== 33) throw new Error('BIP32 derivation gave no key');
      return new AccountKey(Uint8Array.from(key.privateKey), Uint8Array.from(key.publicKey));
    } finally {
      // What the derivation held of the secret does not outlive this call.
      key.wipePrivateData();
      master.wipePrivateData();
      seed.fill(0);
    }
  }

  /**
   * Cosmos `sign_raw`: secp256k1 over SHA-256 of the message, RFC 6979 nonces, low S, as 64 bytes r ‖ s.
   */
  signRaw(message: Uint8Array): Uint8Array {
    return secp256k1.sign(sha256(message), this.#secret, { prehash: false, lowS: true, format: 'compact' });
  }

  /**
   * The seed of the account's e-cash keypair, bs58: upstream's VpnApiAccount::create_ecash_keypair seeds
   * KeyPairUser::new_seeded with this same 32-byte secp256k1 key, and the WASM's userSecretKey takes it as a
   * bs58 "ed25519 private key" and seeds with its 32 bytes: the same keypair, so books stay the account's.
   */
  ecashUserSecretKey(): string {
    return base58.encode(this.#secret);
  }

  toString(): string {
    return `AccountKey(${this.address})`;
  }

  [inspect.custom](): string {
    return this.toString();
  }
}
