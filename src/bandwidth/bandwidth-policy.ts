// When to ask a gateway how much bandwidth is left, and when to pay it another ticket: the rules of
// nym-vpn-client's bandwidth monitor, pure (nymtech/nym-vpn-client nym-vpn-core/crates/nym-vpn-lib/src/
// bandwidth_monitor.rs at 1e68c165f785: DepletionRate::update_dynamic_check_interval, BandwidthMonitor::
// {handle_bandwidth_query, handle_bandwidth_query_error, top_up_bandwidth, run}, SystemBandwidthMonitor).
// The caller owns the clock, the sockets and the tickets; these functions only decide.
//
// The loop upstream runs, per tunnel, with both gateways checked one after the other on each tick:
//   - the first tick is 5 s after the tunnel is up; then the period is whatever the last checks asked for;
//   - each check queries the gateway; a successful answer goes through `assessRemaining`; `top-up` spends
//     TICKETS_PER_TOP_UP ticket of the hop's type (v1-wireguard-entry / -exit) and posts it; a failed top-up
//     ends the tunnel;
//   - the next period is the shortest of the two checks' answers, unchanged if neither gave one;
//   - every second, more than 8 MiB through the tunnel since the last second brings the period back to 5 s.
import type { TicketType } from '../zk-nym/ticket-type.js';

const MiB = 1024n * 1024n;

/** DEFAULT_BANDWIDTH_CHECK: the first period. */
export const FIRST_CHECK_PERIOD_S = 5;
/** LOWER_BOUND_CHECK_DURATION = DEFAULT_PEER_TIMEOUT_CHECK (common/wireguard-types): the gateway meters every 5 s. */
export const MIN_CHECK_PERIOD_S = 5;
/** UPPER_BOUND_CHECK_DURATION: 6 × the gateway's metering period. */
export const MAX_CHECK_PERIOD_S = 30;
/** DEFAULT_BANDWIDTH_DEPLETION_RATE: the rate assumed until two answers have been compared. */
export const ASSUMED_DEPLETION_BYTES_PER_S = 1n * MiB;
/**
 * MINIMUM_RAMAINING_BANDWIDTH [sic]: below 1000 MiB the client pays again. At 1 Gbps (125 MB/s) the 5 s between
 * checks burn 625 MB, so a balance above this survives until the next check.
 */
export const MIN_REMAINING_BYTES = 1000n * MiB;
/** Fewer predicted checks than this before the balance runs out: pay now. */
export const MIN_CHECKS_BEFORE_DEPLETION = 10n;
/** SYSTEM_BANDWIDTH_THRESHOLD, sampled every SYSTEM_BANDWIDTH_CHECK_INTERVAL. */
export const TRAFFIC_BURST_BYTES = 8n * MiB;
export const TRAFFIC_SAMPLE_PERIOD_S = 1;
/** DEFAULT_TICKETS_TO_SPEND (nymtech/nym common/bandwidth-controller/src/traits.rs): one ticket per top-up. */
export const TICKETS_PER_TOP_UP = 1;

export type Hop = 'entry' | 'exit';

/** The ticket a hop is paid with (BandwidthMonitor::ticket_type). */
export function ticketTypeForHop(hop: Hop): TicketType {
  return hop === 'entry' ? 'v1-wireguard-entry' : 'v1-wireguard-exit';
}

/** What one gateway's answers so far say about its rate of use (upstream DepletionRate). */
export interface DepletionState {
  /** Bytes per second, as last measured (or assumed). */
  readonly bytesPerS: bigint;
  /** The balance of the previous answer (0 before the first). */
  readonly lastRemaining: bigint;
}

export const INITIAL_DEPLETION: DepletionState = { bytesPerS: ASSUMED_DEPLETION_BYTES_PER_S, lastRemaining: 0n };

export type CheckDecision =
  /** Enough left: ask again after this many seconds. */
  | { action: 'check-again'; afterS: number }
  /** Pay a ticket now (the period stays as it is). */
  | { action: 'top-up' };

/**
 * One answer assessed (update_dynamic_check_interval). `periodS` is the period that led to this check.
 *
 * - Nothing used since the previous answer (always so for the first answer, and right after a top-up, when
 *   the balance grew): ask again after the minimum period, without paying.
 * - Otherwise the rate is what was used over the period; the balance lasts remaining / rate seconds. Fewer than
 *   10 periods of it, or less than MIN_REMAINING_BYTES: top up.
 * - Else the next period is 30 s if the balance lasts longer than that, 5 s if it lasts less than that, and
 *   otherwise the number of periods it lasts, taken as seconds (upstream's arithmetic, kept; with the two rules
 *   before it this case cannot arise for periods of 5 s or more).
 *
 * A negative balance is taken as 0 (upstream casts the i64 to u64, which would read an overdrawn balance as
 * vast; here an overdrawn gateway is paid).
 */
