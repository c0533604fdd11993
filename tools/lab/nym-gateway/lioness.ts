// LIONESS (Anderson and Biham's four-round unbalanced Feistel wide-block cipher) as the sphinx-packet crate
// instantiates it for payloads: `Lioness<ChaCha20, Blake2bMac<U32>>` from jstuczyn/lioness-rs (sphinx-packet
// 0.6.0 src/payload/mod.rs, NymLioness). Read, not yet compared with another implementation except through
// real packets of nym-client-wasm 1.4.1 (test/lab-nym/sphinx.test.ts):
//   key (192 bytes) = k1 (ChaCha20 key, 32) || k2 (BLAKE2b MAC key, 64) || k3 (32) || k4 (64)
//   block = L (32 bytes, the MAC's output size) || R (the rest, so blocks must be longer than 32 bytes)
//   encrypt: R ^= ChaCha20(L ^ k1); L ^= BLAKE2b-256(key k2, R); R ^= ChaCha20(L ^ k3); L ^= BLAKE2b-256(key k4, R)
//   decrypt: the same four rounds in reverse order.
// ChaCha20 is the IETF variant (96-bit nonce) with an all-zero nonce from block 0, as the `chacha20` crate's
// `ChaCha20::new(key, &Default::default())`. Pure: no I/O.
import { chacha20 } from '@noble/ciphers/chacha.js';
import { blake2b } from '@noble/hashes/blake2.js';

export const LIONESS_KEY_SIZE = 192;
/** The left half: BLAKE2b's output size here. */
const LEFT = 32;
const STREAM_KEY = 32;
const MAC_KEY = 64;
const ZERO_NONCE = new Uint8Array(12);

export class LionessError extends Error {
  override readonly name = 'LionessError';
}

interface LionessKeys {
  k1: Uint8Array;
  k2: Uint8Array;
  k3: Uint8Array;
  k4: Uint8Array;
}

function splitKey(key: Uint8Array): LionessKeys {
  if (key.length !== LIONESS_KEY_SIZE) throw new LionessError(`a Lioness key has ${LIONESS_KEY_SIZE} bytes, not ${key.length}`);
  let at = 0;
  const take = (n: number) => { const k = key.subarray(at, at + n); at += n; return k; };
  return { k1: take(STREAM_KEY), k2: take(MAC_KEY), k3: take(STREAM_KEY), k4: take(MAC_KEY) };
}

function halves(block: Uint8Array): { left: Uint8Array; right: Uint8Array } {
  if (block.length <= LEFT) throw new LionessError(`a Lioness block must be longer than ${LEFT} bytes, got ${block.length}`);
  return { left: block.subarray(0, LEFT), right: block.subarray(LEFT) };
}

/** R ^= ChaCha20(key = L ^ k). */
function streamRound(left: Uint8Array, right: Uint8Array, k: Uint8Array): void {
  const streamKey = new Uint8Array(STREAM_KEY);
  for (let i = 0; i < STREAM_KEY; i++) streamKey[i] = left[i] ^ k[i];
  right.set(chacha20(streamKey, ZERO_NONCE, right));
}

/** L ^= BLAKE2b-256 keyed with k over R. */
function hashRound(left: Uint8Array, right: Uint8Array, k: Uint8Array): void {
  const digest = blake2b(right, { key: k, dkLen: LEFT });
  for (let i = 0; i < LEFT; i++) left[i] ^= digest[i];
}

/** Encrypts `block` in place. */
export function lionessEncrypt(key: Uint8Array, block: Uint8Array): void {
  const { k1, k2, k3, k4 } = splitKey(key);
  const { left, right } = halves(block);
  streamRound(left, right, k1);
  hashRound(left, right, k2);
  streamRound(left, right, k3);
  hashRound(left, right, k4);
}

/** Decrypts `block` in place. */
export function lionessDecrypt(key: Uint8Array, block: Uint8Array): void {
  const { k1, k2, k3, k4 } = splitKey(key);
  const { left, right } = halves(block);
  hashRound(left, right, k4);
  streamRound(left, right, k3);
  hashRound(left, right, k2);
  streamRound(left, right, k1);
}
