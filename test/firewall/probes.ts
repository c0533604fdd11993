// Test-side plumbing for the firewall tests: probe children in the topology's namespaces, the package's
// files installed under a scratch root, and the states that fit the topology.
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Netns } from '../../tools/lab/netns.js';
import { JsonLinesChild } from '../../tools/lab/process.js';
import { renderFw4Include } from '../../src/firewall/fw4-include.js';
import { renderIptBootGuard } from '../../src/firewall/ipt-boot-guard.js';
import { renderBootGuard } from '../../src/firewall/nft-boot-guard.js';
import { firewallPaths, type FirewallPaths } from '../../src/firewall/paths.js';
import { DEFAULT_BOOT_GUARD, type FirewallState } from '../../src/firewall/types.js';
import { ADDR, type Topology } from './topology.js';
import { repoRoot } from './states.js';

export function fixture(name: string): string {
  return fileURLToPath(new URL(`./fixtures/${name}.js`, import.meta.url));
}

export async function startProbe(ns: Netns): Promise<JsonLinesChild> {
  const child = new JsonLinesChild(ns.spawn(process.execPath, [fixture('probe')]));
  await child.next((m) => m.ready === true);
  return child;
}

export interface Probes {
  lan: JsonLinesChild;
  router: JsonLinesChild;
  isp: JsonLinesChild;
  tunnel: JsonLinesChild;
  routerNs: Netns;
}

/** Echo servers wherever the tests send something; clients everywhere. */
export async function startProbes(topo: Topology): Promise<Probes> {
  const [lan, router, isp, tunnel] = await Promise.all([startProbe(topo.lan), startProbe(topo.router), startProbe(topo.isp), startProbe(topo.tunnel)]);
  const listen = (p: JsonLinesChild, op: string, address: string, port: number, extra: object = {}): Promise<unknown> => p.request({ op, address, port, ...extra });
  await listen(isp, 'listen-tcp', ADDR.web, 80);
  await listen(isp, 'listen-tcp', ADDR.web6, 80);
  await listen(isp, 'listen-udp', ADDR.web, 51820);
  await listen(isp, 'listen-udp', ADDR.entry, 51820);
  await listen(isp, 'listen-udp', ADDR.entry6, 51820);
  await listen(isp, 'listen-udp', ADDR.resolver, 53);
  await listen(isp, 'listen-tcp', ADDR.resolver, 53);
  await listen(isp, 'listen-tcp', ADDR.resolver, 853);
  await listen(isp, 'listen-tcp', ADDR.dnsServer, 443);
  await listen(isp, 'listen-udp', ADDR.isp, 67);
  await listen(isp, 'listen-udp', '::', 547, { group: 'ff02::1:2', iface: 'down0' });
  await listen(tunnel, 'listen-tcp', ADDR.tunnelWeb, 80);
  await listen(tunnel, 'listen-tcp', ADDR.tunnelWeb6, 80);
  await listen(tunnel, 'listen-udp', ADDR.tunnelResolver, 53);
  await listen(lan, 'listen-tcp', ADDR.lan, 8080);
  await listen(router, 'listen-udp', '127.0.0.1', 9999);
  await listen(router, 'listen-tcp', ADDR.routerLan, 8080);
  return { lan, router, isp, tunnel, routerNs: topo.router };
}

/** One exchange; true when the echo came back. */
export async function reach(p: JsonLinesChild, op: 'tcp' | 'udp', to: string, port: number, extra: object = {}): Promise<boolean> {
  const r = await p.request<{ ok: boolean; why?: string }>({ op, to, port, ...extra }, 15_000);
  return r.ok;
}

/** Every path the kill switch decides about, with what it must say: true = passes. */
export function paths(p: Probes): Record<string, () => Promise<boolean>> {
  return {
    'LAN → web via WAN': () => reach(p.lan, 'tcp', ADDR.web, 80),
    'LAN → web6 via WAN': () => reach(p.lan, 'tcp', ADDR.web6, 80),
    'LAN → resolver via WAN (DNS)': () => reach(p.lan, 'udp', ADDR.resolver, 53),
    'LAN → web via nym0': () => reach(p.lan, 'tcp', ADDR.tunnelWeb, 80),
    'LAN → web6 via nym0': () => reach(p.lan, 'tcp', ADDR.tunnelWeb6, 80),
    'LAN → router (LuCI, answers go out)': () => reach(p.lan, 'tcp', ADDR.routerLan, 8080),
    'router → web via WAN': () => reach(p.router, 'tcp', ADDR.web, 80),
    'router → web via nym0': () => reach(p.router, 'tcp', ADDR.tunnelWeb, 80),
    'router → entry, marked': () => reach(p.router, 'udp', ADDR.entry, 51820, { mark: 0x14d }),
    'router → entry, unmarked': () => reach(p.router, 'udp', ADDR.entry, 51820),
    // Neighbour discovery first (the cache flushed): NS/NA must get through, then the marked datagram.
    'router → entry6, marked, after a neighbour flush': async () => {
      await p.routerNs.ip(['-6', 'neigh', 'flush', 'dev', 'wan0']);
      return reach(p.router, 'udp', ADDR.entry6, 51820, { mark: 0x14d });
    },
    'router → elsewhere, marked': () => reach(p.router, 'udp', ADDR.web, 51820, { mark: 0x14d }),
    'router → resolver via WAN (udp 53)': () => reach(p.router, 'udp', ADDR.resolver, 53),
    'router → resolver via WAN (tcp 53)': () => reach(p.router, 'tcp', ADDR.resolver, 53),
    'router → resolver via WAN (tcp 853)': () => reach(p.router, 'tcp', ADDR.resolver, 853),
    'router → DNS server 1.1.1.1:443 via WAN': () => reach(p.router, 'tcp', ADDR.dnsServer, 443),
    'router → resolver via nym0 (udp 53)': () => reach(p.router, 'udp', ADDR.tunnelResolver, 53),
    'router DHCPv4 client 68 → 67': () => reach(p.router, 'udp', ADDR.isp, 67, { bindPort: 68 }),
    'router DHCPv6 client 546 → ff02::1:2': () => reach(p.router, 'udp', 'ff02::1:2%wan0', 547, { bindPort: 546 }),
    'router → loopback': () => reach(p.router, 'udp', '127.0.0.1', 9999),
    'router → LAN host': () => reach(p.router, 'tcp', ADDR.lan, 8080),
  };
}

