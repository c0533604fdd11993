// Token bucket per source IP for handshake messages under load (wireguard-go ratelimiter):
// 20 per second, a burst of 5. Entries idle for over a second are collected on use.
import { RATELIMIT_BURST, RATELIMIT_PACKETS_PER_SECOND } from './constants.js';

const PACKET_COST = 1000 / RATELIMIT_PACKETS_PER_SECOND; // ms of tokens per packet
const MAX_TOKENS = PACKET_COST * RATELIMIT_BURST;
const GC_INTERVAL = 1000;

interface Bucket {
  tokens: number;
  last: number;
}

export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private lastGc = 0;

  /** `source` identifies the sender's IP (not port), e.g. its text form. */
  allow(source: string, now: number): boolean {
    if (now - this.lastGc > GC_INTERVAL) this.collect(now);
    const b = this.buckets.get(source);
    if (b === undefined) {
      this.buckets.set(source, { tokens: MAX_TOKENS - PACKET_COST, last: now });
      return true;
    }
    b.tokens = Math.min(MAX_TOKENS, b.tokens + (now - b.last));
    b.last = now;
    if (b.tokens > PACKET_COST) {
      b.tokens -= PACKET_COST;
      return true;
    }
    return false;
  }

  private collect(now: number): void {
    this.lastGc = now;
    for (const [k, b] of this.buckets) if (now - b.last > GC_INTERVAL) this.buckets.delete(k);
  }

  get size(): number {
    return this.buckets.size;
  }
}
