// nym-vpnd's behaviour behind the ubus methods: status and info, connect and disconnect (through
// Connection), gateways and countries (GatewayService), the account, config reloads and the WAN
// events hotplug reports. The ubus side (argument checks, notifications) is in ubus-object.ts.

import { Status } from '../ubus/constants.js';
import { UbusError } from '../ubus/errors.js';
import type { BlobmsgValue } from '../ubus/blobmsg.js';
import { TunnelStateMachine, type TunnelState } from './tunnel-state.js';
import { statusReply } from './status.js';
import { Connection, type ConnectionPorts } from './connection.js';
import type { ConnectChoice, TunnelHandle } from './connection-ports.js';
import { GatewayService } from './gateways.js';
import { nymRegistration } from './nym-registration-wiring.js';
import { withBandwidth } from './bandwidth-wiring.js';
import { TicketSpender } from '../zk-nym/ticket-spender.js';
import type { TicketType } from '../zk-nym/ticket-type.js';
import { LatencyBook } from '../gateways/index.js';
import { markedSocketFactory } from '../sockets/marked-tcp.js';
import { NYM_FWMARK } from '../routing/policy.js';
import { AccountStore, MnemonicError } from '../account/index.js';
import { AccountSync } from '../account/account-sync.js';
import { TicketbookStore } from '../zk-nym/ticketbook-store.js';
import { ecashToday, remainingTickets } from '../zk-nym/ticket-policy.js';
import { TicketbookAcquirer } from '../zk-nym/ticketbook-acquirer.js';
import type { AccountKey } from '../account/account-key.js';
import type { DeviceKeys } from '../account/device-keys.js';
import type { SocketFactory } from '../http/json-request.js';

/** upstream's ZK_NYM_MAX_FAILS (request_zknym.rs). */
const ZK_NYM_MAX_FAILS = 10;
import { VpnApiClient } from '../vpn-api/client.js';
import { accountReply } from './account-reply.js';
import type { DaemonPaths } from './paths.js';
import { packageVersion } from './version.js';
import type { Logger } from './log.js';
import type { Handler } from './ubus-object.js';
import { apiUrlOf, type LoadedConfig, type NymVpnConfig } from './settings.js';

export interface ServiceOptions<T extends TunnelHandle> {
  log: Logger;
  config: NymVpnConfig;
  /** Why the config on disk was not used at start (the defaults run instead). */
  configError?: string;
  /** Where the running config came from: 'defaults' at a first start without a file, or a refused one. */
  configSource?: 'file' | 'defaults';
  /** Re-reads the configuration; rejects (naming each bad option) when it is invalid. */
  readConfig: () => Promise<LoadedConfig>;
  /** The log level came from the command line: the config's log_level does not override it. */
  logLevelForced?: boolean;
  paths: DaemonPaths;
  /** The connection's ports but the gateway choice, which the service makes (GatewayService). */
  ports: Omit<ConnectionPorts<T>, 'log' | 'config' | 'route'>;
  /** Told after a good reload (the firewall re-reads its LAN sources). */
  onReloaded?: () => Promise<void>;
  /** Throws when a config that passed its own checks would still be refused by the kill switch. */
  checkConfig?: (config: NymVpnConfig) => void;
}

export class NymVpnService<T extends TunnelHandle = TunnelHandle> {
  readonly machine: TunnelStateMachine;
  private config: NymVpnConfig;
  private configError: string | undefined;
  private configSource: 'file' | 'defaults';
  readonly connection: Connection<T>;
  readonly gateways: GatewayService;
  readonly account: AccountStore;
  readonly accountSync: AccountSync;
  readonly ticketbooks: TicketbookStore;
  private ownSocket!: () => SocketFactory | undefined;
  private readonly startedAt: number;

