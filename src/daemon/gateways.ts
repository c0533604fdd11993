// Gateways for nym-vpnd: the directory (with its disk cache), the static peers of UCI, selection
// by id/country/random/low latency, and registration into WireGuard hops. Serves the `gateways`
// and `countries` methods and the connection's route resolution. The latencies the low-latency
// selection measures are kept (LatencyBook) for the `gateways` list, which only reads them.

import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { performance } from 'node:perf_hooks';
import { join } from 'node:path';
import {
  DirectoryClient, GatewaySelectionError, RegistrationError, StaticRegistrar, gatewaysFromStaticPeers,
  LatencyBook, probeTargetOf, selectGateways, tcpConnectProbeWith, type Choice, type Gateway,
  type LatencyMeasurement, type Registrar,
} from '../gateways/index.js';
import type { SocketFactory } from '../http/json-request.js';
import type { NymVpnConfig } from '../config/nym-vpn-config.js';
import { keyToBase64, publicKeyFromPrivate } from '../wireguard/keys.js';
import type { GatewayRef } from './tunnel-state.js';
import { ConnectError } from './connect-error.js';
import type { ConnectChoice, KeyStore, OwnTraffic, ResolvedHop, ResolvedRoute, RouteResolver } from './connection-ports.js';
import { endpointOf, formatEndpoint } from '../net/endpoint.js';
import type { Logger } from './log.js';
import type { AuthenticatorChannel } from '../nym-registration/authenticator-channel.js';
import type { DaemonPaths } from './paths.js';
import { apiOwnTraffic } from './api-endpoint.js';
import { apiUrlOf } from './settings.js';
import { gatewayListReply } from './gateway-reply.js';

export type Role = 'entry' | 'exit';

/** The channel of a registrar that must not send (lists, or a daemon without a mixnet client). */
const NO_CHANNEL: AuthenticatorChannel = {
  send: () => Promise.reject(new Error('no mixnet channel: this registration cannot go over the mixnet')),
  subscribe: () => () => {},
};

export interface Candidates {
  gateways: Gateway[];
  cached: boolean;
  /** Why the directory was not used, when it was not. */
  directoryProblem?: string;
}

// The directory changes slowly; an hour between refreshes spares the flash the cache lives on.
const REFRESH_MS = 60 * 60 * 1000;
// While connecting, a kept list this young is used as is: the next refresh goes through the tunnel
// instead of around it.
const CONNECT_ACCEPT_AGE_MS = 24 * 60 * 60 * 1000;

export class GatewayService implements RouteResolver {
  private client: DirectoryClient | null = null;
  private clientUrl = '';

  constructor(
    private readonly config: () => NymVpnConfig,
    private readonly paths: DaemonPaths,
    private readonly log: Logger,
    /** How the daemon's own TCP leaves: marked sockets (past the kill switch) or the system's. */
    private readonly ownSocket: () => SocketFactory | undefined = () => undefined,
    private readonly keys: KeyStore,
    /** The registrar whose Nym messages (if it sends any) go over `channel`; lists use it too, sending nothing. */
    private readonly registrar: (channel: AuthenticatorChannel) => Registrar = () => new StaticRegistrar(this.config().peers),
    /** The latencies measured while connecting, shown by `gateways` (default: on the system's clocks). */
    readonly latencies: LatencyBook = new LatencyBook({ monotonic: () => performance.now(), wall: () => Date.now() }),
    /** One connect attempt's mixnet channel, pinned to its entry; none: no registration goes over the mixnet. */
    private readonly mixnet?: (entry: Gateway, allow: (own: readonly OwnTraffic[]) => Promise<void>) => AuthenticatorChannel & { close(): Promise<void> },
  ) {}

