// The loop that keeps a connected tunnel's bandwidth paid for, as nym-vpn-client's BandwidthMonitor runs it
// (the rules are bandwidth-policy.ts; this file owns the order, the clock and the state): 5 s after the tunnel
// is up, then every period the last answers asked for, each gateway with a metadata service is asked what is
// left, one after the other; a gateway running low is paid one ticket of its hop's type; every second, a burst
// of traffic brings a long period back to the shortest. It ends only when the tunnel must end: a top-up that
// fails (no ticket left, or the gateway refused it: bandwidth runs out, a clear error, not a stall), or a
// gateway that stopped answering after it had answered before.
import {
  FIRST_CHECK_PERIOD_S, INITIAL_DEPLETION, MIN_CHECK_PERIOD_S, assessRemaining, burstShortensPeriod, nextCheckPeriod, queryFailureStep,
  ticketTypeForHop, upgradeModeStep, type DepletionState, type Hop,
} from './bandwidth-policy.js';
import type { RemainingBandwidth } from './metadata-client.js';
import type { TicketType } from '../zk-nym/ticket-type.js';

/** A gateway's metadata service (MetadataClient, reached inside that gateway's tunnel). */
export interface GatewayMetadata {
  availableBandwidth(): Promise<RemainingBandwidth>;
  topUp(credential: Uint8Array): Promise<RemainingBandwidth>;
}

export interface BandwidthMonitorPorts {
  /** The hops whose gateway meters us (registered over Nym), with its id (tickets are bound to it). */
  hops: Partial<Record<Hop, { gatewayId: string; metadata: GatewayMetadata }>>;
  /** One ticket of `type` spent for the gateway (TicketSpender.spend); rejects when none is left. */
  spend(type: TicketType, gatewayId: string): Promise<Uint8Array>;
  /** Resolves after ms, or at once when the signal aborts. */
  sleep(ms: number, signal: AbortSignal): Promise<void>;
  /** Wall clock, ms: when a balance was read (status shows it). */
  now(): number;
  /** Bytes through the tunnel so far, both ways. */
  trafficBytes(): number;
  log: { info(m: string): void; warn(m: string): void };
}

/** What status shows for a hop. */
export interface HopBandwidth {
  gatewayId: string;
  /** The last balance answered, bytes (undefined before the first answer). */
  remainingBytes?: bigint;
  /** When it was answered, wall ms. */
  checkedAt?: number;
  upgradeMode?: boolean;
  /** Tickets paid since the tunnel came up. */
  topUps: number;
  /** The last failed query's reason (cleared by the next answer). */
  problem?: string;
}

/** Why the tunnel must end. */
export interface BandwidthEnd {
  /** 'exhausted': no ticket could pay, or the gateway refused it. 'silent': a gateway stopped answering. */
  kind: 'exhausted' | 'silent';
  hop: Hop;
  message: string;
}

const HOPS: readonly Hop[] = ['entry', 'exit'];

export class BandwidthMonitor {
  readonly view: Partial<Record<Hop, HopBandwidth>> = {};
  private readonly depletion: Partial<Record<Hop, DepletionState>> = {};
  private readonly failed: Partial<Record<Hop, boolean>> = {};
  private readonly upgradeModeSeen: Partial<Record<Hop, boolean>> = {};
  private successfulChecks = 0;

  constructor(private readonly p: BandwidthMonitorPorts) {
    for (const hop of HOPS) {
      const h = p.hops[hop];
      if (h) this.view[hop] = { gatewayId: h.gatewayId, topUps: 0 };
    }
  }

  /** Runs until the tunnel must end (the reason) or the signal aborts (undefined). */
  async run(signal: AbortSignal): Promise<BandwidthEnd | undefined> {
    if (Object.keys(this.view).length === 0) return undefined;
    let period = FIRST_CHECK_PERIOD_S;
    let waited = 0;
    let lastTraffic = this.p.trafficBytes();
    while (!signal.aborted) {
      await this.p.sleep(1000, signal);
      if (signal.aborted) return undefined;
      waited++;
      const traffic = this.p.trafficBytes();
      if (burstShortensPeriod(BigInt(Math.max(0, traffic - lastTraffic)), period)) period = Math.max(MIN_CHECK_PERIOD_S, waited);
      lastTraffic = traffic;
      if (waited < period) continue;
      const asked: Partial<Record<Hop, number>> = {};
      for (const hop of HOPS) {
        if (!this.p.hops[hop]) continue;
        const out = await this.check(hop, waited);
        if (signal.aborted) return undefined;
        if (typeof out === 'object') return out;
        if (out !== undefined) asked[hop] = out;
      }
      period = nextCheckPeriod(period, asked.entry, asked.exit);
      waited = 0;
    }
    return undefined;
  }

  /** One gateway: its balance read and, when low, a ticket paid. A number: the period it asks for. */
  private async check(hop: Hop, periodS: number): Promise<number | BandwidthEnd | undefined> {
    const h = this.p.hops[hop]!;
    const view = this.view[hop]!;
    let remaining: RemainingBandwidth;
    try {
      remaining = await h.metadata.availableBandwidth();
    } catch (e) {
      const step = queryFailureStep(this.failed[hop] ?? false, this.successfulChecks);
      this.failed[hop] = true;
      view.problem = (e as Error).message;
      if (step === 'disconnect') return { kind: 'silent', hop, message: `the ${hop} gateway stopped answering bandwidth queries: ${view.problem}` };
      if (step === 'warn') this.p.log.warn(`bandwidth: the ${hop} gateway does not answer: ${view.problem}`);
      return undefined;
    }
    this.failed[hop] = false;
    this.successfulChecks++;
    this.record(view, remaining);
    const assessed = assessRemaining(this.depletion[hop] ?? INITIAL_DEPLETION, periodS, remaining.bytes);
    this.depletion[hop] = assessed.state;
    if (assessed.decision.action === 'check-again') return assessed.decision.afterS;
    const step = upgradeModeStep(remaining.upgradeMode, false, this.upgradeModeSeen[hop] ?? false);
    this.upgradeModeSeen[hop] = step.upgradeModeOnLastCheck;
    if (step.step === 'skip-top-up') return undefined;
    const type = ticketTypeForHop(hop);
    let credential: Uint8Array;
    try {
      credential = await this.p.spend(type, h.gatewayId);
    } catch (e) {
      return { kind: 'exhausted', hop, message: `bandwidth at the ${hop} gateway runs out and no ${type} ticket can pay for more: ${(e as Error).message}` };
    }
    try {
      const after = await h.metadata.topUp(credential);
      view.topUps++;
      this.record(view, after);
      this.p.log.info(`bandwidth: paid the ${hop} gateway one ${type} ticket; ${after.bytes} bytes left`);
    } catch (e) {
      return { kind: 'exhausted', hop, message: `the ${hop} gateway did not take a ${type} ticket (it is spent): ${(e as Error).message}` };
    }
    return undefined;
  }

  private record(view: HopBandwidth, r: RemainingBandwidth): void {
    view.remainingBytes = r.bytes;
    view.checkedAt = this.p.now();
    if (r.upgradeMode !== undefined) view.upgradeMode = r.upgradeMode;
    delete view.problem;
  }
}
