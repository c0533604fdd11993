// In-memory implementations of the connection's ports: each step is recorded in one journal, any step
// can be made to fail or to hang until released, and the world checks its own invariants (never two
// tunnels, routes only over an open tunnel, DNS only over routes, nothing installed without a kill switch).
// The real ports are exercised by the lab's end-to-end and leak tests; these let the order be checked
// without root in milliseconds.

import { defaultNymVpnConfig, type NymVpnConfig } from '../../src/config/nym-vpn-config.js';
import { Connection } from '../../src/daemon/connection.js';
import type {
  Clock, ConnectChoice, KillSwitchStep, MonitorHandle, ResolvedRoute, TunnelHandle,
} from '../../src/daemon/connection-ports.js';
import { ConnectError } from '../../src/daemon/connect-error.js';
import { Logger } from '../../src/daemon/log.js';
import { TunnelStateMachine, type ErrorReason } from '../../src/daemon/tunnel-state.js';
import { endpointOf, type Endpoint } from '../../src/net/endpoint.js';

export type Step =
  | 'fw.apply' | 'fw.lift' | 'route.resolve' | 'keys' | 'tunnel.open' | 'tunnel.wait' | 'monitor.create'
  | 'monitor.check' | 'routing.install' | 'dns.apply' | 'tunnel.close' | 'routing.remove' | 'dns.restore'
  | 'monitor.start' | 'monitor.stop' | 'routing.stale' | 'intent.save' | 'intent.clear';

export interface Gate {
  /** The step waits until released (resolves) or failed (rejects). */
  promise: Promise<void>;
  release(): void;
  fail(e: Error): void;
  reached: Promise<void>;
}

function gate(): Gate & { markReached(): void } {
  let release!: () => void;
  let fail!: (e: Error) => void;
  let markReached!: () => void;
  const promise = new Promise<void>((res, rej) => ((release = res), (fail = rej)));
  const reached = new Promise<void>((r) => (markReached = r));
  return { promise, release, fail, reached, markReached };
}

const entryEndpoint = endpointOf('203.0.113.10', 51820);

export function route(n = 1): ResolvedRoute {
  return {
    entry: { gateway: { id: `entry-${n}` }, endpoint: entryEndpoint, hop: { publicKey: 'E', endpoint: '203.0.113.10:51820', ipv4: '10.1.0.2' } },
    exit: { gateway: { id: `exit-${n}` }, endpoint: endpointOf('203.0.113.20', 51820), hop: { publicKey: 'X', endpoint: '203.0.113.20:51820', ipv4: '10.2.0.2' } },
  };
}

export class FakeTunnel implements TunnelHandle {
  readonly interfaceName = 'nym0';
  closed = false;
  constructor(
    private readonly world: World,
    readonly id: number,
  ) {}

  waitConnected(_timeoutMs: number, signal: AbortSignal): Promise<void> {
    return this.world.step('tunnel.wait', signal);
  }

  handshakes(): { entry: number; exit: number } {
    return { entry: this.world.clock.monotonic(), exit: this.world.clock.monotonic() };
  }

  stats() {
    return { rxBytes: 1, txBytes: 2, rxPackets: 3, txPackets: 4 };
  }

  fragmented: number | undefined;
  fragmentExitDatagrams(bytes: number): void {
    this.world.record(`tunnel.fragment ${bytes}`);
    this.fragmented = bytes;
  }

  async close(): Promise<void> {
    this.world.record('tunnel.close');
    if (this.closed) this.world.violation(`tunnel ${this.id} closed twice`);
    this.closed = true;
    this.world.openTunnels.delete(this);
  }
}

export class World {
  readonly journal: string[] = [];
  readonly violations: string[] = [];
  readonly openTunnels = new Set<FakeTunnel>();
  /** Step → error thrown the next times it runs (a retryable or not ConnectError, or any Error). */
  readonly failures = new Map<Step, Error>();
  readonly gates = new Map<Step, Gate & { markReached(): void }>();
  firewall: { step: KillSwitchStep | 'lifted'; entry?: Endpoint; ownCount: number } = { step: 'lifted', ownCount: 0 };
  routes = false;
  dns = false;
  /** Servers whose probe goes unanswered; what dnsmasq was last given. */
  readonly deadDns = new Set<string>();
  dnsServers: readonly string[] = [];
  readonly dnsListeners: Array<(servers: readonly string[]) => void> = [];

  /** The servers of the next DNS apply. */
  nextDnsApply(): Promise<readonly string[]> {
    return new Promise((r) => this.dnsListeners.push(r));
  }
  monitorRunning = 0;
  onDead: ((reason: string, fatal?: ErrorReason) => void) | undefined;
  onBlackHole: (() => void) | undefined;
  tunnels = 0;
  intent: ConnectChoice | undefined;
  config: NymVpnConfig = defaultNymVpnConfig();
  private mono = 0;
  logs: string[] = [];
  /** Connections made, so that a test's teardown can stop their loops (virtual sleeps never idle). */
  readonly connections = new Set<Connection<FakeTunnel>>();

  async stop(): Promise<void> {
    for (const c of this.connections) await c.disconnect();
  }

  readonly clock: Clock = {
    wall: () => 1_700_000_000_000 + this.mono,
    monotonic: () => this.mono,
    // Virtual time: a sleep passes its time at once, after letting others run.
    sleep: (ms, signal) => new Promise((resolve) => {
      if (signal.aborted) return resolve();
      setImmediate(() => {
        this.mono += ms;
        resolve();
      });
    }),
  };

