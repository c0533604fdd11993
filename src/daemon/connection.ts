// The connection coordinator: the one owner of the tunnel's life in nym-vpnd. It holds no sockets and
// runs no commands itself; it orders the ports (connection-ports.ts) so that nothing leaks:
//   connect:   kill switch up → gateways chosen (the kill switch opened only for the daemon's own TCP)
//              → the entry endpoint allowed → tunnel → handshakes → first probe → routes + NAT → DNS
//              → connected (the kill switch narrowed to the connected rules)
//   teardown:  the same in reverse (DNS, routes, monitor, tunnel); the kill switch stays up.
//   disconnect: teardown, then the kill switch lifted unless always-on.
// Commands (connect, disconnect, reload, offline/online, start, shutdown) run one at a time in call
// order; each first stops and awaits the running attempt, so there is never more than one loop, one
// tunnel and one kill-switch owner, however callers interleave. A transition the state machine does not
// allow is logged as a bug, never thrown.

import type { NymVpnConfig } from '../config/nym-vpn-config.js';
import { ConnectError } from './connect-error.js';
import type {
  BandwidthView, Clock, ConnectChoice, DnsPort, FirewallPort, InstalledRouting, KeyStore, KillSwitchReading, MonitorFactory,
  MonitorHandle, OwnTraffic, ResolvedRoute, RouteResolver, RoutingPort, TunnelFactory, TunnelHandle,
} from './connection-ports.js';
import type { Logger } from './log.js';
import type { AfterDisconnect, ErrorReason, TunnelState, TunnelStateMachine } from './tunnel-state.js';

export type { ConnectChoice, OwnTraffic, ResolvedHop, ResolvedRoute } from './connection-ports.js';

/** The choice a connection was asked for, kept across a daemon restart (RAM only: gone at boot). */
export interface IntentStore {
  load(): Promise<ConnectChoice | undefined>;
  save(choice: ConnectChoice): Promise<void>;
  clear(): Promise<void>;
}

export interface ConnectionPorts<T extends TunnelHandle> {
  log: Logger;
  config: () => NymVpnConfig;
  clock: Clock;
  firewall: FirewallPort;
  route: RouteResolver;
  keys: KeyStore;
  tunnels: TunnelFactory<T>;
  routing: RoutingPort;
  dns: DnsPort;
  monitors: MonitorFactory<T>;
  intent?: IntentStore;
}

interface Installed<T> {
  route: ResolvedRoute;
  tunnel: T | null;
  monitor: MonitorHandle | null;
  routing: InstalledRouting | null;
  dns: boolean;
}

/** An attempt stopped by a command (not a failure). */
class Aborted extends Error {
  override name = 'Aborted';
}

/** How long the kill switch reading from the kernel is reused (status is polled by LuCI). */
const KILL_SWITCH_READ_TTL_MS = 1000;
const DNS_CHECK_INTERVAL_MS = 2000;
/**
 * The exit hop's datagram size behind an MTU black hole: with the entry hop's 32 bytes of WireGuard and
 * 48 of IPv6+UDP, every outer packet stays within 1280 bytes, the smallest MTU IPv6 allows on any link.
 */
const BLACK_HOLE_FRAGMENT = 1200;
/** The inner packet size whose two hops (2 × 80 bytes over IPv6) fit in 1280 bytes: TCP is clamped to it. */
const BLACK_HOLE_INNER_MTU = 1120;

export class Connection<T extends TunnelHandle> {
  private commands: Promise<unknown> = Promise.resolve();
  private loop: Promise<void> | null = null;
  private abort: AbortController | null = null;
  private installed: Installed<T> | null = null;
  /** What the owner asked for last (connect or UCI), used to reconnect after offline or a reload. */
  private choice: ConnectChoice | null = null;
  reconnects = 0;
  lastReconnectReason: string | undefined;
  /** Full-size packets vanished on the way to the entry gateway; the exit hop is being fragmented. */
  mtuBlackHole = false;
  /** DNS servers that stopped answering through the tunnel (dnsmasq is pointed at the others meanwhile). */
  dnsUnreachable: string[] = [];
  /** Connection loops alive now: 0 or 1 by construction, counted so that tests can see it. */
  loopsAlive = 0;
  /** Why the kill switch is not what was asked for (it failed closed), until an apply succeeds. */
  killSwitchError: string | undefined;
  private reading: { value: KillSwitchReading; at: number; generation: number } | undefined;
  private readingInFlight: { promise: Promise<KillSwitchReading>; generation: number } | undefined;
  /** Counts changes to the kill switch: a reading taken before the latest one is stale. */
  private firewallGeneration = 0;

