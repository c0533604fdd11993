// The kill switch's input: what the daemon knows about the tunnel on every state change, and the names
// the rules use. Everything here is data; rendering and applying live in their own files.

/** Upstream NymVPN's mark for the daemon's own sockets (nym-vpn-core TUNNEL_FWMARK); routing uses it too. */
export const NYM_FWMARK = 0x14d;

/** Our nftables tables (family inet, so one table covers IPv4 and IPv6). */
export const KILL_SWITCH_TABLE = 'nym';
export const BOOT_GUARD_TABLE = 'nym_boot';

/** Our iptables chains (filter table), jumped to from the builtin FORWARD and OUTPUT chains. */
export const IPT_CHAINS = {
  forward: 'nym_forward',
  fromLan: 'nym_from_lan',
  toLan: 'nym_to_lan',
  output: 'nym_output',
  bootForward: 'nym_boot_forward',
  bootOutput: 'nym_boot_output',
} as const;

/** DNS over UDP/TCP (53) and DNS over TLS/QUIC (853): only through the tunnel. */
export const DNS_PORTS = [53, 853] as const;

/**
 * The tunnel states of nym-vpn-lib-types as the daemon names them. Only 'disconnected' can lift the kill
 * switch; disconnecting and offline are on the way to another state and keep it up like error does.
 */
export const TUNNEL_PHASES = ['connecting', 'connected', 'error', 'disconnected', 'disconnecting', 'offline'] as const;
export type TunnelPhase = (typeof TUNNEL_PHASES)[number];

/** tunnel: IPv6 goes through the tunnel like IPv4; block: no IPv6 leaves the LAN or the router at all. */
export type Ipv6Mode = 'tunnel' | 'block';

export type TransportProtocol = 'udp' | 'tcp';

/** Somewhere the daemon's own (fwmark-marked) sockets may go outside the tunnel: the entry gateway's UDP. */
export interface AllowedEndpoint {
  address: string;
  port: number;
  /** Checked against the address when given. */
  family?: 4 | 6;
  /** Default udp (the outer WireGuard datagrams); tcp for e.g. a directory API while connecting. */
  protocol?: TransportProtocol;
}

/**
 * The LAN whose traffic must go through the tunnel: interfaces (br-lan) and/or address ranges. Prefer
 * interfaces: ranges must cover every source address LAN clients use, IPv6 ones included (a client's
 * IPv6 from a prefix not listed here is not recognised as LAN traffic and not held back).
 */
export interface LanSources {
  interfaces?: readonly string[];
  cidrs?: readonly string[];
}

/** What the daemon hands to firewall.apply() on every state change. */
export interface FirewallState {
  /** The owner's setting (UCI kill_switch): off means no rules and no boot guard. */
  killSwitch: boolean;
  /** Keep blocking while disconnected, too (otherwise an owner's disconnect lifts the kill switch). */
  alwaysOn: boolean;
  state: TunnelPhase;
  /** The tunnel interface, e.g. nym0. */
  tunnelInterface: string;
  lan: LanSources;
  /** The WAN interfaces to block, or 'any': every interface that is neither the tunnel nor the LAN. */
  wan: readonly string[] | 'any';
  /** The current entry endpoint(s); only these get through outside the tunnel, and only when marked. */
  endpoints: readonly AllowedEndpoint[];
  /** The daemon's SO_MARK; default NYM_FWMARK. */
  fwmark?: number;
  /** DNS servers: reachable only through the tunnel, on any port. */
  dns: readonly string[];
  ipv6: Ipv6Mode;
}

/** A FirewallState checked and split by family: what the renderers take. */
export interface KillSwitchSpec {
  tunnel: string;
  lanInterfaces: string[];
  lan4: string[];
  lan6: string[];
  /** Sorted interface names, or 'any'. */
  wan: string[] | 'any';
  endpoints: Array<{ family: 4 | 6; address: string; port: number; protocol: TransportProtocol }>;
  fwmark: number;
  dns4: string[];
  dns6: string[];
  ipv6: Ipv6Mode;
}

/** What the boot guard needs: it is rendered before the daemon knows the LAN or the gateways. */
export interface BootGuardSpec {
  tunnel: string;
  fwmark: number;
}

export const DEFAULT_BOOT_GUARD: BootGuardSpec = { tunnel: 'nym0', fwmark: NYM_FWMARK };

/** A state the firewall cannot express; names the field and the bad value. */
export class FirewallConfigError extends Error {
  override name = 'FirewallConfigError';
  constructor(
    readonly field: string,
    readonly value: unknown,
    reason: string,
  ) {
    super(`firewall ${field}: ${reason} (${JSON.stringify(value)})`);
  }
}