  record(step: Step | string): void {
    this.journal.push(step);
  }

  violation(v: string): void {
    this.violations.push(v);
  }

  /** Makes `step` wait (the next time it runs) until the returned gate is released or failed. */
  hold(step: Step): Gate {
    const g = gate();
    this.gates.set(step, g);
    return g;
  }

  async step(name: Step, signal?: AbortSignal): Promise<void> {
    this.record(name);
    const g = this.gates.get(name);
    if (g) {
      this.gates.delete(name);
      g.markReached();
      if (signal) signal.addEventListener('abort', () => g.fail(new Error('aborted')), { once: true });
      await g.promise;
    }
    const f = this.failures.get(name);
    if (f) throw f;
  }

  connection(): { conn: Connection<FakeTunnel>; machine: TunnelStateMachine } {
    const machine = new TunnelStateMachine(this.clock.wall());
    const w = this;
    const conn = new Connection<FakeTunnel>({
      log: new Logger('debug', (l) => this.logs.push(l)),
      config: () => this.config,
      clock: this.clock,
      firewall: {
        async apply(step, entry, own = []) {
          await w.step('fw.apply');
          w.firewall = { step, ...(entry ? { entry } : {}), ownCount: own.length };
          w.record(`fw=${step}${entry ? '+entry' : ''}${own.length ? '+own' : ''}`);
        },
        async lift() {
          await w.step('fw.lift');
          if (w.openTunnels.size > 0 || w.routes || w.dns) w.violation('kill switch lifted with something installed');
          w.firewall = { step: w.config.main.alwaysOn && w.config.main.killSwitch ? 'error' : 'lifted', ownCount: 0 };
        },
        async read() {
          return { active: w.firewall.step !== 'lifted', bootGuard: false };
        },
      },
      route: {
        async resolve(_choice, signal, allow) {
          await w.step('route.resolve', signal);
          await allow([{ address: '192.0.2.1', port: 443, protocol: 'tcp' }]);
          return route(w.tunnels + 1);
        },
      },
      keys: {
        async privateKey() {
          await w.step('keys');
          return new Uint8Array(32);
        },
      },
      tunnels: {
        async open() {
          await w.step('tunnel.open');
          if (w.firewall.step === 'lifted') w.violation('tunnel opened without a kill switch');
          if (!w.firewall.entry) w.violation('tunnel opened before the entry endpoint was allowed');
          const t = new FakeTunnel(w, ++w.tunnels);
          w.openTunnels.add(t);
          if (w.openTunnels.size > 1) w.violation(`${w.openTunnels.size} tunnels open at once`);
          return t;
        },
      },
      routing: {
        async install(iface) {
          await w.step('routing.install');
          if (![...w.openTunnels].some((t) => t.interfaceName === iface)) w.violation('routes installed without a tunnel');
          w.routes = true;
          return {
            async clampMss(mtu: number) {
              w.record(`routing.clamp ${mtu}`);
            },
            async remove() {
              w.record('routing.remove');
              if (w.dns) w.violation('routes removed before DNS was restored');
              w.routes = false;
            },
          };
        },
        async removeStale() {
          w.record('routing.stale');
          return 0;
        },
      },
      dns: {
        async apply(servers) {
          await w.step('dns.apply');
          w.dnsServers = servers;
          for (const l of w.dnsListeners.splice(0)) l(servers);
          if (!w.routes) w.violation('DNS moved into the tunnel before the routes');
          w.dns = true;
        },
        async isApplied() {
          return w.dns;
        },
        async restore() {
          w.record('dns.restore');
          w.dns = false;
        },
        async probe(server) {
          return !w.deadDns.has(server);
        },
      },
      monitors: {
        create(): MonitorHandle {
          w.record('monitor.create');
          let running = false;
          return {
            initialCheck: async () => {
              await w.step('monitor.check');
              return { ok: true, rttMs: 5 };
            },
            start(onDead, onBlackHole) {
              w.record('monitor.start');
              running = true;
              w.monitorRunning++;
              w.onDead = (r, fatal) => {
                if (running) onDead(r, fatal);
              };
              w.onBlackHole = () => {
                if (running) onBlackHole?.();
              };
            },
            stop() {
              if (running) {
                w.record('monitor.stop');
                running = false;
                w.monitorRunning--;
              }
            },
          };
        },
      },
      intent: {
        load: async () => this.intent,
        save: async (c) => {
          this.record('intent.save');
          this.intent = c;
        },
        clear: async () => {
          this.record('intent.clear');
          this.intent = undefined;
        },
      },
    }, machine);
    this.connections.add(conn);
    return { conn, machine };
  }

  /** Resolves when the machine reaches `state` (an event, not a poll; ava's timeout guards it). */
  until(machine: TunnelStateMachine, state: string): Promise<void> {
    if (machine.state.state === state) return Promise.resolve();
    return new Promise((resolve) => {
      const off = machine.onChange((s) => {
        if (s.state !== state) return;
        off();
        resolve();
      });
    });
  }

  /** Nothing installed: no tunnel, routes, DNS or monitor. */
  clean(): boolean {
    return this.openTunnels.size === 0 && !this.routes && !this.dns && this.monitorRunning === 0;
  }
}

export const retryable = (msg: string) => new ConnectError('TunnelProvider', msg, true);
export const fatal = (msg: string) => new ConnectError('Routing', msg, false);