export function assessRemaining(state: DepletionState, periodS: number, remaining: bigint): { state: DepletionState; decision: CheckDecision } {
  if (!Number.isInteger(periodS) || periodS < 1) throw new RangeError(`the check period must be a whole number of seconds, at least 1: ${periodS}`);
  const period = BigInt(periodS);
  const balance = remaining < 0n ? 0n : remaining;
  const used = state.lastRemaining > balance ? state.lastRemaining - balance : 0n;
  const measured = used / period;
  if (measured === 0n) return { state: { bytesPerS: state.bytesPerS, lastRemaining: balance }, decision: { action: 'check-again', afterS: MIN_CHECK_PERIOD_S } };
  const next: DepletionState = { bytesPerS: measured, lastRemaining: balance };
  const lastsS = balance / measured;
  const periodsLeft = lastsS / period;
  if (periodsLeft < MIN_CHECKS_BEFORE_DEPLETION || balance < MIN_REMAINING_BYTES) return { state: next, decision: { action: 'top-up' } };
  if (lastsS > BigInt(MAX_CHECK_PERIOD_S)) return { state: next, decision: { action: 'check-again', afterS: MAX_CHECK_PERIOD_S } };
  if (lastsS < BigInt(MIN_CHECK_PERIOD_S)) return { state: next, decision: { action: 'check-again', afterS: MIN_CHECK_PERIOD_S } };
  return { state: next, decision: { action: 'check-again', afterS: Number(periodsLeft) } };
}

/** The next period after a tick: the shorter of the two checks' answers, or the current one if neither gave one. */
export function nextCheckPeriod(currentS: number, entryS: number | undefined, exitS: number | undefined): number {
  if (entryS === undefined && exitS === undefined) return currentS;
  return Math.min(entryS ?? Infinity, exitS ?? Infinity);
}

/** A burst through the tunnel (bytes in + out over the last sample) brings a longer period back to the minimum. */
export function burstShortensPeriod(bytesLastSample: bigint, currentPeriodS: number): boolean {
  return bytesLastSample > TRAFFIC_BURST_BYTES && currentPeriodS > MIN_CHECK_PERIOD_S;
}

export type UpgradeModeStep =
  /** The gateway does not meter now: no ticket. */
  | 'skip-top-up'
  /** We hold an upgrade-mode attestation the gateway has not seen: ask it to recheck (a failure is not fatal), then pay. */
  | 'recheck-then-top-up'
  /** Upgrade mode ended: tell the account side (a failure there ends the tunnel), then pay. */
  | 'leave-upgrade-mode-then-top-up'
  /** Business as usual, or a v1 gateway that cannot say: pay. */
  | 'top-up';

/**
 * What to do once `assessRemaining` said top-up, given the gateway's `upgradeMode` (undefined from a v1
 * gateway), whether we hold an upgrade-mode attestation, and whether the previous check found the gateway in
 * upgrade mode. Returns the step and the flag to remember; upstream sets the flag when the gateway is in
 * upgrade mode and never clears it.
 */
export function upgradeModeStep(gatewayUpgradeMode: boolean | undefined, haveAttestation: boolean, upgradeModeOnLastCheck: boolean): { step: UpgradeModeStep; upgradeModeOnLastCheck: boolean } {
  if (gatewayUpgradeMode === true) return { step: 'skip-top-up', upgradeModeOnLastCheck: true };
  if (gatewayUpgradeMode === false && haveAttestation) {
    return { step: upgradeModeOnLastCheck ? 'leave-upgrade-mode-then-top-up' : 'recheck-then-top-up', upgradeModeOnLastCheck };
  }
  return { step: 'top-up', upgradeModeOnLastCheck };
}

export type QueryFailureStep =
  /** The first failure for this gateway: remembered, nothing else ("normal, as long as it does not repeat"). */
  | 'remember'
  /** A repeated failure before any check ever succeeded: a warning only. */
  | 'warn'
  /** A repeated failure after some check succeeded: end the tunnel. */
  | 'disconnect';

/**
 * A failed query (handle_bandwidth_query_error). `previousFailed` is this gateway's flag (cleared by its next
 * successful answer); `successfulChecks` counts successful answers of both gateways since the tunnel came up.
 */
export function queryFailureStep(previousFailed: boolean, successfulChecks: number): QueryFailureStep {
  if (!previousFailed) return 'remember';
  return successfulChecks > 0 ? 'disconnect' : 'warn';
}