export type Expectation = Record<string, boolean>;

/** Runs every path and returns what differs from the expectation (empty: all as expected). */
export async function mismatches(p: Probes, expected: Expectation): Promise<string[]> {
  const all = paths(p);
  const out: string[] = [];
  for (const [name, want] of Object.entries(expected)) {
    const run = all[name];
    if (run === undefined) throw new Error(`no such path: ${name}`);
    const got = await run();
    if (got !== want) out.push(`${name}: ${got ? 'passed' : 'blocked'}, expected ${want ? 'to pass' : 'blocked'}`);
  }
  return out;
}

/** Everything passes: no firewall of ours. */
export const OPEN: Expectation = Object.fromEntries(Object.keys(paths({} as Probes)).map((k) => [k, true]));

/** The kill switch on, connected, IPv6 through the tunnel. */
export const KILL_SWITCH: Expectation = {
  ...OPEN,
  'LAN → web via WAN': false,
  'LAN → web6 via WAN': false,
  'LAN → resolver via WAN (DNS)': false,
  'router → web via WAN': false,
  'router → entry, unmarked': false,
  'router → elsewhere, marked': false,
  'router → resolver via WAN (udp 53)': false,
  'router → resolver via WAN (tcp 53)': false,
  'router → resolver via WAN (tcp 853)': false,
  'router → DNS server 1.1.1.1:443 via WAN': false,
};

/** The boot guard alone: forwarding only via nym0, the router only answers, marked sockets go anywhere. */
export const BOOT_GUARD: Expectation = {
  ...KILL_SWITCH,
  'router → elsewhere, marked': true,
  'router → LAN host': false,
};

/** The state that fits the topology. */
export const TOPO_STATE: FirewallState = {
  killSwitch: true,
  alwaysOn: false,
  state: 'connected',
  tunnelInterface: 'nym0',
  lan: { interfaces: ['br-lan'] },
  wan: 'any',
  endpoints: [{ address: ADDR.entry, port: 51820 }, { address: ADDR.entry6, port: 51820 }],
  dns: [ADDR.dnsServer],
  ipv6: 'tunnel',
};

export interface ScratchRoot {
  root: string;
  paths: FirewallPaths;
  cleanup(): Promise<void>;
}

/**
 * A scratch root with the package's firewall files installed as opkg would (rendered for this root):
 * the fw4 include, the fw3 include script, the boot guard (unless bootGuard is false: the owner's kill
 * switch off), and /sbin/fw4 or /sbin/fw3 so that detection finds that backend.
 */
export async function scratchRoot(opts: { backend?: 'fw4' | 'fw3'; bootGuard?: boolean } = {}): Promise<ScratchRoot> {
  const root = await mkdtemp(join(tmpdir(), 'nym-fw-'));
  const p = firewallPaths(root);
  const put = async (path: string, text: string, mode = 0o644): Promise<void> => {
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, text);
    await chmod(path, mode);
  };
  await put(p.fw4Include, renderFw4Include(p));
  await put(p.fw3Include, await readFile(join(repoRoot, 'files/usr/lib/nym-vpn/fw3-include.sh'), 'utf8'), 0o755);
  if (opts.bootGuard ?? true) {
    await put(p.bootGuardNft, renderBootGuard(DEFAULT_BOOT_GUARD));
    await put(p.bootGuardV4, renderIptBootGuard(DEFAULT_BOOT_GUARD, 4));
    await put(p.bootGuardV6, renderIptBootGuard(DEFAULT_BOOT_GUARD, 6));
  }
  if (opts.backend) await put(opts.backend === 'fw4' ? p.fw4 : p.fw3, '#!/bin/sh\nexit 0\n', 0o755);
  return { root, paths: p, cleanup: () => rm(root, { recursive: true, force: true }) };
}

/** A reboot as far as our files go: /var/run is RAM, so nym-vpnd's runtime files are gone. */
export async function rebootFiles(s: ScratchRoot): Promise<void> {
  await rm(join(s.root, 'var/run'), { recursive: true, force: true });
}
