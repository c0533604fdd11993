// The real implementations of the connection's ports (connection-ports.ts): the two-hop tunnel on a
// TUN, policy routing and NAT through iproute2/nft, dnsmasq's resolv file, the ICMP connection monitor,
// the WireGuard keys in the state dir, and the connection intent in the run dir. main.ts wires them.

import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { NymVpnConfig } from '../config/nym-vpn-config.js';
import { applyDns, dnsIsApplied, dnsPaths, restoreDns } from '../dns/resolv.js';
import { dnsServerAnswers } from '../dns/dns-probe.js';
import { readIfExists, removeIfExists, writeFileAtomic } from '../fs/atomic-file.js';
import { ConnectionMonitor, type MonitorTimings } from '../monitor/connection-monitor.js';
import { echoReply, echoRequest } from '../monitor/icmp.js';
import { resolveSources } from '../routing/devices.js';
import { applyNat, removeNat } from '../routing/nat.js';
import { applyPolicy, NYM_FWMARK, removePolicy, removeStalePolicy } from '../routing/policy.js';
import { TwoHopTunnel } from '../tunnel/two-hop.js';
import { GATEWAY_PRIVATE_IPV4 } from '../bandwidth/metadata-client.js';
import type {
  Clock, ConnectChoice, DnsPort, HopRole, KeyStore, MonitorFactory, RoutingPort, TunnelFactory, TunnelHandle,
} from './connection-ports.js';
import type { IntentStore } from './connection.js';
import { loadOrCreateKey } from './keys.js';
import type { Logger } from './log.js';
import type { DaemonPaths } from './paths.js';

export const systemClock: Clock = {
  wall: () => Date.now(),
  monotonic: () => performance.now(),
  sleep: (ms, signal) =>
    new Promise((resolve) => {
      if (signal.aborted) return resolve();
      const t = setTimeout(done, ms);
      function done() {
        clearTimeout(t);
        signal.removeEventListener('abort', done);
        resolve();
      }
      signal.addEventListener('abort', done, { once: true });
    }),
};

/** A running TwoHopTunnel as the coordinator sees it. */
export class RunningTunnel implements TunnelHandle {
  constructor(
    readonly inner: TwoHopTunnel,
    private readonly since: number,
  ) {}

  get interfaceName(): string {
    return this.inner.interfaceName;
  }

  waitConnected(timeoutMs: number, signal: AbortSignal): Promise<void> {
    return this.inner.waitConnected(this.since, timeoutMs, signal);
  }

  handshakes(): { entry: number; exit: number } {
    // The devices' clock is the monotonic one the connection uses (performance.now()).
    return { entry: this.inner.entryPeer.stats.lastHandshakeAt, exit: this.inner.exitPeer.stats.lastHandshakeAt };
  }

  stats(): { rxBytes: number; txBytes: number; rxPackets: number; txPackets: number } {
    return this.inner.stats();
  }

  fragmentExitDatagrams(bytes: number): void {
    this.inner.fragmentExitDatagrams(bytes);
  }

  readonly insideEntry = {
    send: (packets: Uint8Array[]) => this.inner.sendInsideEntry(packets),
    listen: (listener: (p: Uint8Array) => void) => this.inner.listenInsideEntry(listener),
  };

  async close(): Promise<void> {
    await this.inner.close();
    // The closed tunnel's buffers (TUN and UDP slabs, the devices' output buffers: ~1.3 MB) are garbage now;
    // V8 would keep them until some later collection, so a daemon that reconnects grew with each tunnel. The
    // init script starts node with --expose-gc for this; without it nothing happens.
    (globalThis as { gc?: () => void }).gc?.();
  }
}

export const twoHopTunnels: TunnelFactory<RunningTunnel> = {
  async open({ config: c, route, entryPrivateKey, exitPrivateKey }) {
    const inner = await TwoHopTunnel.open({
      interfaceName: c.main.interface,
      mtu: c.main.mtu,
      entryMtu: c.main.entryMtu,
      entryPrivateKey,
      exitPrivateKey,
      entry: route.entry.hop,
      exit: route.exit.hop,
      fwmark: NYM_FWMARK,
      ipv6: c.main.ipv6,
      // A gateway registered over Nym sells bandwidth at its metadata service, inside its own hop.
      ...(route.entry.metered ? { entryGatewayAddresses: [GATEWAY_PRIVATE_IPV4] } : {}),
    });
    return new RunningTunnel(inner, inner.now());
  },
};

/** Keys are read (or made) once per daemon life: every connect after the first uses them from memory. */
export function stateDirKeys(stateDir: string): KeyStore {
  const cache = new Map<HopRole, Promise<Uint8Array>>();
  return {
    privateKey(role) {
      let p = cache.get(role);
      if (!p) {
        p = loadOrCreateKey(stateDir, role);
        cache.set(role, p);
        p.catch(() => cache.delete(role));
      }
      return p;
    },
  };
}

