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

export interface Settings {
  interfaceName: string;
  dns: string[];
  killSwitch: boolean;
  network: string;
  apiUrl: string;
}

export interface ServiceOptions {
  log: Logger;
  settings: Settings;
  /** Re-reads the configuration; throws (with a message naming the bad option) when it is invalid. */
  readSettings: () => Settings;
  now?: () => number;
}

export class NymVpnService {
  readonly machine: TunnelStateMachine;
  private settings: Settings;
  private configError: string | undefined;
  private reconnects = 0;
  private readonly stats: TrafficStats = { rx_bytes: 0, tx_bytes: 0, rx_packets: 0, tx_packets: 0 };
  private readonly startedAt: number;
  private readonly now: () => number;

  constructor(private readonly opts: ServiceOptions) {
    this.now = opts.now ?? Date.now;
    this.startedAt = this.now();
    this.settings = opts.settings;
    this.machine = new TunnelStateMachine(this.startedAt);
  }

  status(): Record<string, unknown> {
    return statusReply({
      state: this.machine.state,
      since: this.machine.since,
      interfaceName: this.settings.interfaceName,
      dns: this.settings.dns,
      killSwitch: this.settings.killSwitch,
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
      network: this.settings.network,
      api_url: this.settings.apiUrl,
      uptime: Math.floor((this.now() - this.startedAt) / 1000),
      pid: process.pid,
    };
  }

  onStateChange(cb: (s: TunnelState) => void): void {
    this.machine.onChange((s) => cb(s));
  }

  reload(): Record<string, unknown> {
    let next: Settings;
    try {
      next = this.opts.readSettings();
    } catch (e) {
      // A bad file leaves the daemon on its last good config; status says why.
      this.configError = (e as Error).message;
      this.opts.log.error(`config not reloaded, keeping the last good one: ${this.configError}`);
      return { reloaded: false, changed: [], reconnect: false, error: this.configError };
    }
    const changed = (Object.keys(next) as (keyof Settings)[]).filter((k) => JSON.stringify(next[k]) !== JSON.stringify(this.settings[k]));
    this.settings = next;
    this.configError = undefined;
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
    };
  }
}
