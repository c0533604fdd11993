// What the daemon last measured of each gateway's latency, so that the `gateways` list can show it.
//
// Only probes the daemon already runs (the low-latency selection while connecting) write here; reading
// never probes, so listing gateways in a loop cannot make the router send anything.
//
// Each gateway keeps its latest measurement only: a probe that got no answer replaces an older answer
// (that gateway is not reachable now, whatever it was). A measurement older than the book's maximum age
// is no longer told: a latency from yesterday says little about today's path. Age is kept on the
// monotonic clock (a router without a real-time clock steps its wall clock at the first NTP answer);
// the wall time is kept only to say when it was measured.

import type { LatencyMeasurement } from './latency.js';

/** What the book tells of one gateway. */
export interface LatencyRecord {
  /** Best round trip of the latest probe, ms; absent when that probe got no answer. */
  rttMs?: number;
  /** Wall clock of that probe, ms since the epoch. */
  measuredAtMs: number;
}

export interface LatencyBookOptions {
  /** Monotonic clock, ms (for ages). */
  monotonic: () => number;
  /** Wall clock, ms since the epoch (for measuredAtMs). */
  wall: () => number;
  /** Measurements older than this are no longer told (default LATENCY_MAX_AGE_MS). */
  maxAgeMs?: number;
  /** Gateways remembered at most; the oldest measurements go first (default 1000). */
  maxEntries?: number;
}

/**
 * An hour, as upstream's limit for the age of a gateway's probe results: the path to a gateway
 * changes over hours (routing, load), and a value older than that would mislead more than inform.
 */
export const LATENCY_MAX_AGE_MS = 60 * 60_000;

/** The directory lists a few hundred gateways; this bounds the book whatever it lists. */
const DEFAULT_MAX_ENTRIES = 1000;
/** Gateway ids are base58 identity keys or UCI-made names; anything longer is not an id. */
const MAX_ID_LENGTH = 128;

interface Entry extends LatencyRecord {
  atMonotonic: number;
}

export class LatencyBook {
  private readonly entries = new Map<string, Entry>();
  private readonly maxAgeMs: number;
  private readonly maxEntries: number;

  constructor(private readonly opts: LatencyBookOptions) {
    this.maxAgeMs = opts.maxAgeMs ?? LATENCY_MAX_AGE_MS;
    this.maxEntries = opts.maxEntries ?? DEFAULT_MAX_ENTRIES;
    if (!(this.maxAgeMs > 0) || !Number.isFinite(this.maxAgeMs)) throw new RangeError(`maxAgeMs must be a positive number, got ${String(opts.maxAgeMs)}`);
    if (!Number.isInteger(this.maxEntries) || this.maxEntries < 1) throw new RangeError(`maxEntries must be a positive integer, got ${String(opts.maxEntries)}`);
  }

  /**
   * Keeps the measurements of one probe run. Gateways that were not probed (no address, or the deadline
   * came before their turn: no attempt) are not measurements and leave what the book knows unchanged, as
   * do entries that are not measurements at all (a bad id, a round trip that is not a finite number ≥ 0).
   */
  record(measurements: readonly LatencyMeasurement[]): void {
    const atMonotonic = this.opts.monotonic();
    const measuredAtMs = this.opts.wall();
    for (const m of measurements) {
      if (typeof m?.id !== 'string' || m.id.length === 0 || m.id.length > MAX_ID_LENGTH) continue;
      if (!Number.isInteger(m.attempts) || m.attempts < 1) continue;
      if (m.rttMs !== undefined && !(typeof m.rttMs === 'number' && Number.isFinite(m.rttMs) && m.rttMs >= 0)) continue;
      // Delete first so that the Map's order stays oldest first, for the eviction below.
      this.entries.delete(m.id);
      this.entries.set(m.id, { atMonotonic, measuredAtMs, ...(m.rttMs !== undefined ? { rttMs: m.rttMs } : {}) });
    }
    this.prune(atMonotonic);
    for (const id of this.entries.keys()) {
      if (this.entries.size <= this.maxEntries) break;
      this.entries.delete(id);
    }
  }

  /** The latest measurement of a gateway, or undefined when there is none younger than the maximum age. */
  latest(id: string): LatencyRecord | undefined {
    const e = this.entries.get(id);
    if (e === undefined) return undefined;
    if (this.opts.monotonic() - e.atMonotonic >= this.maxAgeMs) {
      this.entries.delete(id);
      return undefined;
    }
    return e.rttMs === undefined ? { measuredAtMs: e.measuredAtMs } : { rttMs: e.rttMs, measuredAtMs: e.measuredAtMs };
  }

  /** How many gateways the book remembers now (stale ones included until they are looked at or pruned). */
  get size(): number {
    return this.entries.size;
  }

  private prune(now: number): void {
    for (const [id, e] of this.entries) if (now - e.atMonotonic >= this.maxAgeMs) this.entries.delete(id);
  }
}
