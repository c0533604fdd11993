// TAI64N timestamps (12 bytes, big-endian) for handshake initiations, plus the responder's
// "strictly newer than the last one" replay check.
import { TAI64N_SIZE } from './constants.js';

const TAI64_BASE = 2n ** 62n + 10n; // label of 1970 TAI, +10 s as wireguard-go's tai64n package
// wireguard-go rounds nanoseconds down to a multiple of this so the timestamp leaks less of the clock.
const WHITENER_MASK_NS = 0x1000000;

/** Encodes wall-clock milliseconds since the epoch (plus extra nanoseconds) as TAI64N. */
export function tai64n(unixMs: number, extraNs = 0): Uint8Array {
  const out = new Uint8Array(TAI64N_SIZE);
  const view = new DataView(out.buffer);
  const seconds = Math.floor(unixMs / 1000);
  let nanos = (unixMs - seconds * 1000) * 1e6 + extraNs;
  nanos = Math.floor(nanos);
  nanos -= nanos % WHITENER_MASK_NS;
  view.setBigUint64(0, TAI64_BASE + BigInt(seconds));
  view.setUint32(8, nanos);
  return out;
}

/** True when `a` is strictly after `b` (byte-wise big-endian comparison is the time order). */
export function tai64nAfter(a: Uint8Array, b: Uint8Array): boolean {
  for (let i = 0; i < TAI64N_SIZE; i++) {
    if (a[i]! !== b[i]!) return a[i]! > b[i]!;
  }
  return false;
}

/**
 * Issues timestamps that never go backwards and always move forward, even when the wall clock
 * is stepped back or two initiations fall into the same whitened interval.
 */
export class MonotonicTai64n {
  private last: Uint8Array = new Uint8Array(TAI64N_SIZE);
  next(unixMs: number): Uint8Array {
    let t = tai64n(unixMs);
    if (!tai64nAfter(t, this.last)) {
      t = this.last.slice();
      const view = new DataView(t.buffer);
      const n = view.getUint32(8) + WHITENER_MASK_NS;
      if (n >= 1e9) {
        view.setBigUint64(0, view.getBigUint64(0) + 1n);
        view.setUint32(8, 0);
      } else {
        view.setUint32(8, n);
      }
    }
    this.last = t;
    return t;
  }
}
