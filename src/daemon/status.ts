// The `status` reply (and the `state` notification) built from the tunnel state: the shape in
// ubus-schema/nym-vpn.json's "status" definition.

import type { BandwidthView } from './connection-ports.js';
import type { TunnelState } from './tunnel-state.js';

export interface TrafficStats {
  rx_bytes: number;
  tx_bytes: number;
  rx_packets: number;
  tx_packets: number;
}

export interface StatusInputs {
  state: TunnelState;
  since: number;
  interfaceName: string;
  dns: string[];
  killSwitch: boolean;
  /** Read back from the kernel. */
  killSwitchActive: boolean;
  killSwitchError?: string;
  /** Full-size packets vanish on the way to the entry gateway (worked around by fragmenting the exit hop). */
  mtuBlackHole?: boolean;
  /** DNS servers not answering through the tunnel. */
  dnsUnreachable?: readonly string[];
  reconnects: number;
  lastReconnectReason?: string;
  handshakeAge?: { entry?: number; exit?: number };
  /** The metered hops' balances (routes registered over Nym). */
  bandwidth?: BandwidthView;
  stats: TrafficStats;
  configError?: string;
  /** Running on the built-in defaults (no config file at start, or none usable). */
  configDefaults?: boolean;
}

const seconds = (ms: number) => Math.floor(ms / 1000);

export function statusReply(i: StatusInputs): Record<string, unknown> {
  const s = i.state;
  const out: Record<string, unknown> = { state: s.state, since: seconds(i.since) };
  switch (s.state) {
    case 'connecting': out.retry_attempt = s.retryAttempt; break;
    case 'connected':
      out.connected_since = seconds(s.connectedSince);
      out.entry = s.entry;
      out.exit = s.exit;
      out.addresses = s.addresses;
      break;
    case 'disconnecting': out.after = s.after; break;
    case 'error': out.error = { reason: s.reason, message: s.message }; break;
    case 'offline': break;
    case 'disconnected': break;
  }
  out.interface = i.interfaceName;
  out.dns = i.dns;
  if (i.dnsUnreachable && i.dnsUnreachable.length > 0) out.dns_unreachable = [...i.dnsUnreachable];
  out.kill_switch = i.killSwitch;
  out.kill_switch_active = i.killSwitchActive;
  if (i.killSwitchError) out.kill_switch_error = i.killSwitchError;
  out.reconnects = i.reconnects;
  if (i.lastReconnectReason) out.last_reconnect_reason = i.lastReconnectReason;
  if (i.handshakeAge && s.state === 'connected') out.handshake_age = i.handshakeAge;
  out.stats = i.stats;
  if (i.bandwidth && s.state === 'connected') {
    const hops: Record<string, unknown> = {};
    for (const [role, b] of Object.entries(i.bandwidth)) {
      if (!b) continue;
      hops[role] = {
        gateway_id: b.gatewayId,
        ...(b.remainingBytes !== undefined ? { remaining_bytes: Number(b.remainingBytes) } : {}),
        ...(b.checkedAt !== undefined ? { checked_at: seconds(b.checkedAt) } : {}),
        ...(b.upgradeMode !== undefined ? { upgrade_mode: b.upgradeMode } : {}),
        top_ups: b.topUps,
        ...(b.problem ? { problem: b.problem } : {}),
      };
    }
    if (Object.keys(hops).length > 0) out.bandwidth = hops;
  }
  if (i.mtuBlackHole && s.state === 'connected') out.mtu_black_hole = true;
  if (i.configError) out.config_error = i.configError;
  if (i.configDefaults) out.config_defaults = true;
  return out;
}