  constructor(private readonly opts: ServiceOptions<T>) {
    const clock = opts.ports.clock;
    this.startedAt = clock.monotonic();
    this.config = opts.config;
    this.configError = opts.configError;
    this.configSource = opts.configError === undefined ? opts.configSource ?? 'file' : 'defaults';
    this.machine = new TunnelStateMachine(clock.wall());
    // The daemon's own TCP (directory, probes) is marked to pass the kill switch unless the tunnel is up,
    // in which case it goes through the tunnel like everything else.
    const marked = markedSocketFactory(NYM_FWMARK);
    const ownSocket = this.ownSocket = () => (this.machine.state.state === 'connected' ? undefined : marked);
    this.account = new AccountStore(opts.paths.stateDir);
    this.ticketbooks = new TicketbookStore(opts.paths.stateDir);
    // One spender pays for registrations and top-ups alike.
    const spender = new TicketSpender({ store: this.ticketbooks, now: () => clock.wall() });
    const spend = (type: TicketType, gatewayId: string) => spender.spend(type, gatewayId);
    const registration = nymRegistration({ config: () => this.config, keys: opts.ports.keys, spend, log: opts.log, mark: NYM_FWMARK });
    this.gateways = new GatewayService(() => this.config, opts.paths, opts.log, ownSocket, opts.ports.keys, registration.registrar,
      new LatencyBook({ monotonic: () => clock.monotonic(), wall: () => clock.wall() }), registration.mixnet);
    // The vpn-api over the same sockets as the directory: marked past the kill switch, or the tunnel.
    this.accountSync = new AccountSync({
      store: this.account,
      client: () => new VpnApiClient({ baseUrl: apiUrlOf(this.config), connect: ownSocket }),
      now: () => clock.wall(),
      log: opts.log,
      tickets: async () => remainingTickets((await this.ticketbooks.list()).books, ecashToday(clock.wall())),
      onReady: (key, device) => this.topUpTickets(key, device),
    });
    const monitors = withBandwidth(opts.ports.monitors, { spend, clock, log: opts.log });
    this.connection = new Connection<T>({ ...opts.ports, monitors, log: opts.log, config: () => this.config, route: this.gateways }, this.machine);
  }

  /** Consecutive rounds that got no ticketbook; upstream stops asking after ZK_NYM_MAX_FAILS (10). */
  private zkNymFails = 0;
  private zkNymRound: Promise<unknown> | null = null;

  /** Requests ticketbooks for the types running low, one round at a time, in the background. */
  private topUpTickets(key: AccountKey, device: DeviceKeys): void {
    if (this.zkNymRound || this.zkNymFails >= ZK_NYM_MAX_FAILS) return;
    const clock = this.opts.ports.clock;
    const acquirer = new TicketbookAcquirer({
      store: this.ticketbooks, account: key, device,
      client: () => new VpnApiClient({ baseUrl: apiUrlOf(this.config), connect: this.ownSocket }),
      now: () => clock.wall(), sleep: (ms, signal) => clock.sleep(ms, signal), log: this.opts.log,
    });
    this.zkNymRound = acquirer.acquire(new AbortController().signal).then((out) => {
      if (out.length === 0) return;
      this.zkNymFails = out.some((o) => o.ok) ? 0 : this.zkNymFails + 1;
      if (this.zkNymFails >= ZK_NYM_MAX_FAILS) this.opts.log.warn(`zk-nym: ${ZK_NYM_MAX_FAILS} rounds without a ticketbook; not asking again until the account is stored or refreshed`);
    }, (e: Error) => this.opts.log.warn(`zk-nym: ${e.message}`)).finally(() => { this.zkNymRound = null; });
  }