  /** The directory client for the configured API (a new one when api_url changes). */
  private directory(): DirectoryClient {
    const url = apiUrlOf(this.config());
    if (this.client === null || this.clientUrl !== url) {
      this.client?.stopRefresh();
      this.client = new DirectoryClient({
        apiUrl: url,
        cacheDir: join(this.paths.stateDir, 'directory-cache'),
        onIssue: (i) => this.log.warn(`directory: gateway ${i.identity ?? `#${i.index}`} ${i.skipped ? 'skipped' : 'field ignored'}: ${i.reason}`),
        log: (level, msg) => this.log[level](`directory: ${msg}`),
        connect: () => this.ownSocket(),
      });
      this.clientUrl = url;
      this.client.startRefresh(REFRESH_MS);
    }
    return this.client;
  }

  stop(): void {
    this.client?.stopRefresh();
  }

  /**
   * Gateways this router can use for a role: the directory's that the registrar can register (the static
   * registrar: those with a `config peer` of that role; Nym's: those with a v6 authenticator whose probe
   * passes for the role), plus self-hosted static peers the directory does not know. Without a directory answer (and no cache) the static peers alone.
   */
  async candidates(role: Role, signal?: AbortSignal, connecting = false): Promise<Candidates> {
    const statics = gatewaysFromStaticPeers(this.config().peers);
    const own = role === 'entry' ? statics.entries : statics.exits;
    const registrar = this.registrar(NO_CHANNEL);
    const now = Date.now();
    try {
      const answer = await this.directory().gateways(role, { signal, ...(connecting ? { acceptAgeMs: CONNECT_ACCEPT_AGE_MS } : {}) });
      const known = answer.value.filter((g) => registrar.canRegister(g, role, now));
      const ids = new Set(known.map((g) => g.id));
      return { gateways: [...known, ...own.filter((g) => !ids.has(g.id))], cached: answer.cached, ...(answer.reason ? { directoryProblem: answer.reason } : {}) };
    } catch (e) {
      return { gateways: own, cached: false, directoryProblem: (e as Error).message };
    }
  }

  /**
   * `gateways` {role, country?, min_performance?}. Latencies come from the book only: a list never
   * probes, so that calling it in a loop cannot make the router flood anyone.
   */
  async list(role: Role, country?: string, minPerformance?: number): Promise<Record<string, unknown>> {
    const c = await this.candidates(role);
    const statics = new Set(this.config().peers.filter((p) => p.role === role).map((p) => p.gatewayId ?? p.section));
    const wanted = c.gateways
      .filter((g) => country === undefined || g.country === country.toUpperCase())
      .filter((g) => minPerformance === undefined || g.performance >= minPerformance);
    return gatewayListReply({ gateways: wanted, statics, latency: (id) => this.latencies.latest(id), cached: c.cached });
  }

  /**
   * Keeps a probe run's results. When the connect was called off meanwhile, a probe cut short says
   * nothing of the gateway: only the answers are kept then.
   */
  private keepLatencies(measurements: readonly LatencyMeasurement[], signal: AbortSignal): void {
    this.latencies.record(signal.aborted ? measurements.filter((m) => m.rttMs !== undefined) : measurements);
  }

  /** `countries` {role} */
  async countries(role: Role): Promise<Record<string, unknown>> {
    const c = await this.candidates(role);
    const set = new Set(c.gateways.map((g) => g.country).filter((x): x is string => typeof x === 'string' && x.length === 2));
    return { countries: [...set].sort(), cached: c.cached };
  }

  private choiceFor(role: Role, want: ConnectChoice['entry']): Choice {
    const uci = role === 'entry' ? this.config().entry : this.config().exit;
    const base = { minPerformance: uci.minPerformance };
    if (want.id) return { ...base, select: 'id', id: want.id, country: undefined };
    if (want.country) return { ...base, select: 'country', country: want.country.toUpperCase(), id: undefined };
    if (want.lowLatency) return { ...base, select: 'low_latency', id: undefined, country: undefined };
    if (want.random) return { ...base, select: 'random', id: undefined, country: undefined };
    return uci;
  }

  /** The directory API as a marked TCP destination (when its host is a literal IP or resolves). */
  private apiEndpoint(): Promise<OwnTraffic[]> {
    return apiOwnTraffic(this.config());
  }

  /**
   * Chooses both gateways and registers a WireGuard peer at each. `allow` opens the kill switch for
   * what this needs of the daemon's own traffic: the directory API, then the latency probes.
   */
  async resolve(choice: ConnectChoice, signal: AbortSignal, allow: (own: readonly OwnTraffic[]) => Promise<void> = async () => {}): Promise<ResolvedRoute> {
    await allow(await this.apiEndpoint());
    const [entries, exits] = await Promise.all([this.candidates('entry', signal, true), this.candidates('exit', signal, true)]);
    const entryChoice = this.choiceFor('entry', choice.entry);
    const exitChoice = this.choiceFor('exit', choice.exit);
    if (entryChoice.select === 'low_latency' || exitChoice.select === 'low_latency') {
      const probes = [...entries.gateways, ...exits.gateways].map((g) => probeTargetOf(g)).filter((p) => p !== undefined && isIP(p.host) !== 0);
      await allow(probes.map((p) => ({ address: p!.host, port: p!.port, protocol: 'tcp' as const })));
    }
    for (const c of [entries, exits]) if (c.directoryProblem) this.log.warn(`directory not used${c.cached ? ' (cache served)' : ''}: ${c.directoryProblem}`);
    let picked;
    try {
      picked = await selectGateways({
        entries: entries.gateways,
        exits: exits.gateways,
        entry: entryChoice,
        exit: exitChoice,
        latency: { probe: tcpConnectProbeWith(this.ownSocket()), signal, onMeasured: (m) => this.keepLatencies(m, signal) },
      });
    } catch (e) {
      if (e instanceof GatewaySelectionError) throw new ConnectError(e.tunnelReason, e.message, false);
      throw e;
    }
    for (const n of picked.notes) this.log.info(`selection: ${n}`);
    // Both hops at once, as upstream (tokio::join!): the exit's messages travel through the entry's client.
    // Both are waited for, whatever either does, before the channel (and the mixnet client with it) closes.
    const channel = this.mixnet?.(picked.entry, allow);
    try {
      const registrar = this.registrar(channel ?? NO_CHANNEL);
      const [entry, exit] = await Promise.allSettled([this.register('entry', picked.entry, signal, registrar), this.register('exit', picked.exit, signal, registrar)]);
      if (entry.status === 'rejected') throw entry.reason;
      if (exit.status === 'rejected') throw exit.reason;
      return { entry: entry.value, exit: exit.value };
    } finally {
      await channel?.close().catch((e: Error) => this.log.warn(`mixnet: client not closed cleanly: ${e.message}`));
    }
  }

  private async register(role: Role, g: Gateway, signal: AbortSignal, registrar: Registrar): Promise<ResolvedHop> {
    const ours = keyToBase64(publicKeyFromPrivate(await this.keys.privateKey(role)));
    let peer;
    try {
      peer = await registrar.register({ gateway: g, role, ourPublicKey: ours }, signal);
    } catch (e) {
      if (e instanceof RegistrationError) {
        const reason = e.failure === 'BandwidthExhausted' ? 'BandwidthExceeded' : e.failure === 'CredentialRejected' || e.failure === 'CredentialUnavailable' ? 'RequestZkNym' : 'TunnelProvider';
        throw new ConnectError(reason, e.message, e.retryable);
      }
      throw e;
    }
    let host = peer.endpoint.host;
    if (isIP(host) === 0) {
      try {
        host = (await lookup(host)).address;
      } catch (e) {
        throw new ConnectError('ResolveGatewayAddrs', `cannot resolve ${peer.endpoint.host}: ${(e as Error).message}`, true);
      }
    }
    if (!peer.addresses.ipv4) throw new ConnectError('TunnelProvider', `gateway ${g.id} gave us no IPv4 address`, false);
    let parsed;
    try {
      parsed = endpointOf(host, peer.endpoint.port);
    } catch (e) {
      throw new ConnectError('TunnelProvider', `gateway ${g.id}: bad endpoint ${host}:${peer.endpoint.port}: ${(e as Error).message}`, false);
    }
    const endpoint = formatEndpoint(parsed);
    const gateway: GatewayRef = { id: g.id, ...(g.name ? { name: g.name } : {}), ...(g.country ? { country: g.country } : {}), endpoint, public_key: peer.publicKey };
    return {
      gateway,
      endpoint: parsed,
      ...(peer.metered ? { metered: true } : {}),
      hop: {
        publicKey: peer.publicKey,
        ...(peer.presharedKey ? { presharedKey: peer.presharedKey } : {}),
        endpoint,
        ipv4: peer.addresses.ipv4,
        ...(peer.addresses.ipv6 ? { ipv6: peer.addresses.ipv6 } : {}),
      },
    };
  }
}
