// Our receiver indices: random 32-bit values naming either a handshake in flight or a keypair
// (wireguard-go indextable.go). Incoming responses, cookie replies and transport messages are
// routed by this index alone.
import { randomBytes } from 'node:crypto';
import type { Keypair } from './keypair.js';

export interface IndexEntry<P> {
  peer: P;
  /** Set once the handshake turned into a keypair. */
  keypair: Keypair | null;
}

export class IndexTable<P> {
  private readonly table = new Map<number, IndexEntry<P>>();
  private pool = new Uint32Array(0);
  private poolPos = 0;

  private random(): number {
    if (this.poolPos >= this.pool.length) {
      const b = randomBytes(256);
      this.pool = new Uint32Array(b.buffer, b.byteOffset, 64);
      this.poolPos = 0;
    }
    return this.pool[this.poolPos++]!;
  }

  /** A fresh, unused index for a handshake of `peer`. */
  newIndex(peer: P): number {
    for (;;) {
      const idx = this.random();
      if (idx !== 0 && !this.table.has(idx)) {
        this.table.set(idx, { peer, keypair: null });
        return idx;
      }
    }
  }

  /** Binds an index that named a handshake to the keypair derived from it. */
  swapForKeypair(index: number, keypair: Keypair): void {
    const e = this.table.get(index);
    if (e !== undefined) e.keypair = keypair;
  }

  lookup(index: number): IndexEntry<P> | undefined {
    return this.table.get(index);
  }

  delete(index: number): void {
    if (index !== 0) this.table.delete(index);
  }

  get size(): number {
    return this.table.size;
  }
}
