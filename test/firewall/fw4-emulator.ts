// fw4 for machines without it: a `table inet fw4` with fw4's real chain names, hooks and priorities
// (openwrt/firewall4 templates/ruleset.uc) and zones like OpenWrt's defaults (lan accepts, wan rejects
// input and forward, lan→wan forwarding; plus a vpn zone on nym0), with the automatic includes found and
// placed exactly as fw4.uc does (glob per position, only accessible files, so a broken symlink is skipped).
// start/reload/restart/stop/flush do what /sbin/fw4 does with that text: one `nft -f` for start and
// reload (the template begins with `flush table inet fw4`) under fw4's lock, delete of table fw4 for stop,
// every table for flush.
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Netns } from '../../tools/lab/netns.js';

const POSITIONS = ['ruleset-pre', 'ruleset-post', 'table-pre', 'table-post', 'chain-pre', 'chain-post'] as const;
type Position = (typeof POSITIONS)[number];

/** The auto includes per position (and chain), as fw4.uc's load() discovers them. */
export function discoverIncludes(root: string): Map<string, string[]> {
  const found = new Map<string, string[]>();
  const base = join(root, 'usr/share/nftables.d');
  const nftFiles = (dir: string): string[] => {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      return [];
    }
    // fs.access() follows symlinks: a dangling one is not accessible and not included.
    return names.filter((n) => n.endsWith('.nft')).sort().map((n) => join(dir, n)).filter((p) => existsSync(p));
  };
  for (const position of POSITIONS) {
    if (position === 'chain-pre' || position === 'chain-post') {
      let chains: string[] = [];
      try {
        chains = readdirSync(join(base, position));
      } catch {
        // no such folder
      }
      for (const chain of chains) found.set(`${position}/${chain}`, nftFiles(join(base, position, chain)));
    } else {
      found.set(position, nftFiles(join(base, position)));
    }
  }
  return found;
}

