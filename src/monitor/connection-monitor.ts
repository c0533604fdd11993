// The connection monitor: is the tunnel still carrying traffic? It sends ICMP echoes through both
// hops (injected into the tunnel, replies taken out before the TUN) and watches the handshake age.
// Upstream's timings by default: first probe 3 s × 3 tries, then every 10 s with 5 s × 3 tries.

import { performance } from 'node:perf_hooks';

export interface MonitorTimings {
  /** Per-try timeout and tries while establishing, ms. */
  initialTimeout: number;
  initialTries: number;
  /** Time between probes once up, ms. */
  interval: number;
  timeout: number;
  tries: number;
  /** A hop whose last handshake is older than this is dead (wireguard-go rejects keys after 180 s). */
  maxHandshakeAge: number;
  /** Also probe with packets of this size (the tunnel's MTU) to find an MTU black hole; off when undefined. */
  fullSize?: number;
}

export const DEFAULT_TIMINGS: MonitorTimings = {
  initialTimeout: 3000,
  initialTries: 3,
  interval: 10000,
  timeout: 5000,
  tries: 3,
  maxHandshakeAge: 180_000 + 10_000,
};

export interface ProbePort {
  /** Sends one echo request; `seq` identifies it; `size` is the whole IP packet (default: small). */
  sendEcho(seq: number, size?: number): void;
  /** Latest handshake per hop on the monotonic clock, ms (0 = none). */
  handshakes(): { entry: number; exit: number };
}

export type MonitorVerdict = { ok: true; rttMs: number } | { ok: false; reason: string };

export class ConnectionMonitor {
  private seq = 0;
  private waiting = new Map<number, (rtt: number) => void>();
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  lastRtt: number | undefined;
  /** Told once, when the tunnel is found dead; the monitor has stopped itself by then. */
  onDead: (reason: string) => void = () => {};
  /**
   * Told once when full-size packets stop getting through while small ones do: an MTU black hole on the
   * path. (Once worked around, full-size probes pass again; the workaround stays for this tunnel.)
   */
  onBlackHole: () => void = () => {};
  /** Full-size probe packets in the current run of misses; a black hole is declared after `tries`. */
  private bigMisses = 0;
  private blackHole = false;

  constructor(
    private readonly port: ProbePort,
    private readonly target: string,
    private readonly timings: MonitorTimings = DEFAULT_TIMINGS,
    /** Monotonic ms, the clock of the handshake stamps (the WireGuard devices' performance.now()). */
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Feed every echo reply seen coming out of the tunnel. */
  onEchoReply(seq: number): void {
    this.waiting.get(seq)?.(0);
  }

  /** One probe with `tries` attempts of `timeout` ms; resolves with the verdict. */
  async probe(tries: number, timeout: number, size?: number): Promise<MonitorVerdict> {
    for (let i = 0; i < tries && !this.stopped; i++) {
      const seq = (this.seq = (this.seq + 1) & 0xffff);
      const sent = this.now();
      const rtt = await new Promise<number | null>((resolve) => {
        const t = setTimeout(() => { this.waiting.delete(seq); resolve(null); }, timeout);
        this.waiting.set(seq, () => { clearTimeout(t); this.waiting.delete(seq); resolve(this.now() - sent); });
        this.port.sendEcho(seq, size);
      });
      if (rtt !== null) {
        this.lastRtt = rtt;
        return { ok: true, rttMs: rtt };
      }
    }
    return { ok: false, reason: `no reply from ${this.target} through the tunnel (${tries} × ${Math.round(timeout / 1000)} s)` };
  }

  /** Checks the tunnel once with the initial timings (used right after connecting). */
  initialCheck(): Promise<MonitorVerdict> {
    return this.probe(this.timings.initialTries, this.timings.initialTimeout);
  }

  /** Starts the periodic checks; onDead is called once, then the monitor stops itself. */
  start(): void {
    const loop = async () => {
      if (this.stopped) return;
      const hs = this.port.handshakes();
      const age = this.now() - Math.min(hs.entry, hs.exit);
      let verdict: MonitorVerdict;
      if (age > this.timings.maxHandshakeAge) {
        verdict = { ok: false, reason: `last handshake ${Math.round(age / 1000)} s ago` };
      } else {
        verdict = await this.probe(this.timings.tries, this.timings.timeout);
      }
      if (this.stopped) return;
      if (!verdict.ok) {
        this.stop();
        this.onDead(verdict.reason);
        return;
      }
      if (this.timings.fullSize !== undefined) await this.checkFullSize(this.timings.fullSize);
      if (this.stopped) return;
      this.timer = setTimeout(loop, this.timings.interval);
    };
    this.timer = setTimeout(loop, this.timings.interval);
  }

  /** One full-size probe (one try) after a good small one: small yes, big no, `tries` times = black hole. */
  private async checkFullSize(size: number): Promise<void> {
    const big = await this.probe(1, this.timings.timeout, size);
    if (this.stopped) return;
    if (big.ok) {
      this.bigMisses = 0;
      return;
    }
    this.bigMisses++;
    if (!this.blackHole && this.bigMisses >= this.timings.tries) {
      this.blackHole = true;
      this.onBlackHole();
    }
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.waiting.clear();
  }
}
