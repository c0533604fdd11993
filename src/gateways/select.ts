// Choosing the entry and the exit gateway, as upstream's select_gateways does (nym-vpn-lib): the
// exit first (the smaller set), then the entry from the rest, so that they always differ.
//
//   id           that gateway (no performance filter: the user asked for it by name)
//   country      a random gateway of that country
//   random       a random gateway
//   low_latency  measured (latency.ts) and drawn with weight 1/latency, as upstream's "random low
//                latency" does, so that everyone does not pile onto the single fastest gateway
//
// Performance: the user's minimum when set; otherwise upstream's tiers, ≥75 % first, then ≥50 %.
// Health: a gateway whose fresh probe (under an hour old) says it cannot connect and route as an
// entry, or is not a fully operational exit, is left out; without fresh probe data (the lab, static
// peers) it is kept. WireGuard needs an authenticator, so directory gateways without one are left out.
// Beyond upstream: a flexible exit avoids the one gateway that could be the entry, so that
// SameEntryAndExitGateway only happens when there is truly no other choice.

import { randomInt } from 'node:crypto';
import type { GatewayChoice } from '../config/nym-vpn-config.js';
import type { ErrorReason } from '../daemon/tunnel-state.js';
import type { Gateway } from './gateway.js';
import { measureLatencies, type LatencyMeasurement, type MeasureOptions } from './latency.js';

/** The reasons upstream's tunnel reports for a failed selection (ErrorStateReason names). */
export type SelectionReason =
  | 'SameEntryAndExitGateway'
  | 'InvalidEntryGatewayCountry' | 'InvalidExitGatewayCountry'
  | 'InvalidEntryGatewayIdentity' | 'InvalidExitGatewayIdentity'
  | 'PerformantEntryGatewayUnavailable' | 'PerformantExitGatewayUnavailable';

export class GatewaySelectionError extends Error {
  override name = 'GatewaySelectionError';
  constructor(
    readonly reason: SelectionReason,
    message: string,
  ) {
    super(message);
  }

  /** The tunnel state's reason: the same names (newer upstream added the Identity and Performant ones). */
  get tunnelReason(): ErrorReason {
    return this.reason;
  }
}

export type Choice = Pick<GatewayChoice, 'select' | 'id' | 'country' | 'minPerformance'>;

export interface SelectionRequest {
  /** Candidates for each hop: the directory's vpn list for both, or static peers by role. */
  entries: readonly Gateway[];
  exits: readonly Gateway[];
  entry: Choice;
  exit: Choice;
  /** For low_latency: the probe, its timeouts, and the caller's signal. */
  latency?: MeasureOptions;
  /** Low-latency measures at most this many gateways, drawn at random (default 50). */
  maxProbed?: number;
  /** Uniform in [0, 1); injected by tests (default: node:crypto). */
  random?: () => number;
  /** ms since the epoch, for probe freshness (default Date.now()). */
  now?: number;
}

export interface SelectionResult {
  entry: Gateway;
  exit: Gateway;
  /** Measured round trip of the chosen gateway, when chosen by latency. */
  entryLatencyMs?: number;
  exitLatencyMs?: number;
  /** Every latency measurement made. */
  measurements: LatencyMeasurement[];
  /** What the log should say about how the choice was made (fallbacks, lowered tiers). */
  notes: string[];
}

type Role = 'entry' | 'exit';

/** Upstream's performance tiers (nym-vpn-lib HIGH/MEDIUM_PERFORMANCE_THRESHOLD). */
const PERFORMANCE_TIERS = [75, 50] as const;
/** Upstream ignores probe results older than an hour (MAX_PROBE_RESULT_AGE_MINUTES). */
const PROBE_MAX_AGE_MS = 60 * 60_000;

const cap = (role: Role): 'Entry' | 'Exit' => (role === 'entry' ? 'Entry' : 'Exit');

function defaultRandom(): number {
  return randomInt(2 ** 47) / 2 ** 47;
}