  constructor(
    private readonly p: ConnectionPorts<T>,
    private readonly machine: TunnelStateMachine,
  ) {}

  get state(): TunnelState {
    return this.machine.state;
  }

  /** The choice of the current (or last) connection; undefined while disconnected. */
  get currentChoice(): ConnectChoice | undefined {
    return this.choice ?? undefined;
  }

  /** The tunnel while one exists (status, tests). */
  get tunnel(): T | null {
    return this.installed?.tunnel ?? null;
  }

  /** True while an attempt or a connected tunnel is being looked after (for tests and status). */
  get running(): boolean {
    return this.loop !== null;
  }

  /** Resolves once no attempt runs (after an error, the loop finishes its teardown a moment later). */
  async whenIdle(): Promise<void> {
    while (this.loop) await this.loop;
  }

  // ---- commands ----------------------------------------------------------------------------------

  /**
   * Starts connecting with `choice`: returns once the kill switch is up (nothing leaves in the clear
   * from the moment the owner asked); the rest goes on in the background. A connect while connected or
   * connecting starts again with the new choice.
   */
  connect(choice: ConnectChoice): Promise<void> {
    return this.serial(async () => {
      await this.stopLoop('reconnect');
      this.choice = choice;
      await this.p.intent?.save(choice).catch((e: Error) => this.p.log.warn(`connection intent not kept: ${e.message}`));
      this.startLoop(choice);
      // The loop's first step; awaited here so that the caller's answer comes with the kill switch up.
      await this.firstStep;
    });
  }

  /** The owner's disconnect: everything undone, the kill switch lifted unless always on. */
  disconnect(): Promise<void> {
    return this.serial(async () => {
      await this.stopLoop('nothing');
      this.choice = null;
      await this.p.intent?.clear().catch((e: Error) => this.p.log.warn(`connection intent not cleared: ${e.message}`));
      this.move({ state: 'disconnected' });
      await this.liftKillSwitch();
    });
  }

  /** The WAN went away: drop the tunnel (the kill switch stays), Offline until it returns. */
  setOnline(online: boolean): Promise<void> {
    return this.serial(async () => {
      const s = this.state.state;
      if (!online && s !== 'disconnected' && s !== 'offline') {
        this.p.log.warn('no default route: offline until the network returns');
        await this.stopLoop('offline');
        this.move({ state: 'offline', reconnect: true });
      } else if (online && s === 'offline' && this.choice) {
        this.p.log.info('network back: reconnecting');
        this.startLoop(this.choice);
        await this.firstStep;
      }
    });
  }

  /**
   * After a config reload. `reconnect`: the tunnel is rebuilt (with UCI's gateways when `resetGateways`);
   * otherwise the running tunnel takes the new DNS servers and the kill switch its new settings.
   */
  reload(opts: { reconnect: boolean; resetGateways: boolean }): Promise<void> {
    return this.serial(async () => {
      const s = this.state.state;
      if (opts.reconnect && this.choice && s !== 'disconnected') {
        if (opts.resetGateways) this.choice = { entry: {}, exit: {}, ...(this.choice.dns ? { dns: this.choice.dns } : {}) };
        await this.stopLoop('reconnect');
        if (this.state.state === 'offline') return;
        this.startLoop(this.choice);
        await this.firstStep;
        return;
      }
      await this.refreshInPlace();
    });
  }

  /**
   * At start: what a killed daemon left (routes, NAT, dnsmasq pointed at tunnel DNS) goes; the kill switch
   * it left is adopted when the owner still wants a connection (the intent survives in RAM, or autoconnect),
   * and lifted otherwise (unless always on). Returns the choice to reconnect with, if any.
   */
  start(autoconnect: boolean): Promise<ConnectChoice | undefined> {
    return this.serial(async () => {
      await this.p.dns.restore().catch((e: Error) => this.p.log.warn(`stale DNS not restored: ${e.message}`));
      const removed = await this.p.routing.removeStale().catch((e: Error) => {
        this.p.log.warn(`stale routes not removed: ${e.message}`);
        return 0;
      });
      if (removed > 0) this.p.log.info(`removed ${removed} routing pieces a previous nym-vpnd left`);
      const intent = await this.p.intent?.load().catch(() => undefined);
      const found = await this.readKillSwitch(true).catch(() => undefined);
      if (intent) {
        this.p.log.info('a previous nym-vpnd was connecting or connected: taking over its kill switch and reconnecting');
        return intent;
      }
      const c = this.p.config().main;
      if (c.alwaysOn && c.killSwitch && !autoconnect) {
        // Always on: blocking from the start, not only after a first connect (the disconnected step keeps it).
        this.p.log.info(found?.active ? 'kill switch found in the kernel: kept (always on)' : 'kill switch up (always on)');
        await this.liftKillSwitch();
      } else if (found?.active && !autoconnect) {
        this.p.log.info('kill switch found in the kernel with no connection wanted: lifting it');
        await this.liftKillSwitch();
      }
      return undefined;
    });
  }

