// What the connection coordinator (connection.ts) needs from the rest of the router, as ports. Each is
// implemented once for the real system (connection-wiring.ts, wired in main.ts) and can be replaced by
// an in-memory one in tests, so the order of the steps — the thing that keeps packets from leaking — is
// checked without root, a TUN or a kernel firewall.

import type { NymVpnConfig } from '../config/nym-vpn-config.js';
import type { ConnectionFirewall } from '../firewall/port.js';
import type { Endpoint } from '../net/endpoint.js';
import type { HopConfig } from '../tunnel/two-hop.js';
import type { ErrorReason, GatewayRef } from './tunnel-state.js';

export type HopRole = 'entry' | 'exit';

/** Where the daemon's own (marked) TCP may go while the kill switch is up: the API, probe targets. */
export interface OwnTraffic {
  address: string;
  port: number;
  protocol: 'tcp';
}

/** What a connect call asks for; undefined fields fall back to UCI's choice. */
export interface ConnectChoice {
  entry: { id?: string; country?: string; random?: boolean; lowLatency?: boolean };
  exit: { id?: string; country?: string; random?: boolean };
  dns?: string[];
}

export interface ResolvedHop {
  gateway: GatewayRef;
  hop: HopConfig;
  /** The hop's endpoint, parsed once (hop.endpoint is its text form). */
  endpoint: Endpoint;
  /** Registered over Nym: the gateway meters our bandwidth and its metadata service answers inside the hop. */
  metered?: boolean;
}

export interface ResolvedRoute {
  entry: ResolvedHop;
  exit: ResolvedHop;
}

/** The steps the kill switch knows; 'connecting' carries what may pass while we find a gateway. */
export type KillSwitchStep = 'connecting' | 'connected' | 'error';

/**
 * The kill switch (src/firewall/port.ts): apply(step, entry?, own?) rejects when the rules could not be put
 * in place as asked (the firewall has then failed closed); lift() is the owner's disconnect (nothing while
 * always-on); read() is what the kernel holds, not what was last asked for.
 */
export type FirewallPort = ConnectionFirewall;
export type KillSwitchReading = Awaited<ReturnType<ConnectionFirewall['read']>>;

export interface KeyStore {
  /** Our WireGuard private key for a hop role (made on first use, then kept). */
  privateKey(role: HopRole): Promise<Uint8Array>;
}

export interface RouteResolver {
  /** Chooses and registers both gateways; `allow` opens the kill switch for the daemon's own TCP first. */
  resolve(choice: ConnectChoice, signal: AbortSignal, allow: (own: readonly OwnTraffic[]) => Promise<void>): Promise<ResolvedRoute>;
}

/** The part of a running tunnel the coordinator uses. */
export interface TunnelHandle {
  readonly interfaceName: string;
  /** Resolves once both hops have a handshake; rejects on timeout or abort. */
  waitConnected(timeoutMs: number, signal: AbortSignal): Promise<void>;
  /** Last handshake per hop on the monotonic clock, ms (0: none yet). */
  handshakes(): { entry: number; exit: number };
  stats(): { rxBytes: number; txBytes: number; rxPackets: number; txPackets: number };
  /**
   * Works around an MTU black hole between us and the entry gateway: the exit hop's datagrams are sent in
   * IP fragments of at most `bytes`, so that every outer packet stays small.
   */
  fragmentExitDatagrams(bytes: number): void;
  /**
   * IP packets to and from the entry gateway itself, inside the entry hop alone (its metadata service, which
   * no kernel socket can reach); absent where the tunnel has no such path.
   */
  insideEntry?: { send(packets: Uint8Array[]): void; listen(listener: (p: Uint8Array) => void): () => void };
  close(): Promise<void>;
}

export interface TunnelSpec {
  config: NymVpnConfig;
  route: ResolvedRoute;
  entryPrivateKey: Uint8Array;
  exitPrivateKey: Uint8Array;
}

export interface TunnelFactory<T extends TunnelHandle> {
  open(spec: TunnelSpec): Promise<T>;
}

/** Policy routes and NAT that send the LAN and the router into the tunnel. */
export interface RoutingPort {
  install(interfaceName: string, config: NymVpnConfig, ipv6: boolean): Promise<InstalledRouting>;
  /** At start: what a killed daemon left (rules, NAT) goes. Returns how many pieces were removed. */
  removeStale(): Promise<number>;
}

export interface InstalledRouting {
  /** TCP crossing the tunnel is clamped to segments that fit in packets of `mtu` bytes from now on. */
  clampMss(mtu: number): Promise<void>;
  remove(): Promise<void>;
}

/** dnsmasq's upstream servers. */
export interface DnsPort {
  apply(servers: readonly string[]): Promise<void>;
  /** Still ours (netifd rewrites the file on a WAN renewal)? */
  isApplied(): Promise<boolean>;
  restore(): Promise<void>;
  /** Does this server answer a query (sent through the tunnel while connected)? */
  probe(server: string, timeoutMs: number): Promise<boolean>;
}

export type MonitorVerdict = { ok: true; rttMs: number } | { ok: false; reason: string };

export interface MonitorHandle {
  /** The first probe, before the tunnel is declared up. */
  initialCheck(): Promise<MonitorVerdict>;
  /**
   * Watches until the tunnel is dead; `onDead` is told once — with `fatal` when trying again cannot help (the
   * bandwidth ran out and nothing can pay for more): the connection then stops in that error. `onBlackHole`
   * when big packets vanish.
   */
  start(onDead: (reason: string, fatal?: ErrorReason) => void, onBlackHole?: () => void): void;
  stop(): void;
  /** What the gateways' metering says (metered routes only), for status. */
  bandwidth?(): BandwidthView | undefined;
}

/** Per metered hop: the balance last answered, when, and tickets paid since the tunnel came up. */
export type BandwidthView = Partial<Record<HopRole, { gatewayId: string; remainingBytes?: bigint; checkedAt?: number; upgradeMode?: boolean; topUps: number; problem?: string }>>;

export interface MonitorFactory<T extends TunnelHandle> {
  create(tunnel: T, route: ResolvedRoute, config: NymVpnConfig): MonitorHandle;
}

export interface Clock {
  /** Wall clock, ms since the epoch: for what status shows (connected since). */
  wall(): number;
  /** Monotonic, ms: for every duration (timeouts, backoff, handshake ages). */
  monotonic(): number;
  /** Resolves after ms, or at once when the signal aborts. */
  sleep(ms: number, signal: AbortSignal): Promise<void>;
}