/** Why a gateway cannot serve `role` now, or undefined when it can. */
export function unfitness(g: Gateway, role: Role, now: number): string | undefined {
  if (g.source === 'directory' && g.authenticatorAddress === undefined) return 'it is not a WireGuard gateway (no authenticator)';
  if (g.wireguardEndpoint === undefined && g.ipAddresses.length === 0 && g.hostname === undefined) return 'it has no address';
  const p = g.lastProbe;
  if (p === undefined || p.lastUpdatedMs === undefined || now - p.lastUpdatedMs >= PROBE_MAX_AGE_MS) return undefined;
  const e = p.outcome.asEntry;
  if (!(e.canConnect && e.canRoute)) return 'its last probe says it cannot connect and route as an entry';
  if (role === 'exit') {
    const x = p.outcome.asExit;
    if (x === undefined || !(x.canConnect && x.canRouteIpV4 && x.canRouteIpExternalV4 && x.canRouteIpV6 && x.canRouteIpExternalV6)) {
      return 'its last probe says it cannot route as an exit';
    }
  }
  return undefined;
}

interface Candidates {
  /** Best tier first; a specific gateway is one tier of one. */
  tiers: Gateway[][];
  thresholds: number[];
  /** Every gateway of some tier: those that could serve. */
  all: Gateway[];
  /** How many were usable before the performance tiers. */
  usable: number;
  what: string;
}

function candidatesFor(role: Role, choice: Choice, list: readonly Gateway[], now: number): Candidates {
  const thresholds = choice.minPerformance !== undefined ? [choice.minPerformance] : [...PERFORMANCE_TIERS];
  const tiered = (pool: Gateway[], what: string): Candidates => {
    const tiers = thresholds.map((t) => pool.filter((g) => g.performance >= t));
    return { tiers, thresholds, all: [...new Set(tiers.flat())], usable: pool.length, what };
  };
  switch (choice.select) {
    case 'id': {
      if (choice.id === undefined) throw new GatewaySelectionError(`Invalid${cap(role)}GatewayIdentity`, `no ${role} gateway id given`);
      const g = list.find((x) => x.id === choice.id);
      if (g === undefined) throw new GatewaySelectionError(`Invalid${cap(role)}GatewayIdentity`, `there is no ${role} gateway ${choice.id}`);
      const why = unfitness(g, role, now);
      if (why !== undefined) throw new GatewaySelectionError(`Invalid${cap(role)}GatewayIdentity`, `${role} gateway ${choice.id} cannot be used: ${why}`);
      return { tiers: [[g]], thresholds: [0], all: [g], usable: 1, what: `gateway ${g.id}` };
    }
    case 'country': {
      const cc = (choice.country ?? '').trim();
      const reason = `Invalid${cap(role)}GatewayCountry` as const;
      if (!/^[A-Za-z]{2}$/.test(cc)) throw new GatewaySelectionError(reason, `${JSON.stringify(choice.country ?? '')} is not a two-letter country code`);
      const code = cc.toUpperCase();
      const listed = list.filter((g) => g.country === code);
      const fit = listed.filter((g) => unfitness(g, role, now) === undefined);
      if (fit.length === 0) {
        const available = [...new Set(list.filter((g) => unfitness(g, role, now) === undefined && g.country !== undefined).map((g) => g.country!))].sort();
        const why = listed.length === 0 ? `there is no ${role} gateway in ${code}` : `none of the ${listed.length} ${role} gateway(s) in ${code} can be used (${unfitness(listed[0]!, role, now)})`;
        throw new GatewaySelectionError(reason, `${why}; ${available.length === 0 ? 'no country has one' : `available: ${available.join(', ')}`}`);
      }
      return tiered(fit, `${role} gateways in ${code}`);
    }
    case 'random':
    case 'low_latency': {
      const fit = list.filter((g) => unfitness(g, role, now) === undefined);
      return tiered(fit, `${role} gateways`);
    }
    default:
      throw new TypeError(`unknown gateway selection ${String(choice.select)}`);
  }
}

function pickUniform<T>(items: readonly T[], random: () => number): T {
  return items[Math.min(items.length - 1, Math.floor(random() * items.length))]!;
}

function shuffled<T>(items: readonly T[], random: () => number): T[] {
  const a = [...items];
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.min(i, Math.floor(random() * (i + 1)));
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}