export function systemRouting(lookupNetwork: (name: string) => Promise<string | undefined>, log: Logger): RoutingPort {
  return {
    async install(interfaceName: string, c: NymVpnConfig, ipv6: boolean) {
      const sources = await resolveSources(c.policy.sources, lookupNetwork);
      if (sources.unresolved.length > 0) log.warn(`policy sources not found: ${sources.unresolved.join(', ')}`);
      const policy = await applyPolicy({
        interfaceName,
        sourceDevices: sources.devices,
        sourceCidrs: sources.cidrs,
        routerTraffic: true,
        ipv6: ipv6 ? 'tunnel' : 'block',
      });
      try {
        await applyNat(interfaceName, c.main.mtu);
      } catch (e) {
        await removePolicy(policy);
        throw e;
      }
      return {
        clampMss: (mtu) => applyNat(interfaceName, mtu),
        async remove() {
          await removeNat().catch((e: Error) => log.error(`NAT not removed: ${e.message}`));
          await removePolicy(policy);
        },
      };
    },
    async removeStale() {
      const rules = await removeStalePolicy();
      await removeNat().catch(() => {});
      return rules;
    },
  };
}

export function dnsmasqDns(paths: DaemonPaths): DnsPort {
  const p = dnsPaths(paths.resolvConfDir, paths.runDir);
  return {
    apply: (servers) => applyDns(p, servers),
    isApplied: () => dnsIsApplied(p),
    restore: () => restoreDns(p),
    probe: (server, timeoutMs) => dnsServerAnswers(server, timeoutMs),
  };
}

const ICMP_ID = 0x4e59; // 'NY': our echoes, told apart from the LAN's own pings

export const icmpMonitors: MonitorFactory<RunningTunnel> = {
  create(tunnel, _route, c) {
    const t = tunnel.inner;
    const hop = t.config.exit;
    const target = c.monitor.targets.find((x) => !x.includes(':')) ?? c.monitor.targets[0]!;
    const source = target.includes(':') ? hop.ipv6 ?? hop.ipv4 : hop.ipv4;
    const timings: MonitorTimings = {
      initialTimeout: Math.min(3000, c.monitor.timeout * 1000),
      initialTries: 3,
      interval: c.monitor.interval * 1000,
      timeout: c.monitor.timeout * 1000,
      tries: c.monitor.tries,
      maxHandshakeAge: 190_000,
      // A full-size packet of the tunnel (the TUN's MTU) now and then: small ones alone miss a black hole.
      fullSize: c.main.mtu,
    };
    const mon = new ConnectionMonitor(
      {
        sendEcho: (seq, size) => t.inject([echoRequest(source, target, { id: ICMP_ID, seq }, size === undefined ? undefined : new Uint8Array(Math.max(16, size - (target.includes(':') ? 48 : 28))))]),
        handshakes: () => ({ entry: t.entryPeer.stats.lastHandshakeAt, exit: t.exitPeer.stats.lastHandshakeAt }),
      },
      target,
      timings,
    );
    t.tapDelivered((p) => {
      const r = echoReply(p);
      if (r === null || r.id !== ICMP_ID) return true;
      mon.onEchoReply(r.seq);
      return false;
    });
    return {
      initialCheck: () => mon.initialCheck(),
      start(onDead, onBlackHole) {
        mon.onDead = onDead;
        if (onBlackHole) mon.onBlackHole = onBlackHole;
        mon.start();
      },
      stop: () => mon.stop(),
    };
  },
};

const INTENT_FILE = 'connect-intent.json';

/** The wanted connection in the run dir (tmpfs: gone at boot, kept across a daemon crash or restart). */
export function runDirIntent(runDir: string, log: Logger): IntentStore {
  const file = join(runDir, INTENT_FILE);
  return {
    async load() {
      const text = await readIfExists(file);
      if (text === undefined) return undefined;
      try {
        return parseIntent(JSON.parse(text));
      } catch (e) {
        log.warn(`${file} ignored: ${(e as Error).message}`);
        return undefined;
      }
    },
    save: (choice) => writeFileAtomic(file, JSON.stringify(choice) + '\n', { mode: 0o600, dirMode: 0o700 }),
    clear: async () => {
      await removeIfExists(file);
    },
  };
}

/** Only the fields a ConnectChoice has, with their types; anything else makes the file unusable. */
export function parseIntent(v: unknown): ConnectChoice {
  const obj = (x: unknown, what: string): Record<string, unknown> => {
    if (typeof x !== 'object' || x === null || Array.isArray(x)) throw new Error(`${what} is not an object`);
    return x as Record<string, unknown>;
  };
  const str = (o: Record<string, unknown>, k: string) => {
    const x = o[k];
    if (x === undefined) return undefined;
    if (typeof x !== 'string' || x.length > 128) throw new Error(`${k} is not a short string`);
    return x;
  };
  const bool = (o: Record<string, unknown>, k: string) => {
    const x = o[k];
    if (x === undefined) return undefined;
    if (typeof x !== 'boolean') throw new Error(`${k} is not a boolean`);
    return x;
  };
  const root = obj(v, 'intent');
  const e = obj(root.entry ?? {}, 'entry');
  const x = obj(root.exit ?? {}, 'exit');
  const dns = root.dns;
  if (dns !== undefined && (!Array.isArray(dns) || dns.length > 16 || !dns.every((d) => typeof d === 'string' && d.length <= 64))) throw new Error('dns is not a short list of strings');
  const drop = <T extends Record<string, unknown>>(o: T): T => Object.fromEntries(Object.entries(o).filter(([, val]) => val !== undefined)) as T;
  return {
    entry: drop({ id: str(e, 'id'), country: str(e, 'country'), random: bool(e, 'random'), lowLatency: bool(e, 'lowLatency') }),
    exit: drop({ id: str(x, 'id'), country: str(x, 'country'), random: bool(x, 'random') }),
    ...(dns ? { dns: dns as string[] } : {}),
  };
}
