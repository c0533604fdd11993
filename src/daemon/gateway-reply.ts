// The `gateways` reply: each gateway in the shape of ubus-schema/nym-vpn.json, with the latency the daemon
// last measured of it (LatencyBook) when that measurement is recent.
import type { Gateway, LatencyRecord } from '../gateways/index.js';

export interface GatewayListInput {
  gateways: readonly Gateway[];
  /** Ids of the gateways a UCI `config peer` of the listed role is configured for. */
  statics: ReadonlySet<string>;
  /** The latest recent latency measurement of a gateway, if any (LatencyBook.latest). */
  latency: (id: string) => LatencyRecord | undefined;
  /** Served from the on-disk cache. */
  cached: boolean;
}

/** The schema's int32 bound: no real round trip comes near it, but a reply must never break its type. */
const INT32_MAX = 2 ** 31 - 1;

/**
 * `latency_ms` and `measured_at` of one gateway: both when the last recent probe got an answer, only
 * `measured_at` when it got none (so that "probed, silent" reads differently from "never probed"), neither
 * when there is no recent probe. Values that are not times are left out rather than sent.
 */
export function latencyFields(r: LatencyRecord | undefined): { latency_ms?: number; measured_at?: number } {
  if (r === undefined || !Number.isFinite(r.measuredAtMs) || r.measuredAtMs < 0) return {};
  const measured_at = Math.floor(r.measuredAtMs / 1000);
  if (r.rttMs === undefined || !Number.isFinite(r.rttMs) || r.rttMs < 0) return { measured_at };
  return { latency_ms: Math.min(INT32_MAX, Math.round(r.rttMs)), measured_at };
}

export function gatewayListReply(input: GatewayListInput): Record<string, unknown> {
  return {
    gateways: input.gateways.map((g) => ({
      id: g.id,
      ...(g.name ? { name: g.name } : {}),
      country: g.country ?? '',
      performance: g.performance,
      ip_addresses: g.ipAddresses,
      static: input.statics.has(g.id),
      ...latencyFields(input.latency(g.id)),
    })),
    cached: input.cached,
  };
}