  async status(): Promise<Record<string, unknown>> {
    const ks = await this.connection.readKillSwitch().catch((e: Error) => ({ active: false, bootGuard: false, problem: `cannot read the firewall: ${e.message}` }));
    const choice = this.connection.currentChoice;
    const error = this.connection.killSwitchError ?? ks.problem;
    return statusReply({
      state: this.machine.state,
      since: this.machine.since,
      interfaceName: this.config.main.interface,
      dns: choice?.dns && this.machine.state.state !== 'disconnected' ? choice.dns : [...this.config.main.dns],
      dnsUnreachable: this.connection.dnsUnreachable,
      mtuBlackHole: this.connection.mtuBlackHole,
      killSwitch: this.config.main.killSwitch,
      killSwitchActive: ks.active,
      ...(error ? { killSwitchError: error } : {}),
      reconnects: this.connection.reconnects,
      lastReconnectReason: this.connection.lastReconnectReason,
      handshakeAge: this.connection.handshakeAge(),
      bandwidth: this.connection.bandwidth(),
      stats: this.connection.stats(),
      configError: this.configError,
      configDefaults: this.configSource === 'defaults',
    });
  }

  info(): Record<string, unknown> {
    return {
      version: packageVersion(),
      node: process.versions.node,
      platform: process.platform,
      arch: process.arch,
      network: this.config.main.network,
      api_url: apiUrlOf(this.config),
      uptime: Math.floor((this.opts.ports.clock.monotonic() - this.startedAt) / 1000),
      pid: process.pid,
      connection_loops: this.connection.loopsAlive,
    };
  }

  onStateChange(cb: (s: TunnelState) => void): void {
    this.machine.onChange((s) => cb(s));
  }

  get currentConfig(): NymVpnConfig {
    return this.config;
  }

  async reload(): Promise<Record<string, unknown>> {
    let next: LoadedConfig;
    try {
      next = await this.opts.readConfig();
      this.opts.checkConfig?.(next.config);
    } catch (e) {
      // A bad file leaves the daemon on its last good config; status says why.
      this.configError = (e as Error).message;
      this.opts.log.error(`config not reloaded, keeping the last good one: ${this.configError}`);
      return { reloaded: false, changed: [], reconnect: false, error: this.configError };
    }
    for (const w of next.warnings) this.opts.log.warn(`config: ${w.message}`);
    const changed = changedSettings(this.config, next.config);
    this.config = next.config;
    this.configError = undefined;
    this.configSource = next.source;
    if (!this.opts.logLevelForced) this.opts.log.level = next.config.main.logLevel;
    await this.opts.onReloaded?.().catch((e: Error) => this.opts.log.warn(`after reload: ${e.message}`));
    const active = this.machine.state.state !== 'disconnected';
    const reconnect = active && changed.some(needsReconnect);
    this.opts.log.info(`config reloaded${changed.length ? `: ${changed.join(', ')} changed` : ', nothing changed'}${reconnect ? '; reconnecting' : ''}`);
    if (changed.length > 0) {
      // A new gateway choice in UCI replaces the one a connect call made.
      await this.connection.reload({ reconnect, resetGateways: changed.some((k) => k.startsWith('entry.') || k.startsWith('exit.')) });
    }
    return { reloaded: true, changed, reconnect };
  }

  /** `connect`: arguments override UCI's choice for this connection only. */
  async connect(args: Record<string, BlobmsgValue>): Promise<Record<string, unknown>> {
    const str = (k: string) => (typeof args[k] === 'string' ? (args[k] as string) : undefined);
    const choice: ConnectChoice = {
      entry: { id: str('entry_id'), country: str('entry_country')?.toUpperCase(), random: args.entry_random === true, lowLatency: args.entry_low_latency === true },
      exit: { id: str('exit_id'), country: str('exit_country')?.toUpperCase(), random: args.exit_random === true },
      ...(Array.isArray(args.dns) ? { dns: args.dns as string[] } : {}),
    };
    await this.connection.connect(choice);
    if (args.wait === true) await this.connection.settled(Number(args.timeout ?? 30) * 1000);
    return this.status();
  }

  /** Connects with `choice`, or UCI's (autoconnect at start, or a previous daemon's intent). */
  autoconnect(choice: ConnectChoice = { entry: {}, exit: {} }): Promise<void> {
    return this.connection.connect(choice);
  }