/** What `fw4 print` would print for our lab router. */
export function renderFw4(root: string): string {
  const inc = discoverIncludes(root);
  const at = (position: Position, chain?: string, indent = '\t'): string =>
    (inc.get(chain === undefined ? position : `${position}/${chain}`) ?? []).map((p) => `${indent}include "${p}"\n`).join('');
  const ch = (name: string, head: string | undefined, rules: string[], tail: string[] = []): string =>
    `\tchain ${name} {\n${head ? `\t\t${head}\n` : ''}${at('chain-pre', name, '\t\t')}${rules.map((r) => `\t\t${r}\n`).join('')}` +
    `${at('chain-post', name, '\t\t')}${tail.map((r) => `\t\t${r}\n`).join('')}\t}\n`;
  const zones = [['lan', 'br-lan'], ['wan', 'wan0'], ['vpn', 'nym0']] as const;
  return [
    'table inet fw4\nflush table inet fw4\n',
    at('ruleset-pre', undefined, ''),
    'table inet fw4 {\n',
    at('table-pre'),
    ch('input', 'type filter hook input priority filter; policy drop;', [
      'iifname "lo" accept comment "!fw4: Accept traffic from loopback"',
      'ct state established,related accept comment "!fw4: Allow inbound established and related flows"',
      ...zones.map(([z, d]) => `iifname "${d}" jump input_${z}`),
    ], ['jump handle_reject']),
    ch('forward', 'type filter hook forward priority filter; policy drop;', [
      'ct state established,related accept comment "!fw4: Allow forwarded established and related flows"',
      ...zones.map(([z, d]) => `iifname "${d}" jump forward_${z}`),
    ], ['jump handle_reject']),
    ch('output', 'type filter hook output priority filter; policy accept;', [
      'oifname "lo" accept comment "!fw4: Accept traffic towards loopback"',
      'ct state established,related accept comment "!fw4: Allow outbound established and related flows"',
      ...zones.map(([z, d]) => `oifname "${d}" jump output_${z}`),
    ]),
    ch('prerouting', 'type filter hook prerouting priority filter; policy accept;', []),
    ch('handle_reject', undefined, ['meta l4proto tcp reject with tcp reset comment "!fw4: Reject TCP traffic"', 'reject comment "!fw4: Reject any other traffic"']),
    ch('input_lan', undefined, [], ['jump accept_from_lan']),
    ch('output_lan', undefined, [], ['jump accept_to_lan']),
    ch('forward_lan', undefined, ['jump accept_to_wan comment "!fw4: Accept lan to wan forwarding"', 'jump accept_to_vpn comment "!fw4: Accept lan to vpn forwarding"'], ['jump accept_to_lan']),
    ch('accept_from_lan', undefined, ['iifname "br-lan" accept comment "!fw4: accept lan IPv4/IPv6 traffic"']),
    ch('accept_to_lan', undefined, ['oifname "br-lan" accept comment "!fw4: accept lan IPv4/IPv6 traffic"']),
    ch('input_wan', undefined, [
      'meta nfproto ipv4 udp dport 68 accept comment "!fw4: Allow-DHCP-Renew"',
      'meta nfproto ipv6 udp dport 546 accept comment "!fw4: Allow-DHCPv6"',
      'meta l4proto ipv6-icmp accept comment "!fw4: Allow-ICMPv6-Input"',
    ], ['jump reject_from_wan']),
    ch('output_wan', undefined, [], ['jump accept_to_wan']),
    ch('forward_wan', undefined, [], ['jump reject_to_wan']),
    ch('accept_to_wan', undefined, ['oifname "wan0" accept comment "!fw4: accept wan IPv4/IPv6 traffic"']),
    ch('reject_from_wan', undefined, ['iifname "wan0" jump handle_reject comment "!fw4: reject wan IPv4/IPv6 traffic"']),
    ch('reject_to_wan', undefined, ['oifname "wan0" jump handle_reject comment "!fw4: reject wan IPv4/IPv6 traffic"']),
    ch('input_vpn', undefined, ['meta l4proto ipv6-icmp accept'], ['jump reject_from_vpn']),
    ch('output_vpn', undefined, [], ['jump accept_to_vpn']),
    ch('forward_vpn', undefined, [], ['jump reject_to_vpn']),
    ch('accept_to_vpn', undefined, ['oifname "nym0" accept comment "!fw4: accept vpn IPv4/IPv6 traffic"']),
    ch('reject_from_vpn', undefined, ['iifname "nym0" jump handle_reject comment "!fw4: reject vpn IPv4/IPv6 traffic"']),
    ch('reject_to_vpn', undefined, ['oifname "nym0" jump handle_reject comment "!fw4: reject vpn IPv4/IPv6 traffic"']),
    ch('dstnat', 'type nat hook prerouting priority dstnat; policy accept;', []),
    ch('srcnat', 'type nat hook postrouting priority srcnat; policy accept;', []),
    ch('raw_prerouting', 'type filter hook prerouting priority raw; policy accept;', []),
    ch('raw_output', 'type filter hook output priority raw; policy accept;', []),
    ch('mangle_prerouting', 'type filter hook prerouting priority mangle; policy accept;', []),
    ch('mangle_postrouting', 'type filter hook postrouting priority mangle; policy accept;', []),
    ch('mangle_input', 'type filter hook input priority mangle; policy accept;', []),
    ch('mangle_output', 'type route hook output priority mangle; policy accept;', []),
    ch('mangle_forward', 'type filter hook forward priority mangle; policy accept;', []),
    at('table-post'),
    '}\n',
    at('ruleset-post', undefined, ''),
  ].join('');
}

export interface Fw4 {
  print(): string;
  check(): Promise<void>;
  start(): Promise<void>;
  reload(): Promise<void>;
  restart(): Promise<void>;
  stop(): Promise<void>;
  flush(): Promise<void>;
}

export function fw4(ns: Netns, root: string): Fw4 {
  // Under /var/run/fw4.lock, like /sbin/fw4 (flock -x 1000): nym-vpnd takes the same lock.
  const lock = join(root, 'var/run/fw4.lock');
  const load = async (args: string[]): Promise<void> => {
    mkdirSync(join(root, 'var/run'), { recursive: true });
    await ns.exec('flock', ['-x', lock, 'nft', ...args], { input: renderFw4(root) });
  };
  const self: Fw4 = {
    print: () => renderFw4(root),
    check: () => load(['-c', '-f', '-']),
    start: () => load(['-f', '-']),
    reload: () => load(['-f', '-']),
    restart: async () => {
      await self.stop().catch(() => {});
      await self.start();
    },
    stop: async () => {
      await ns.exec('nft', ['delete', 'table', 'inet', 'fw4']);
    },
    flush: async () => {
      const { stdout } = await ns.exec('nft', ['list', 'tables']);
      for (const line of stdout.split('\n')) {
        const m = /^table (\S+) (\S+)$/.exec(line.trim());
        if (m) await ns.exec('nft', ['delete', 'table', m[1]!, m[2]!]);
      }
    },
  };
  return self;
}
