// fw3 for machines without it: the rules fw3 builds for OpenWrt's default zones (openwrt/firewall3
// defaults.c, zones.c: every rule in a builtin chain tagged with a "!fw3" comment, zone chains
// zone_<name>_input/_output/_forward, zone_<name>_src_/dest_<VERDICT>, the "reject" chain, custom
// *_rule chains) for lan (br-lan), wan (wan0, rejects input and forward) and vpn (nym0), lan→wan and
// lan→vpn forwarding. Like fw3:
//   start   builds its rules (appending to the builtin chains), then runs the script includes;
//   reload  deletes only its "!fw3" rules from the builtin chains, rebuilds its own chains, runs the
//           includes that have `reload 1`: one iptables-restore per family, so one commit each;
//   flush   (fw3 flush / firewall stop) empties and deletes everything, policies ACCEPT.
// The include runs as fw3 runs it: `sh -c 'config() {…}; . PATH'` (busybox sh, as on the router).
import type { Netns } from '../../tools/lab/netns.js';
import type { Family } from '../../src/firewall/ipt-text.js';

export interface Fw3Options {
  root: string;
  includePath: string;
  iptables: string;
  ip6tables: string;
}

const T = '-m comment --comment "!fw3"';
const ZONES = [['lan', 'br-lan', 'ACCEPT', 'ACCEPT'], ['wan', 'wan0', 'REJECT', 'REJECT'], ['vpn', 'nym0', 'REJECT', 'REJECT']] as const;

function fw3Chains(): string[] {
  return ['reject', 'input_rule', 'output_rule', 'forwarding_rule',
    ...ZONES.flatMap(([z]) => [`zone_${z}_input`, `zone_${z}_output`, `zone_${z}_forward`, `zone_${z}_src_ACCEPT`, `zone_${z}_src_REJECT`,
      `zone_${z}_dest_ACCEPT`, `zone_${z}_dest_REJECT`])];
}

function builtinRules(): string[] {
  return [
    `-A INPUT -i lo ${T} -j ACCEPT`,
    '-A INPUT -m comment --comment "!fw3: Custom input rule chain" -j input_rule',
    `-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED ${T} -j ACCEPT`,
    ...ZONES.map(([z, d]) => `-A INPUT -i ${d} ${T} -j zone_${z}_input`),
    `-A INPUT ${T} -j reject`,
    `-A OUTPUT -o lo ${T} -j ACCEPT`,
    '-A OUTPUT -m comment --comment "!fw3: Custom output rule chain" -j output_rule',
    `-A OUTPUT -m conntrack --ctstate RELATED,ESTABLISHED ${T} -j ACCEPT`,
    ...ZONES.map(([z, d]) => `-A OUTPUT -o ${d} ${T} -j zone_${z}_output`),
    '-A FORWARD -m comment --comment "!fw3: Custom forwarding rule chain" -j forwarding_rule',
    `-A FORWARD -m conntrack --ctstate RELATED,ESTABLISHED ${T} -j ACCEPT`,
    ...ZONES.map(([z, d]) => `-A FORWARD -i ${d} ${T} -j zone_${z}_forward`),
    `-A FORWARD ${T} -j reject`,
  ];
}

function chainRules(family: Family): string[] {
  const unreach = family === 4 ? 'icmp-port-unreachable' : 'icmp6-port-unreachable';
  return [
    `-A reject -p tcp ${T} -j REJECT --reject-with tcp-reset`,
    `-A reject ${T} -j REJECT --reject-with ${unreach}`,
    ...ZONES.flatMap(([z, d, input, forward]) => [
      ...(z === 'wan' && family === 4 ? [`-A zone_wan_input -p udp -m udp --dport 68 -m comment --comment "!fw3: Allow-DHCP-Renew" -j ACCEPT`] : []),
      ...(z !== 'lan' && family === 6 ? [`-A zone_${z}_input -p udp -m udp --dport 546 -m comment --comment "!fw3: Allow-DHCPv6" -j ACCEPT`,
        `-A zone_${z}_input -p ipv6-icmp -m comment --comment "!fw3: Allow-ICMPv6-Input" -j ACCEPT`] : []),
      `-A zone_${z}_input ${T} -j zone_${z}_src_${input}`,
      `-A zone_${z}_output ${T} -j zone_${z}_dest_ACCEPT`,
      ...(z === 'lan' ? ['-A zone_lan_forward -m comment --comment "!fw3: Zone lan to wan forwarding policy" -j zone_wan_dest_ACCEPT',
        '-A zone_lan_forward -m comment --comment "!fw3: Zone lan to vpn forwarding policy" -j zone_vpn_dest_ACCEPT'] : []),
      `-A zone_${z}_forward ${T} -j zone_${z}_dest_${forward}`,
      `-A zone_${z}_src_ACCEPT -i ${d} ${T} -j ACCEPT`,
      `-A zone_${z}_src_REJECT -i ${d} ${T} -j reject`,
      `-A zone_${z}_dest_ACCEPT -o ${d} ${T} -j ACCEPT`,
      `-A zone_${z}_dest_REJECT -o ${d} ${T} -j reject`,
    ]),
  ];
}

/** One restore file: (on reload) take out fw3's builtin-chain rules, (re)declare its chains, append everything. */
function restoreText(family: Family, reload: boolean): string {
  const lines = [
    '*filter',
    ':INPUT DROP [0:0]',
    ':FORWARD DROP [0:0]',
    ':OUTPUT ACCEPT [0:0]',
    ...fw3Chains().map((c) => `:${c} - [0:0]`),  // declared with --noflush: created, or emptied
    ...(reload ? builtinRules().map((r) => r.replace(/^-A /, '-D ')) : []),
    ...builtinRules(),
    ...chainRules(family),
    'COMMIT',
  ];
  return `${lines.join('\n')}\n`;
}

export interface Fw3 {
  start(): Promise<void>;
  reload(): Promise<void>;
  flush(): Promise<void>;
  runInclude(): Promise<void>;
}

export function fw3(ns: Netns, o: Fw3Options): Fw3 {
  const bins = { 4: o.iptables, 6: o.ip6tables } as const;
  const build = async (reload: boolean): Promise<void> => {
    for (const family of [4, 6] as const) {
      await ns.exec(`${bins[family]}-restore`, ['-w', '--noflush'], { input: restoreText(family, reload) });
    }
  };
  const self: Fw3 = {
    runInclude: async () => {
      await ns.exec('busybox', ['sh', '-c', `config() { echo "You cannot use UCI in firewall includes!" >&2; exit 1; }; . ${o.includePath}`], {
        env: { ...process.env, NYMVPN_ROOT: o.root, NYMVPN_IPTABLES: o.iptables, NYMVPN_IP6TABLES: o.ip6tables },
      });
    },
    start: async () => {
      await build(false);
      await self.runInclude();
    },
    reload: async () => {
      await build(true);
      await self.runInclude();
    },
    flush: async () => {
      for (const family of [4, 6] as const) {
        await ns.exec(`${bins[family]}-restore`, [], { input: '*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\nCOMMIT\n' });
      }
    },
  };
  return self;
}
