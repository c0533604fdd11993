// nym-vpnd's behaviour behind the ubus methods: the tunnel state, status and info, and the
// methods whose machinery arrives later answering NOT_SUPPORTED with what is missing.

import { Status } from '../ubus/constants.js';
import { UbusError } from '../ubus/errors.js';
import type { BlobmsgValue } from '../ubus/blobmsg.js';
import { TunnelStateMachine, type TunnelState } from '../tunnel/state.js';
import { statusReply, type TrafficStats } from './status.js';
import { packageVersion } from './version.js';
import type { Logger } from './log.js';
import type { Handler } from './ubus-object.js';
import { apiUrlOf, type LoadedConfig, type NymVpnConfig } from './settings.js';

export interface ServiceOptions {
  log: Logger;
  config: NymVpnConfig;
  /** Why the config on disk was not used at start (the defaults run instead). */
  configError?: string;
  /** Re-reads the configuration; rejects (naming each bad option) when it is invalid. */
  readConfig: () => Promise<LoadedConfig>;
  /** The log level came from the command line: the config's log_level does not override it. */
  logLevelForced?: boolean;
  now?: () => number;
}

export class NymVpnService {
  readonly machine: TunnelStateMachine;
  private config: NymVpnConfig;
  private configError: string | undefined;
  private reconnects = 0;
  private readonly stats: TrafficStats = { rx_bytes: 0, tx_bytes: 0, rx_packets: 0, tx_packets: 0 };
  private readonly startedAt: number;
  private readonly now: () => number;

  constructor(private readonly opts: ServiceOptions) {
    this.now = opts.now ?? Date.now;
    this.startedAt = this.now();
    this.config = opts.config;
    this.configError = opts.configError;
    this.machine = new TunnelStateMachine(this.startedAt);
  }

  status(): Record<string, unknown> {
    return statusReply({
      state: this.machine.state,
      since: this.machine.since,
      interfaceName: this.config.main.interface,
      dns: [...this.config.main.dns],
      killSwitch: this.config.main.killSwitch,
      reconnects: this.reconnects,
      stats: this.stats,
      configError: this.configError,
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
      uptime: Math.floor((this.now() - this.startedAt) / 1000),
      pid: process.pid,
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
    if (!this.opts.logLevelForced) this.opts.log.level = next.config.main.logLevel;
    this.opts.log.info(`config reloaded${changed.length ? `: ${changed.join(', ')} changed` : ', nothing changed'}`);
    return { reloaded: true, changed, reconnect: false };
  }

  private notYet(what: string): never {
    throw new UbusError(Status.NOT_SUPPORTED, `${what} is not built yet`, { error: `${what} is not built yet in this version of nym-vpnd` });
  }

  handlers(): Record<string, Handler> {
    return {
      status: () => this.status(),
      info: () => this.info(),
      reload: () => this.reload(),
      connect: (_args: Record<string, BlobmsgValue>) => this.notYet('connect: the two-hop tunnel'),
      disconnect: () => this.status(),
      gateways: () => this.notYet('gateways: the gateway directory'),
      countries: () => this.notYet('countries: the gateway directory'),
      account: () => this.notYet('account: the account store'),
      account_set: () => this.notYet('account_set: the account store'),
      account_forget: () => this.notYet('account_forget: the account store'),
      network_event: () => ({ handled: false }),
    };
  }
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
