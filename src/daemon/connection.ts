// Connecting, staying connected, and disconnecting: the tunnel's life in nym-vpnd. Order matters
// for leaks: the firewall goes up first and comes down last; the tunnel exists before routes
// point at it; DNS moves into the tunnel only once routes do. Every step is undone in reverse.

import type { NymVpnConfig } from '../config/nym-vpn-config.js';
import type { GatewayRef, TunnelState } from './tunnel-state.js';
import { TunnelStateMachine } from './tunnel-state.js';
import { TwoHopTunnel, type HopConfig } from '../tunnel/two-hop.js';
import { applyPolicy, removePolicy, removeStalePolicy, NYM_FWMARK, type RuleSet } from '../routing/policy.js';
import { applyNat, removeNat } from '../routing/nat.js';
import { resolveSources } from '../routing/devices.js';
import { applyDns, dnsIsApplied, dnsPaths, restoreDns, type DnsPaths } from '../dns/resolv.js';
import { ConnectionMonitor, type MonitorTimings } from '../monitor/connection-monitor.js';
import { echoReply, echoRequest } from '../monitor/icmp.js';
import { ConnectError } from './connect-error.js';
import { loadOrCreateKey } from './keys.js';
import type { DaemonPaths } from './paths.js';
import type { Logger } from './log.js';

export interface ResolvedHop {
  gateway: GatewayRef;
  hop: HopConfig;
}

export interface ResolvedRoute {
  entry: ResolvedHop;
  exit: ResolvedHop;
}

/** What a connect call asks for; undefined fields fall back to UCI's choice. */
export interface ConnectChoice {
  entry: { id?: string; country?: string; random?: boolean; lowLatency?: boolean };
  exit: { id?: string; country?: string; random?: boolean };
  dns?: string[];
}

/** Where the daemon's own (marked) TCP may go while the kill switch is up: the API, probe targets. */
export interface OwnTraffic {
  address: string;
  port: number;
  protocol: 'tcp';
}

/** The kill switch, as the connection sees it (src/firewall implements it). */
export interface FirewallPort {
  /** Rules for the current step: the entry endpoint the daemon may reach (none yet), and its own TCP. */
  apply(state: 'connecting' | 'connected' | 'error', entryEndpoint?: string, extra?: readonly OwnTraffic[]): Promise<void>;
  /** Lifts the kill switch (owner disconnected and it is not always on). */
  lift(): Promise<void>;
}

export interface ConnectionDeps {
  log: Logger;
  paths: DaemonPaths;
  machine: TunnelStateMachine;
  config: () => NymVpnConfig;
  /** Chooses and registers the gateways; `allow` opens the kill switch for the daemon's own TCP first. */
  resolveRoute: (choice: ConnectChoice, signal: AbortSignal, allow: (own: readonly OwnTraffic[]) => Promise<void>) => Promise<ResolvedRoute>;
  lookupNetwork: (name: string) => Promise<string | undefined>;
  firewall?: FirewallPort;
  now?: () => number;
}

interface Installed {
  tunnel: TwoHopTunnel;
  policy: RuleSet | null;
  nat: boolean;
  dns: DnsPaths | null;
  monitor: ConnectionMonitor | null;
  route: ResolvedRoute;
}

const ICMP_ID = 0x4e59; // 'NY': our echoes, told apart from the LAN's own pings

export class Connection {
  private installed: Installed | null = null;
  private loop: Promise<void> | null = null;
  private abort: AbortController | null = null;
  reconnects = 0;
  lastReconnectReason: string | undefined;
  private readonly now: () => number;

  constructor(private readonly d: ConnectionDeps) {
    this.now = d.now ?? Date.now;
  }

  get state(): TunnelState {
    return this.d.machine.state;
  }

  get tunnel(): TwoHopTunnel | null {
    return this.installed?.tunnel ?? null;
  }

  private move(s: TunnelState): void {
    this.d.machine.moveTo(s, this.now());
  }

