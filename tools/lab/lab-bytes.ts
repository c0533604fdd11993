// The deterministic byte stream inet's `/bytes?n=N` serves, so that a transfer test can check what
// arrived without the server sending a checksum. Block k (64 KiB) is a fixed xorshift32 pattern XORed
// word by word with k, so blocks differ and a lost, duplicated or swapped block changes the hash.
import { createHash } from 'node:crypto';

export const BLOCK_SIZE = 64 * 1024;

let pattern: Uint32Array | undefined;

function basePattern(): Uint32Array {
  if (pattern === undefined) {
    pattern = new Uint32Array(BLOCK_SIZE / 4);
    let x = 0x9e3779b9;
    for (let i = 0; i < pattern.length; i++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      pattern[i] = x >>> 0;
    }
  }
  return pattern;
}

/** Block k of the stream (always BLOCK_SIZE bytes; words little-endian as on every machine we run on). */
export function labBlock(k: number): Buffer {
  const base = basePattern();
  const out = new Uint32Array(base.length);
  const salt = Math.imul(k + 1, 0x85ebca6b) >>> 0;
  for (let i = 0; i < base.length; i++) out[i] = base[i]! ^ salt;
  return Buffer.from(out.buffer);
}

/** The first n bytes of the stream, block by block. */
export function* labBytes(n: number): Generator<Buffer> {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`bad length ${n}`);
  for (let k = 0, left = n; left > 0; k++) {
    const block = labBlock(k);
    yield left >= BLOCK_SIZE ? block : block.subarray(0, left);
    left -= BLOCK_SIZE;
  }
}

/** sha256 (hex) of the first n bytes of the stream: what a client should have received. */
export function labBytesSha256(n: number): string {
  const h = createHash('sha256');
  for (const b of labBytes(n)) h.update(b);
  return h.digest('hex');
}