async function pick(
  role: Role,
  choice: Choice,
  c: Candidates,
  exclude: string | undefined,
  req: SelectionRequest,
  out: Pick<SelectionResult, 'measurements' | 'notes'>,
): Promise<{ gateway: Gateway; latencyMs?: number } | undefined> {
  const random = req.random ?? defaultRandom;
  for (let t = 0; t < c.tiers.length; t++) {
    const tier = c.tiers[t]!.filter((g) => g.id !== exclude);
    if (tier.length === 0) continue;
    if (t > 0) out.notes.push(`no ${c.what} with performance ≥ ${c.thresholds[0]}%; took one with ≥ ${c.thresholds[t]}%`);
    if (choice.select !== 'low_latency') return { gateway: pickUniform(tier, random) };

    const probed = shuffled(tier, random).slice(0, Math.max(1, req.maxProbed ?? 50));
    const measured = await measureLatencies(probed, req.latency);
    out.measurements.push(...measured);
    const answered = measured.flatMap((m, i) => (m.rttMs === undefined ? [] : [{ gateway: probed[i]!, rtt: m.rttMs }]));
    if (answered.length === 0) {
      // Probes can be filtered where WireGuard is not; connecting beats failing.
      out.notes.push(`no ${role} gateway answered the latency probe (${probed.length} tried); chose one at random`);
      return { gateway: pickUniform(tier, random) };
    }
    const weights = answered.map((a) => 1 / Math.max(a.rtt, 0.05));
    let r = random() * weights.reduce((s, w) => s + w, 0);
    for (let i = 0; i < answered.length; i++) {
      r -= weights[i]!;
      if (r < 0 || i === answered.length - 1) return { gateway: answered[i]!.gateway, latencyMs: answered[i]!.rtt };
    }
  }
  return undefined;
}

function unavailable(role: Role, choice: Choice, c: Candidates): GatewaySelectionError {
  const floor = c.thresholds.at(-1) ?? 0;
  if (choice.select === 'country') {
    return new GatewaySelectionError(`Invalid${cap(role)}GatewayCountry`, `no ${c.what} with performance ≥ ${floor}%`);
  }
  const what = c.usable === 0 ? `no usable ${role} gateway is known` : `no ${role} gateway with performance ≥ ${floor}%`;
  return new GatewaySelectionError(`Performant${cap(role)}GatewayUnavailable`, what);
}

/** Chooses entry and exit; throws GatewaySelectionError (with upstream's reason name) when it cannot. */
export async function selectGateways(req: SelectionRequest): Promise<SelectionResult> {
  const now = req.now ?? Date.now();
  if (req.entry.select === 'id' && req.exit.select === 'id' && req.entry.id !== undefined && req.entry.id === req.exit.id) {
    throw new GatewaySelectionError('SameEntryAndExitGateway', `entry and exit are both gateway ${req.entry.id}; they must differ`);
  }
  const log: Pick<SelectionResult, 'measurements' | 'notes'> = { measurements: [], notes: [] };
  const exitC = candidatesFor('exit', req.exit, req.exits, now);
  const entryC = candidatesFor('entry', req.entry, req.entries, now);

  // The one gateway that alone could be the entry is kept from a flexible exit (when others remain).
  const onlyEntry = entryC.all.length === 1 ? entryC.all[0]!.id : undefined;
  let reserve: string | undefined;
  if (onlyEntry !== undefined) {
    if (req.exit.select === 'id' && exitC.all[0]!.id === onlyEntry) {
      throw new GatewaySelectionError('SameEntryAndExitGateway', `the only possible entry (${entryC.what}) is the exit ${onlyEntry}`);
    }
    if (exitC.all.some((g) => g.id !== onlyEntry)) reserve = onlyEntry;
  }

  const exit = await pick('exit', req.exit, exitC, reserve, req, log);
  if (exit === undefined) throw unavailable('exit', req.exit, exitC);

  const entry = await pick('entry', req.entry, entryC, exit.gateway.id, req, log);
  if (entry === undefined) {
    if (entryC.all.length > 0 && entryC.all.every((g) => g.id === exit.gateway.id)) {
      throw new GatewaySelectionError('SameEntryAndExitGateway', `the only possible entry (${entryC.what}) is the exit ${exit.gateway.id}`);
    }
    throw unavailable('entry', req.entry, entryC);
  }
  const result: SelectionResult = { entry: entry.gateway, exit: exit.gateway, ...log };
  if (entry.latencyMs !== undefined) result.entryLatencyMs = entry.latencyMs;
  if (exit.latencyMs !== undefined) result.exitLatencyMs = exit.latencyMs;
  return result;
}
