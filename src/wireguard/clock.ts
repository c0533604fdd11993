// Time as the device sees it, injectable so tests can move it by hand.

export interface Clock {
  /** Monotonic milliseconds: all timers and ages use this. */
  now(): number;
  /** Wall-clock milliseconds since the epoch: only for TAI64N timestamps and "latest handshake". */
  wall(): number;
}

export const systemClock: Clock = {
  now: () => performance.now(),
  wall: () => Date.now(),
};

/** A clock that only moves when told to. */
export class ManualClock implements Clock {
  constructor(private t = 0, private readonly wallBase = 1_700_000_000_000) {}
  now(): number {
    return this.t;
  }
  wall(): number {
    return this.wallBase + this.t;
  }
  advance(ms: number): void {
    this.t += ms;
  }
}