  /**
   * Starts connecting: returns once the kill switch is up (so nothing leaves in the clear from the
   * moment the owner asked), the rest goes on in the background. A connect while connected or
   * connecting restarts with the new choice.
   */
  async connect(choice: ConnectChoice): Promise<void> {
    if (this.loop) await this.stop('reconnect');
    try {
      await this.d.firewall?.apply('connecting');
    } catch (e) {
      if (this.d.machine.canMoveTo('connecting')) this.move({ state: 'connecting', retryAttempt: 0 });
      this.move({ state: 'error', reason: 'Firewall', message: (e as Error).message });
      return;
    }
    const abort = (this.abort = new AbortController());
    this.loop = this.run(choice, abort.signal).finally(() => {
      if (this.abort === abort) { this.loop = null; this.abort = null; }
    });
  }

  /** The owner's disconnect: everything undone, kill switch lifted unless always on. */
  async disconnect(): Promise<void> {
    if (this.state.state === 'disconnected') return;
    await this.stop('nothing');
    if (this.d.machine.state.state !== 'disconnected') this.move({ state: 'disconnected' });
    await this.d.firewall?.lift();
  }

  /** Stops the loop and tears down; the state becomes Disconnecting{after}. */
  private async stop(after: 'nothing' | 'reconnect' | 'offline'): Promise<void> {
    this.abort?.abort();
    const loop = this.loop;
    if (loop) await loop.catch(() => {});
    if (this.d.machine.canMoveTo('disconnecting') && this.state.state !== 'disconnecting') this.move({ state: 'disconnecting', after });
    await this.teardown();
  }

  /**
   * At start: what a killed daemon left behind (policy rules, NAT, dnsmasq pointed at tunnel DNS) goes,
   * so the router is usable again. The kill switch is not touched: if it is up, it stays up.
   */
  async cleanupStale(): Promise<void> {
    const dns = dnsPaths(this.d.paths.resolvConfDir, this.d.paths.runDir);
    await restoreDns(dns).catch((e: Error) => this.d.log.warn(`stale DNS not restored: ${e.message}`));
    const rules = await removeStalePolicy();
    if (rules > 0) this.d.log.info(`removed ${rules} policy rules a previous nym-vpnd left`);
    if (!this.installed) await removeNat().catch(() => {});
  }

  /** Applies changed settings (DNS, kill switch options, monitor) to the tunnel as it runs. */
  async refresh(choice: ConnectChoice): Promise<void> {
    const i = this.installed;
    const s = this.state.state;
    if (s === 'connected' && i) {
      if (i.dns) await applyDns(i.dns, this.dnsServers(choice));
      await this.d.firewall?.apply('connected', i.route.entry.hop.endpoint);
    } else if (s === 'connecting' || s === 'error' || s === 'offline' || s === 'disconnecting') {
      await this.d.firewall?.apply(s === 'error' ? 'error' : 'connecting', i?.route.entry.hop.endpoint);
    }
  }

  /** Network gone: drop the tunnel (kill switch stays), wait Offline until it returns. */
  async goOffline(): Promise<void> {
    if (this.state.state === 'disconnected' || this.state.state === 'offline') return;
    await this.stop('offline');
    this.move({ state: 'offline', reconnect: true });
  }