  /** SIGTERM: leave the router as on disconnect (but keep the intent: procd restarts us on upgrades). */
  shutdown(): Promise<void> {
    return this.serial(async () => {
      const wanted = this.choice !== null;
      await this.stopLoop('nothing');
      if (this.state.state !== 'disconnected') this.move({ state: 'disconnected' });
      if (!wanted) await this.liftKillSwitch();
    });
  }

  /** Resolves when the current attempt settles (connected, error or disconnected), or after `timeoutMs`. */
  settled(timeoutMs: number): Promise<void> {
    const done = (s: TunnelState) => s.state === 'connected' || s.state === 'error' || s.state === 'disconnected';
    if (done(this.state)) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = new AbortController();
      const off = this.machine.onChange((s) => {
        if (!done(s)) return;
        off();
        timer.abort();
        resolve();
      });
      void this.p.clock.sleep(timeoutMs, timer.signal).then(() => {
        off();
        resolve();
      });
    });
  }

  // ---- what status shows --------------------------------------------------------------------------

  stats(): { rx_bytes: number; tx_bytes: number; rx_packets: number; tx_packets: number } {
    const t = this.installed?.tunnel?.stats();
    return { rx_bytes: t?.rxBytes ?? 0, tx_bytes: t?.txBytes ?? 0, rx_packets: t?.rxPackets ?? 0, tx_packets: t?.txPackets ?? 0 };
  }

  /** The metered hops' bandwidth, while a tunnel is up. */
  bandwidth(): BandwidthView | undefined {
    return this.installed?.monitor?.bandwidth?.();
  }

  /** Seconds since each hop's last handshake. */
  handshakeAge(): { entry?: number; exit?: number } | undefined {
    const t = this.installed?.tunnel;
    if (!t) return undefined;
    const h = t.handshakes();
    const now = this.p.clock.monotonic();
    const age = (ms: number) => (ms > 0 ? Math.max(0, Math.floor((now - ms) / 1000)) : undefined);
    return { entry: age(h.entry), exit: age(h.exit) };
  }

  /** The kill switch as the kernel holds it (read at most once a second, one read at a time). */
  readKillSwitch(fresh = false): Promise<KillSwitchReading> {
    const r = this.reading;
    if (!fresh && r && r.generation === this.firewallGeneration && this.p.clock.monotonic() - r.at < KILL_SWITCH_READ_TTL_MS) return Promise.resolve(r.value);
    const inFlight = this.readingInFlight;
    // A read that started before the last change may have seen the old rules: not shared, not kept.
    if (inFlight && inFlight.generation === this.firewallGeneration) return inFlight.promise;
    const generation = this.firewallGeneration;
    const promise = this.p.firewall.read().then(
      (value) => {
        if (generation === this.firewallGeneration) this.reading = { value, at: this.p.clock.monotonic(), generation };
        if (this.readingInFlight?.promise === promise) this.readingInFlight = undefined;
        return value;
      },
      (e: unknown) => {
        if (this.readingInFlight?.promise === promise) this.readingInFlight = undefined;
        throw e;
      },
    );
    this.readingInFlight = { promise, generation };
    return promise;
  }

  // ---- the loop -----------------------------------------------------------------------------------

  /** Set by startLoop: settles once the loop's first kill switch step is done (or failed closed). */
  private firstStep: Promise<void> = Promise.resolve();

  private startLoop(choice: ConnectChoice): void {
    const abort = new AbortController();
    this.abort = abort;
    let firstDone!: () => void;
    this.firstStep = new Promise((r) => (firstDone = r));
    const loop = this.run(choice, abort.signal, firstDone)
      .catch((e: Error) => this.p.log.error(`bug: the connection loop ended with ${e.stack ?? e.message}`))
      .finally(() => firstDone());
    this.loop = loop.finally(() => {
      if (this.loop === tracked) this.loop = null;
    });
    const tracked = this.loop;
  }

  /** Stops the running attempt and waits until it has undone everything; the state shows Disconnecting. */
  private async stopLoop(after: AfterDisconnect): Promise<void> {
    const loop = this.loop;
    if (!loop) return;
    this.abort?.abort();
    const s = this.state.state;
    if (s === 'connecting' || s === 'connected' || s === 'error') this.move({ state: 'disconnecting', after });
    await loop;
    this.abort = null;
  }

  private async run(choice: ConnectChoice, signal: AbortSignal, firstDone: () => void): Promise<void> {
    let attempt = 0;
    this.loopsAlive++;
    try {
      this.moveUnless(signal, { state: 'connecting', retryAttempt: 0 });
      const up = await this.applyKillSwitch('connecting');
      firstDone();
      if (!up) {
        this.moveUnless(signal, { state: 'error', reason: 'Firewall', message: this.killSwitchError ?? 'the kill switch could not be applied' });
        return;
      }
      while (!signal.aborted) {
        if (attempt > 0) this.moveUnless(signal, { state: 'connecting', retryAttempt: attempt });
        let reason: string;
        try {
          const i = await this.establish(choice, signal);
          if (!(await this.applyKillSwitch('connected', i.route))) throw new ConnectError('Firewall', this.killSwitchError ?? 'the kill switch could not be applied', false);
          if (signal.aborted) return;
          this.moveUnless(signal, {
            state: 'connected',
            connectedSince: this.p.clock.wall(),
            entry: i.route.entry.gateway,
            exit: i.route.exit.gateway,
            addresses: { ipv4: i.route.exit.hop.ipv4, ...(i.route.exit.hop.ipv6 && this.p.config().main.ipv6 ? { ipv6: i.route.exit.hop.ipv6 } : {}) },
          });
          attempt = 0;
          const ended = await this.watch(i, signal);
          if (signal.aborted) return;
          if (ended.fatal) {
            // Trying again cannot help (the bandwidth ran out and nothing pays for more): stop in that error.
            // The kill switch is in its error step before status says error.
            await this.teardown();
            await this.applyKillSwitch('error');
            this.moveUnless(signal, { state: 'error', reason: ended.fatal, message: ended.reason });
            return;
          }
          reason = ended.reason;
          this.reconnects++;
          this.moveUnless(signal, { state: 'disconnecting', after: 'reconnect' });
        } catch (e) {
          if (signal.aborted || e instanceof Aborted) return;
          const err = e instanceof ConnectError ? e : new ConnectError('Internal', (e as Error).message, true);
          this.p.log.warn(`connect attempt ${attempt} failed: ${err.reason}: ${err.message}`);
          await this.teardown();
          if (!err.retryable) {
            this.moveUnless(signal, { state: 'error', reason: err.reason, message: err.message });
            if (err.reason !== 'Firewall') await this.applyKillSwitch('error');
            return;
          }
          reason = err.message;
        }
        await this.teardown();
        this.lastReconnectReason = reason;
        attempt++;
        // A short pause: the attempt itself already waited for handshakes.
        await this.p.clock.sleep(Math.min(250 * attempt, 2000), signal);
      }
    } finally {
      await this.teardown();
      this.loopsAlive--;
    }
  }

  /** Builds the tunnel step by step; each piece is recorded as soon as it exists, so teardown finds it. */
  private async establish(choice: ConnectChoice, signal: AbortSignal): Promise<Installed<T>> {
    const c = this.p.config();
    const check = () => {
      if (signal.aborted) throw new Aborted();
    };
    const route = await abortable(
      this.p.route.resolve(choice, signal, async (own) => {
        check();
        if (!(await this.applyKillSwitch('connecting', undefined, own))) throw new ConnectError('Firewall', this.killSwitchError ?? 'the kill switch could not be applied', false);
      }),
      signal,
    );
    check();
    if (!(await this.applyKillSwitch('connecting', route))) throw new ConnectError('Firewall', this.killSwitchError ?? 'the kill switch could not be applied', false);
    check();
    const inst: Installed<T> = { route, tunnel: null, monitor: null, routing: null, dns: false };
    this.installed = inst;
    const [entryPrivateKey, exitPrivateKey] = await Promise.all([this.p.keys.privateKey('entry'), this.p.keys.privateKey('exit')]);
    check();
    try {
      inst.tunnel = await this.p.tunnels.open({ config: c, route, entryPrivateKey, exitPrivateKey });
    } catch (e) {
      throw new ConnectError('TunDevice', `cannot create ${c.main.interface}: ${(e as Error).message}`, false);
    }
    check();
    try {
      await inst.tunnel.waitConnected(c.monitor.handshakeTimeout * 1000, signal);
    } catch (e) {
      check();
      throw new ConnectError('TunnelProvider', (e as Error).message, true);
    }
    check();
    inst.monitor = this.p.monitors.create(inst.tunnel, route, c);
    const first = await abortable(inst.monitor.initialCheck(), signal);
    check();
    if (!first.ok) throw new ConnectError('TunnelProvider', first.reason, true);
    this.p.log.info(`tunnel up through ${route.entry.gateway.id} → ${route.exit.gateway.id} (probe ${first.rttMs} ms)`);
    try {
      inst.routing = await this.p.routing.install(inst.tunnel.interfaceName, c, c.main.ipv6 && route.exit.hop.ipv6 !== undefined);
    } catch (e) {
      throw new ConnectError('Routing', (e as Error).message, false);
    }
    check();
    try {
      inst.dns = true;
      await this.p.dns.apply(this.dnsServers(choice));
    } catch (e) {
      throw new ConnectError('SetDns', (e as Error).message, false);
    }
    check();
    return inst;
  }

  /** Until the monitor declares the tunnel dead (its reason), or the attempt is stopped. */
  private async watch(i: Installed<T>, signal: AbortSignal): Promise<{ reason: string; fatal?: ErrorReason }> {
    const stop = new AbortController();
    const stopBoth = () => stop.abort();
    signal.addEventListener('abort', stopBoth, { once: true });
    const dead = new Promise<{ reason: string; fatal?: ErrorReason }>((resolve) => {
      signal.addEventListener('abort', () => resolve({ reason: 'stopped' }), { once: true });
      if (!i.monitor) return;
      i.monitor.start(
        (reason, fatal) => {
          this.p.log.warn(`tunnel lost: ${reason}; ${fatal ? 'not reconnecting' : 'reconnecting'}`);
          resolve(fatal ? { reason, fatal } : { reason });
        },
        () => {
          if (!i.tunnel || this.installed !== i) return;
          this.p.log.warn(`full-size packets do not get through to the entry gateway (an MTU black hole): the exit hop goes in fragments of ${BLACK_HOLE_FRAGMENT} bytes`);
          i.tunnel.fragmentExitDatagrams(BLACK_HOLE_FRAGMENT);
          // What the gateways send us we cannot fragment: TCP is asked for segments that fit unfragmented.
          i.routing?.clampMss(BLACK_HOLE_INNER_MTU).catch((e: Error) => this.p.log.error(`MSS not clamped: ${e.message}`));
          this.mtuBlackHole = true;
        },
      );
    });
    const keeper = this.keepDns(stop.signal);
    try {
      return await dead;
    } finally {
      stop.abort();
      signal.removeEventListener('abort', stopBoth);
      i.monitor?.stop();
      await keeper;
    }
  }

  /**
   * While connected: netifd may rewrite dnsmasq's resolv file on a WAN renewal (ours is put back), and a
   * DNS server inside the tunnel may stop answering (dnsmasq is given the others until it is back; if
   * none answers, all stay: the tunnel itself is then the problem, and the monitor's to notice).
   */
  private async keepDns(signal: AbortSignal): Promise<void> {
    let nextProbe = this.p.clock.monotonic();
    while (!signal.aborted) {
      await this.p.clock.sleep(DNS_CHECK_INTERVAL_MS, signal);
      if (signal.aborted || !this.installed?.dns) return;
      try {
        const all = this.dnsServers(this.choice ?? undefined);
        if (this.p.clock.monotonic() >= nextProbe) {
          const c = this.p.config().monitor;
          nextProbe = this.p.clock.monotonic() + c.interval * 1000;
          const answers = await Promise.all(all.map((s) => this.p.dns.probe(s, c.timeout * 1000)));
          if (signal.aborted) return;
          const dead = all.filter((_, i) => !answers[i]);
          const unreachable = dead.length === all.length ? [] : dead;
          if (unreachable.join() !== this.dnsUnreachable.join()) {
            if (unreachable.length > 0) this.p.log.warn(`DNS ${unreachable.join(', ')} not answering through the tunnel: using ${all.filter((s) => !unreachable.includes(s)).join(', ')}`);
            else this.p.log.info(`DNS: all servers answer again (${all.join(', ')})`);
            this.dnsUnreachable = unreachable;
            await this.p.dns.apply(all.filter((s) => !unreachable.includes(s)));
            continue;
          }
        }
        if (!(await this.p.dns.isApplied())) {
          await this.p.dns.apply(all.filter((s) => !this.dnsUnreachable.includes(s)));
          this.p.log.info('DNS servers re-applied (the resolv file had been rewritten)');
        }
      } catch (e) {
        this.p.log.warn(`DNS check: ${(e as Error).message}`);
      }
    }
  }

  /** Undoes whatever is installed, in reverse order; never throws. */
  private async teardown(): Promise<void> {
    const i = this.installed;
    this.installed = null;
    this.dnsUnreachable = [];
    this.mtuBlackHole = false;
    if (!i) return;
    const log = this.p.log;
    i.monitor?.stop();
    if (i.dns) await this.p.dns.restore().catch((e: Error) => log.error(`DNS not restored: ${e.message}`));
    if (i.routing) await i.routing.remove().catch((e: Error) => log.error(`routes not removed: ${e.message}`));
    if (i.tunnel) await i.tunnel.close().catch((e: Error) => log.error(`tunnel not closed: ${e.message}`));
  }

  // ---- the kill switch ----------------------------------------------------------------------------

  /** Applies a step; false when the firewall failed (it has failed closed), the reason in killSwitchError. */
  private async applyKillSwitch(step: 'connecting' | 'connected' | 'error', route?: ResolvedRoute, own?: readonly OwnTraffic[]): Promise<boolean> {
    this.firewallGeneration++;
    try {
      await this.p.firewall.apply(step, route?.entry.endpoint, own);
      this.killSwitchError = undefined;
      return true;
    } catch (e) {
      this.killSwitchError = (e as Error).message;
      this.p.log.error(`kill switch (${step}): ${this.killSwitchError}`);
      return false;
    } finally {
      this.firewallGeneration++;
      this.reading = undefined;
    }
  }

  private async liftKillSwitch(): Promise<void> {
    this.firewallGeneration++;
    try {
      await this.p.firewall.lift();
      this.killSwitchError = undefined;
    } catch (e) {
      this.killSwitchError = (e as Error).message;
      this.p.log.error(`kill switch not lifted: ${this.killSwitchError}`);
    } finally {
      this.firewallGeneration++;
      this.reading = undefined;
    }
  }

  /** Config changes that do not need a new tunnel: DNS into the running tunnel, the kill switch's settings. */
  private async refreshInPlace(): Promise<void> {
    const s = this.state.state;
    const i = this.installed;
    if (s === 'connected' && i) {
      if (i.dns) await this.p.dns.apply(this.dnsServers(this.choice ?? undefined)).catch((e: Error) => this.p.log.error(`DNS not applied: ${e.message}`));
      await this.applyKillSwitch('connected', i.route);
    } else if (s === 'disconnected') {
      // The owner's settings decide: always-on puts it up, otherwise nothing is held.
      await this.liftKillSwitch();
    } else if (s === 'error') {
      await this.applyKillSwitch('error');
    } else {
      await this.applyKillSwitch('connecting', i?.route);
    }
  }

  private dnsServers(choice?: ConnectChoice): string[] {
    const c = this.p.config();
    const servers = choice?.dns && choice.dns.length > 0 ? choice.dns : [...c.main.dns];
    return c.main.ipv6 ? servers : servers.filter((s) => !s.includes(':'));
  }

  // ---- state --------------------------------------------------------------------------------------

  private serial<R>(fn: () => Promise<R>): Promise<R> {
    const run = this.commands.then(fn, fn);
    this.commands = run.catch(() => {});
    return run;
  }

  /** A move the loop makes, unless a command has stopped the attempt (the command then owns the state). */
  private moveUnless(signal: AbortSignal, s: TunnelState): void {
    if (!signal.aborted) this.move(s);
  }

  private move(s: TunnelState): void {
    const from = this.machine.state.state;
    if (from === s.state && (s.state === 'disconnected' || s.state === 'disconnecting' || s.state === 'offline')) return;
    if (!this.machine.canMoveTo(s.state)) this.p.log.error(`bug: ${from} → ${s.state} is not a tunnel transition; taking it anyway so status tells the truth`);
    this.machine.moveTo(s, this.p.clock.wall(), { force: true });
  }
}

/** The promise, or a rejection with Aborted as soon as the signal aborts (the work itself may go on). */
function abortable<R>(p: Promise<R>, signal: AbortSignal): Promise<R> {
  if (signal.aborted) return Promise.reject(new Aborted());
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(new Aborted());
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}