  /** Set by main: re-checks the default route at once. */
  checkOnline: () => Promise<boolean> = async () => true;

  /** Set by main: answers `attest` (the bus object's current id, and the run's key). */
  attestation: { proof(nonce: string, objectId: number): string; objectId(): number } | undefined;

  private async networkEvent(action: string): Promise<Record<string, unknown>> {
    const before = this.machine.state.state;
    const online = await this.checkOnline();
    await this.connection.setOnline(online);
    return { handled: before !== this.machine.state.state || action === 'ifdown' && !online };
  }

  private async accountInfo(): Promise<Record<string, unknown>> {
    return accountReply(await this.accountSync.state());
  }

  /** Stores the mnemonic; a bad one is refused naming the problem, never the words. */
  private async accountSet(mnemonic: unknown): Promise<Record<string, unknown>> {
    try {
      const stored = await this.account.store(mnemonic);
      this.opts.log.info(`account ${stored.accountId} stored`);
      // What the API said about a previous account no longer holds; ask about this one.
      this.accountSync.reset();
      this.zkNymFails = 0;
      void this.accountSync.sync().catch((e: Error) => this.opts.log.warn(`account sync: ${e.message}`));
      return { stored: true, id: stored.accountId };
    } catch (e) {
      if (e instanceof MnemonicError) throw new UbusError(Status.INVALID_ARGUMENT, e.message, { error: `mnemonic: ${e.message}`, field: 'mnemonic' });
      throw e;
    }
  }

  handlers(): Record<string, Handler> {
    return {
      status: () => this.status(),
      info: () => this.info(),
      reload: () => this.reload(),
      connect: (args) => this.connect(args),
      disconnect: async () => { await this.connection.disconnect(); return this.status(); },
      gateways: (a) => this.gateways.list(a.role as 'entry' | 'exit', a.country as string | undefined, a.min_performance as number | undefined),
      countries: (a) => this.gateways.countries(a.role as 'entry' | 'exit'),
      account: () => this.accountInfo(),
      account_set: (a) => this.accountSet(a.mnemonic),
      account_forget: async () => { await this.account.forget(); await this.ticketbooks.removeAll(); this.accountSync.reset(); this.opts.log.info('account forgotten'); return { stored: false }; },
      account_sync: async () => { this.zkNymFails = 0; return accountReply(await this.accountSync.sync()); },
      network_event: (args) => this.networkEvent(String(args.action)),
      attest: (a) => {
        if (!this.attestation) throw new UbusError(Status.NOT_SUPPORTED, 'no attestation key');
        return { proof: this.attestation.proof(String(a.nonce), this.attestation.objectId()) };
      },
    };
  }
}

/** Settings the running tunnel is built from: changing one means building it again. */
function needsReconnect(key: string): boolean {
  return ['main.interface', 'main.mtu', 'main.entryMtu', 'main.ipv6', 'main.network', 'main.apiUrl', 'main.firewallBackend', 'policy.sources', 'peers'].includes(key)
    || key.startsWith('entry.') || key.startsWith('exit.');
}

/** Names of what differs between two configs, as `section.option` (peers as a whole). */
export function changedSettings(a: NymVpnConfig, b: NymVpnConfig): string[] {
  const out: string[] = [];
  for (const section of ['main', 'entry', 'exit', 'policy', 'monitor'] as const) {
    const x = a[section] as unknown as Record<string, unknown>;
    const y = b[section] as unknown as Record<string, unknown>;
    for (const k of new Set([...Object.keys(x), ...Object.keys(y)])) {
      if (JSON.stringify(x[k]) !== JSON.stringify(y[k])) out.push(`${section}.${k}`);
    }
  }
  if (JSON.stringify(a.peers) !== JSON.stringify(b.peers)) out.push('peers');
  return out;
}
