// Sliding replay window for transport counters, RFC 6479 style: a ring of 64-bit blocks where
// moving forward clears whole blocks instead of shifting bits. Window = 8128 counters.
import { REPLAY_BLOCK_BITS, REPLAY_RING_BLOCKS, REPLAY_WINDOW_SIZE } from './constants.js';

// 64-bit blocks as two 32-bit halves: JS bit operations are 32-bit.
const WORDS = REPLAY_RING_BLOCKS * 2;

export class ReplayWindow {
  private greatest = 0;
  private readonly ring = new Uint32Array(WORDS);

  reset(): void {
    this.greatest = 0;
    this.ring.fill(0);
  }

  /**
   * Accepts a counter once: returns false if it is at/over `limit`, older than the window, or
   * already seen. Call only after the packet authenticated, or forged counters would move it.
   */
  check(counter: number, limit: number): boolean {
    if (!(counter < limit) || counter < 0 || !Number.isInteger(counter)) return false;
    const block = Math.floor(counter / REPLAY_BLOCK_BITS);
    if (counter > this.greatest) {
      const current = Math.floor(this.greatest / REPLAY_BLOCK_BITS);
      const diff = Math.min(block - current, REPLAY_RING_BLOCKS);
      for (let i = 1; i <= diff; i++) {
        const w = ((current + i) % REPLAY_RING_BLOCKS) * 2;
        this.ring[w] = 0;
        this.ring[w + 1] = 0;
      }
      this.greatest = counter;
    } else if (this.greatest - counter > REPLAY_WINDOW_SIZE) {
      return false;
    }
    const bit = counter % REPLAY_BLOCK_BITS;
    const w = (block % REPLAY_RING_BLOCKS) * 2 + (bit >= 32 ? 1 : 0);
    const mask = 1 << (bit & 31);
    const old = this.ring[w]!;
    if ((old & mask) !== 0) return false;
    this.ring[w] = old | mask;
    return true;
  }
}