  /** Waits until the current attempt settles (connected or error), or `timeoutMs`. */
  async settled(timeoutMs: number): Promise<void> {
    const end = this.now() + timeoutMs;
    while (this.now() < end) {
      const s = this.state.state;
      if (s === 'connected' || s === 'error' || s === 'disconnected') return;
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  private async run(choice: ConnectChoice, signal: AbortSignal): Promise<void> {
    let attempt = 0;
    while (!signal.aborted) {
      this.move({ state: 'connecting', retryAttempt: attempt });
      let deadReason: string;
      try {
        await this.establish(choice, signal);
        if (signal.aborted) return;
        const i = this.installed!;
        this.move({
          state: 'connected',
          connectedSince: this.now(),
          entry: i.route.entry.gateway,
          exit: i.route.exit.gateway,
          addresses: { ipv4: i.route.exit.hop.ipv4, ...(i.route.exit.hop.ipv6 && this.d.config().main.ipv6 ? { ipv6: i.route.exit.hop.ipv6 } : {}) },
        });
        await this.d.firewall?.apply('connected', i.route.entry.hop.endpoint);
        attempt = 0;
        deadReason = await this.watch(signal);
        if (signal.aborted) return;
        this.reconnects++;
      } catch (e) {
        if (signal.aborted) return;
        await this.teardown();
        const err = e instanceof ConnectError ? e : new ConnectError('Internal', (e as Error).message, true);
        this.d.log.warn(`connect attempt ${attempt} failed: ${err.reason}: ${err.message}`);
        if (!err.retryable) {
          this.move({ state: 'error', reason: err.reason, message: err.message });
          await this.d.firewall?.apply('error');
          return;
        }
        deadReason = err.message;
      }
      this.lastReconnectReason = deadReason;
      if (this.state.state === 'connected') this.move({ state: 'disconnecting', after: 'reconnect' });
      await this.teardown();
      attempt++;
      // A short pause: the attempt itself already waited for handshakes.
      await sleep(Math.min(250 * attempt, 2000), signal);
    }
  }

  /** Until the monitor declares the tunnel dead (its reason), or the loop is aborted. */
  private watch(signal: AbortSignal): Promise<string> {
    return new Promise((resolve) => {
      const mon = this.installed?.monitor;
      const keepDns = setInterval(() => void this.keepDns(), 2000);
      const done = (reason: string) => {
        clearInterval(keepDns);
        mon?.stop();
        resolve(reason);
      };
      signal.addEventListener('abort', () => done('stopped'), { once: true });
      if (!mon) return;
      mon.onDead = (reason) => {
        this.d.log.warn(`tunnel lost: ${reason}; reconnecting`);
        done(reason);
      };
      mon.start();
    });
  }

  /** netifd may rewrite dnsmasq's resolv file on a WAN renewal: put ours back. */
  private async keepDns(): Promise<void> {
    const i = this.installed;
    if (i?.dns && !(await dnsIsApplied(i.dns))) {
      await applyDns(i.dns, this.dnsServers());
      this.d.log.info('DNS servers re-applied (the resolv file had been rewritten)');
    }
  }

  private dnsServers(choice?: ConnectChoice): string[] {
    const c = this.d.config();
    const servers = choice?.dns && choice.dns.length > 0 ? choice.dns : [...c.main.dns];
    return c.main.ipv6 ? servers : servers.filter((s) => !s.includes(':'));
  }

  private async establish(choice: ConnectChoice, signal: AbortSignal): Promise<void> {
    const c = this.d.config();
    await this.d.firewall?.apply('connecting');
    const route = await this.d.resolveRoute(choice, signal, async (own) => { await this.d.firewall?.apply('connecting', undefined, own); });
    if (signal.aborted) return;
    await this.d.firewall?.apply('connecting', route.entry.hop.endpoint);
    const since = this.now();
    let tunnel: TwoHopTunnel;
    try {
      tunnel = await TwoHopTunnel.open({
        interfaceName: c.main.interface,
        mtu: c.main.mtu,
        entryMtu: c.main.entryMtu,
        entryPrivateKey: await loadOrCreateKey(this.d.paths.stateDir, 'entry'),
        exitPrivateKey: await loadOrCreateKey(this.d.paths.stateDir, 'exit'),
        entry: route.entry.hop,
        exit: route.exit.hop,
        fwmark: NYM_FWMARK,
        ipv6: c.main.ipv6,
      });
    } catch (e) {
      throw new ConnectError('TunDevice', `cannot create ${c.main.interface}: ${(e as Error).message}`, false);
    }
    const inst: Installed = { tunnel, policy: null, nat: false, dns: null, monitor: null, route };
    this.installed = inst;
    try {
      await tunnel.waitConnected(since, c.monitor.handshakeTimeout * 1000, signal);
    } catch (e) {
      throw new ConnectError('TunnelProvider', (e as Error).message, true);
    }
    if (signal.aborted) return;
    const monitor = this.makeMonitor(tunnel, c);
    inst.monitor = monitor;
    const first = await monitor.initialCheck();
    if (!first.ok) throw new ConnectError('TunnelProvider', first.reason, true);
    this.d.log.info(`tunnel up through ${route.entry.gateway.id} → ${route.exit.gateway.id} (probe ${first.rttMs} ms)`);
    try {
      const sources = await resolveSources(c.policy.sources, this.d.lookupNetwork);
      if (sources.unresolved.length > 0) this.d.log.warn(`policy sources not found: ${sources.unresolved.join(', ')}`);
      inst.policy = await applyPolicy({
        interfaceName: tunnel.interfaceName,
        sourceDevices: sources.devices,
        sourceCidrs: sources.cidrs,
        routerTraffic: true,
        ipv6: c.main.ipv6 && route.exit.hop.ipv6 ? 'tunnel' : 'block',
      });
      await applyNat(tunnel.interfaceName, c.main.mtu);
      inst.nat = true;
    } catch (e) {
      throw new ConnectError('Routing', (e as Error).message, false);
    }
    try {
      inst.dns = dnsPaths(this.d.paths.resolvConfDir, this.d.paths.runDir);
      await applyDns(inst.dns, this.dnsServers(choice));
    } catch (e) {
      throw new ConnectError('SetDns', (e as Error).message, false);
    }
  }

  private makeMonitor(tunnel: TwoHopTunnel, c: NymVpnConfig): ConnectionMonitor {
    const hop = tunnel.config.exit;
    const target = c.monitor.targets.find((t) => !t.includes(':')) ?? c.monitor.targets[0]!;
    const source = target.includes(':') ? hop.ipv6 ?? hop.ipv4 : hop.ipv4;
    const timings: MonitorTimings = {
      initialTimeout: Math.min(3000, c.monitor.timeout * 1000),
      initialTries: 3,
      interval: c.monitor.interval * 1000,
      timeout: c.monitor.timeout * 1000,
      tries: c.monitor.tries,
      maxHandshakeAge: 190_000,
    };
    const mon = new ConnectionMonitor(
      {
        sendEcho: (seq) => tunnel.inject([echoRequest(source, target, { id: ICMP_ID, seq })]),
        handshakes: () => ({ entry: tunnel.entryPeer.stats.lastHandshake, exit: tunnel.exitPeer.stats.lastHandshake }),
      },
      target,
      timings,
    );
    tunnel.tapDelivered((p) => {
      const r = echoReply(p);
      if (r === null || r.id !== ICMP_ID) return true;
      mon.onEchoReply(r.seq);
      return false;
    });
    return mon;
  }

  /** Undoes whatever is installed, in reverse order; never throws. */
  private async teardown(): Promise<void> {
    const i = this.installed;
    this.installed = null;
    if (!i) return;
    i.monitor?.stop();
    if (i.dns) await restoreDns(i.dns).catch((e: Error) => this.d.log.error(`DNS not restored: ${e.message}`));
    if (i.nat) await removeNat().catch((e: Error) => this.d.log.error(`NAT not removed: ${e.message}`));
    if (i.policy) await removePolicy(i.policy);
    await i.tunnel.close().catch((e: Error) => this.d.log.error(`tunnel not closed: ${e.message}`));
  }

  stats(): { rx_bytes: number; tx_bytes: number; rx_packets: number; tx_packets: number } {
    const t = this.installed?.tunnel.stats();
    return { rx_bytes: t?.rxBytes ?? 0, tx_bytes: t?.txBytes ?? 0, rx_packets: t?.rxPackets ?? 0, tx_packets: t?.txPackets ?? 0 };
  }

  handshakeAge(): { entry?: number; exit?: number } | undefined {
    const t = this.installed?.tunnel;
    if (!t) return undefined;
    const age = (ms: number) => (ms > 0 ? Math.floor((this.now() - ms) / 1000) : undefined);
    return { entry: age(t.entryPeer.stats.lastHandshake), exit: age(t.exitPeer.stats.lastHandshake) };
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => { clearTimeout(t); resolve(); }, { once: true });
  });
}

