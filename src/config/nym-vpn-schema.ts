// The typed form of /etc/config/nym-vpn (architecture.md, "UCI first cut") and its defaults.
//
//   config nym-vpn 'main'    the client
//   config gateway 'entry'   how the entry gateway is chosen
//   config gateway 'exit'    how the exit gateway is chosen
//   config peer              static WireGuard peers (self-hosted gateways, the lab); repeatable
//   config policy 'lan'      what goes through the tunnel

export const NYM_VPN_CONFIG_NAME = 'nym-vpn';

export const LOG_LEVELS = ['error', 'warn', 'info', 'debug'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export const FIREWALL_BACKENDS = ['auto', 'fw4', 'fw3'] as const;

/** 'auto': a uci peer for its gateway, every other gateway over Nym (the mixnet); 'static': uci peers only. */
export const REGISTRATIONS = ['auto', 'static'] as const;
export type Registration = (typeof REGISTRATIONS)[number];
export type FirewallBackend = (typeof FIREWALL_BACKENDS)[number];

export const GATEWAY_SELECTIONS = ['id', 'country', 'random', 'low_latency'] as const;
export type GatewaySelection = (typeof GATEWAY_SELECTIONS)[number];

export const PEER_ROLES = ['entry', 'exit'] as const;
export type PeerRole = (typeof PEER_ROLES)[number];

export interface NymVpnMain {
  readonly enabled: boolean;
  readonly autoconnect: boolean;
  readonly network: string;
  /** undefined: the network's own API. */
  readonly apiUrl: string | undefined;
  /** undefined: the network's own nym-api (the mixnet client reads its topology there). */
  readonly nymApiUrl: string | undefined;
  readonly killSwitch: boolean;
  /** The kill switch stays up while disconnected, too (otherwise the owner's disconnect lifts it). */
  readonly alwaysOn: boolean;
  /** true: IPv6 goes through the tunnel; false: IPv6 is blocked. */
  readonly ipv6: boolean;
  readonly dns: readonly string[];
  readonly interface: string;
  /** MTU of the tunnel interface (inner hop). */
  readonly mtu: number;
  /** MTU of the entry hop, which carries the exit hop inside it. */
  readonly entryMtu: number;
  readonly logLevel: LogLevel;
  readonly firewallBackend: FirewallBackend;
  /** How gateways are registered: 'static' never talks to the Nym network (self-hosted gateways only). */
  readonly registration: Registration;
}

export interface GatewayChoice {
  readonly select: GatewaySelection;
  /** Gateway identity, used when select is 'id'. */
  readonly id: string | undefined;
  /** ISO 3166-1 alpha-2, upper case; used when select is 'country'. */
  readonly country: string | undefined;
  /** Lowest acceptable performance score in percent; undefined: any. */
  readonly minPerformance: number | undefined;
}

export interface PeerEndpoint {
  readonly host: string;
  readonly port: number;
}

export interface StaticPeer {
  /** How uci names the section: its name, or @peer[n] for an unnamed one. */
  readonly section: string;
  readonly role: PeerRole;
  readonly gatewayId: string | undefined;
  /** base64 WireGuard public key of the gateway. */
  readonly publicKey: string;
  readonly endpoint: PeerEndpoint;
  /** Our tunnel addresses on this peer, each with an optional "/prefix". */
  readonly addresses: readonly string[];
  readonly presharedKey: string | undefined;
  readonly country: string | undefined;
}

export interface TrafficPolicy {
  /** Interface names or CIDRs whose traffic goes through the VPN. */
  readonly sources: readonly string[];
}

/** The connection monitor (nym.md: upstream's timings are the defaults). */
export interface MonitorSettings {
  /** Addresses pinged through the tunnel (one per family used). */
  readonly targets: readonly string[];
  /** Seconds between probes once connected. */
  readonly interval: number;
  /** Seconds one probe waits for its reply. */
  readonly timeout: number;
  /** Probes that must all fail before the tunnel counts as dead. */
  readonly tries: number;
  /** Seconds a connection attempt waits for both handshakes. */
  readonly handshakeTimeout: number;
}

export interface NymVpnConfig {
  readonly monitor: MonitorSettings;
  readonly main: NymVpnMain;
  readonly entry: GatewayChoice;
  readonly exit: GatewayChoice;
  readonly peers: readonly StaticPeer[];
  readonly policy: TrafficPolicy;
}

export const DEFAULT_DNS: readonly string[] = ['1.1.1.1', '1.0.0.1', '2606:4700:4700::1111', '2606:4700:4700::1001'];

export const DEFAULT_MAIN: NymVpnMain = {
  enabled: true,
  autoconnect: false,
  network: 'mainnet',
  apiUrl: undefined,
  nymApiUrl: undefined,
  killSwitch: true,
  alwaysOn: false,
  ipv6: true,
  dns: DEFAULT_DNS,
  interface: 'nym0',
  mtu: 1340,
  entryMtu: 1420,
  logLevel: 'info',
  firewallBackend: 'auto',
  registration: 'auto',
};

/**
 * Entry: the fastest gateway, since every packet crosses it first; exit: a random one, which
 * spreads users and keeps the exit unpredictable.
 */
export const DEFAULT_ENTRY: GatewayChoice = {
  select: 'low_latency',
  id: undefined,
  country: undefined,
  minPerformance: undefined,
};
export const DEFAULT_EXIT: GatewayChoice = { select: 'random', id: undefined, country: undefined, minPerformance: undefined };

export const DEFAULT_POLICY: TrafficPolicy = { sources: ['lan'] };

export const DEFAULT_MONITOR: MonitorSettings = {
  targets: ['8.8.8.8', '2001:4860:4860::8888'],
  interval: 10,
  timeout: 5,
  tries: 3,
  handshakeTimeout: 15,
};

export function defaultNymVpnConfig(): NymVpnConfig {
  return { main: DEFAULT_MAIN, entry: DEFAULT_ENTRY, exit: DEFAULT_EXIT, peers: [], policy: DEFAULT_POLICY, monitor: DEFAULT_MONITOR };
}

/** Range of both MTUs: IPv6's minimum to Ethernet's. */
export const MTU_MIN = 1280;
export const MTU_MAX = 1500;
/** What one WireGuard hop over IPv6 adds (40 IPv6 + 8 UDP + 32 WireGuard). */
export const WIREGUARD_OVERHEAD = 80;
