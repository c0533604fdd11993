// Latency to gateways, for the low-latency selection.
//
// How: the time a TCP connect takes to get an answer from the gateway's host: SYN → SYN-ACK when
// something listens (a Nym gateway's client websocket port, which is what upstream's own latency
// check talks to), or SYN → RST when nothing does (the lab's wireguard-go gateways, a self-hosted
// WireGuard box). Either way it is one round trip to the gateway's kernel, needs no privileges
// (unlike ICMP), no registration (a WireGuard handshake is only answered for known keys) and no
// DNS when the directory gives IPs. A host that drops the SYN gives no measurement.
//
// Probes run in parallel (bounded), each attempt has a timeout, and the whole measurement a
// deadline; the probe is injected so that tests and other transports can replace it.

import { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { Gateway } from './gateway.js';

export interface ProbeTarget {
  host: string;
  port: number;
}

/** Resolves with one round-trip time in ms; rejects when there is no answer (or on abort). */
export type LatencyProbe = (target: ProbeTarget, signal: AbortSignal) => Promise<number>;

export interface LatencyMeasurement {
  id: string;
  /** "host:port" probed; absent when the gateway has no address to probe. */
  target?: string;
  /** Best round trip of the attempts, ms; absent when none answered. */
  rttMs?: number;
  attempts: number;
  error?: string;
}

export interface MeasureOptions {
  probe?: LatencyProbe;
  /** Attempts per gateway; the best one counts (default 3). */
  attempts?: number;
  /** Per attempt (default 1000 ms). */
  attemptTimeoutMs?: number;
  /** For the whole measurement (default 3000 ms); gateways not measured by then count as silent. */
  totalMs?: number;
  /** Gateways probed at the same time (default 20, as upstream). */
  concurrency?: number;
  /** Address family to prefer when a gateway has both (default 4: many routers have no IPv6 uplink). */
  preferFamily?: 4 | 6;
  signal?: AbortSignal;
  /**
   * Told the results once the run is over, before they are returned: the daemon keeps them to show in
   * its gateway list even when the selection that asked for them fails afterwards.
   */
  onMeasured?: (measurements: readonly LatencyMeasurement[]) => void;
}

class ProbeFailure extends Error {}

/** The TCP connect probe (see the top of this file). */
export const tcpConnectProbe: LatencyProbe = (target, signal) => tcpConnectProbeWith(undefined)(target, signal);

/** The TCP connect probe over connections `open` makes (nym-vpnd's marked sockets); default the system's. */
export const tcpConnectProbeWith = (open: ((host: string, port: number) => Socket) | undefined): LatencyProbe => (target, signal) =>
  new Promise<number>((resolve, reject) => {
    if (signal.aborted) {
      reject(new ProbeFailure('aborted'));
      return;
    }
    let socket: Socket;
    try {
      socket = open ? open(target.host, target.port) : new Socket();
    } catch (e) {
      reject(new ProbeFailure((e as Error).message));
      return;
    }
    const start = performance.now();
    const done = (error: Error | undefined): void => {
      const rtt = performance.now() - start;
      signal.removeEventListener('abort', onAbort);
      socket.destroy();
      if (error === undefined) resolve(rtt);
      else reject(error);
    };
    const onAbort = (): void => done(new ProbeFailure('no answer in time'));
    signal.addEventListener('abort', onAbort, { once: true });
    socket.once('connect', () => done(undefined));
    socket.once('error', (error: NodeJS.ErrnoException) => {
      // A reset is the host answering: nothing listens there, but it is there.
      if (error.code === 'ECONNREFUSED') done(undefined);
      else done(new ProbeFailure(error.code ?? error.message));
    });
    if (!open) socket.connect({ host: target.host, port: target.port, noDelay: true });
  });

/** What to probe for a gateway: its WireGuard endpoint (static), else an IP and the client ws port. */
export function probeTargetOf(g: Gateway, preferFamily: 4 | 6 = 4): ProbeTarget | undefined {
  if (g.wireguardEndpoint !== undefined) return { ...g.wireguardEndpoint };
  if (g.wsPort === undefined) return undefined;
  const v4 = g.ipAddresses.find((ip) => !ip.includes(':'));
  const v6 = g.ipAddresses.find((ip) => ip.includes(':'));
  const ip = preferFamily === 4 ? (v4 ?? v6) : (v6 ?? v4);
  const host = ip ?? g.hostname;
  return host === undefined ? undefined : { host, port: g.wsPort };
}

function formatTarget(t: ProbeTarget): string {
  return t.host.includes(':') ? `[${t.host}]:${t.port}` : `${t.host}:${t.port}`;
}

/** Measures every gateway (bounded in time and parallelism); results in the order given. */
export async function measureLatencies(gateways: readonly Gateway[], opts: MeasureOptions = {}): Promise<LatencyMeasurement[]> {
  const probe = opts.probe ?? tcpConnectProbe;
  const attempts = Math.max(1, opts.attempts ?? 3);
  const attemptTimeoutMs = opts.attemptTimeoutMs ?? 1000;
  const deadline = performance.now() + (opts.totalMs ?? 3000);
  const overall = new AbortController();
  const stopAll = (): void => overall.abort();
  const timer = setTimeout(stopAll, Math.max(0, deadline - performance.now()));
  opts.signal?.addEventListener('abort', stopAll, { once: true });
  if (opts.signal?.aborted) stopAll();

  const results: LatencyMeasurement[] = gateways.map((g) => ({ id: g.id, attempts: 0 }));
  let next = 0;
  const measureOne = async (i: number): Promise<void> => {
    const m = results[i]!;
    const target = probeTargetOf(gateways[i]!, opts.preferFamily);
    if (target === undefined) {
      m.error = 'no address to probe';
      return;
    }
    m.target = formatTarget(target);
    for (let a = 0; a < attempts && !overall.signal.aborted; a++) {
      const attempt = new AbortController();
      const onStop = (): void => attempt.abort();
      overall.signal.addEventListener('abort', onStop, { once: true });
      const t = setTimeout(onStop, Math.min(attemptTimeoutMs, Math.max(0, deadline - performance.now())));
      m.attempts++;
      try {
        const rtt = await probe(target, attempt.signal);
        if (!(rtt >= 0) || !Number.isFinite(rtt)) throw new ProbeFailure(`probe gave ${rtt}`);
        if (m.rttMs === undefined || rtt < m.rttMs) m.rttMs = rtt;
      } catch (error) {
        m.error = attempt.signal.aborted ? 'no answer in time' : (error as Error).message;
      } finally {
        clearTimeout(t);
        overall.signal.removeEventListener('abort', onStop);
      }
    }
    if (m.rttMs !== undefined) delete m.error;
  };
  const worker = async (): Promise<void> => {
    while (next < gateways.length && !overall.signal.aborted) await measureOne(next++);
  };
  try {
    await Promise.all(Array.from({ length: Math.min(Math.max(1, opts.concurrency ?? 20), gateways.length) }, worker));
  } finally {
    clearTimeout(timer);
    opts.signal?.removeEventListener('abort', stopAll);
  }
  for (const m of results) if (m.rttMs === undefined && m.error === undefined) m.error = 'not measured before the deadline';
  opts.onMeasured?.(results);
  return results;
}
