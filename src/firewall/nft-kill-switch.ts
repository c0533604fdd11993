// The kill switch as one nftables table, `inet nym`, rendered from a KillSwitchSpec. The text replaces the
// whole table in one transaction (delete-if-exists + add), so an update never leaves a moment without rules.
//
// What it does (upstream nym-firewall's policy, applied to a router):
//   forward  LAN traffic leaves only through the tunnel (or stays in the LAN); nothing reaches the LAN
//            from outside except through the tunnel. Other forwarding (e.g. a guest zone) is not ours.
//   output   the router itself talks only to loopback, the tunnel and the LAN, plus the daemon's marked
//            sockets to the current entry endpoint(s), DHCP and the ICMPv6 that links need.
//   DNS      to any server on 53/853, and to the configured DNS servers on any port, only via the tunnel.
// No input chain: a kill switch is about what leaves; fw4 keeps deciding what may come in.
// Our chains subtract and never grant: `accept` here ends only our chain, and fw4's chains still decide.
import {
  DNS_PORTS_MATCH, KILL_SWITCH_PRIORITY, LINK_ESSENTIALS, REJECT,
  chain, dropTable, markMatch, namedSet,
} from './nft-text.js';
import { BOOT_GUARD_TABLE, KILL_SWITCH_TABLE, type KillSwitchSpec } from './types.js';

export const HEADER = '# nym-vpn kill switch (written by nym-vpnd: do not edit)\n';

/** Rules matching "is in the LAN" on one side; each comes with the set it needs. */
function lanMatches(s: KillSwitchSpec, side: 's' | 'd'): string[] {
  const dir = side === 's' ? 'iifname' : 'oifname';
  return [
    ...(s.lanInterfaces.length > 0 ? [`${dir} @lan_ifaces`] : []),
    ...(s.lan4.length > 0 ? [`ip ${side}addr @lan_v4`] : []),
    ...(s.lan6.length > 0 ? [`ip6 ${side}addr @lan_v6`] : []),
  ];
}

function forwardChains(s: KillSwitchSpec): string {
  const tun = `"${s.tunnel}"`;
  const block6 = s.ipv6 === 'block';
  const forward = [
    ...lanMatches(s, 's').map((m) => `${m} jump from_lan`),
    ...lanMatches(s, 'd').map((m) => `${m} jump to_lan`),
  ];
  const fromLan = [
    ...lanMatches(s, 'd').map((m) => `${m} accept`),
    ...(block6 ? [`meta nfproto ipv6 counter ${REJECT} comment "nym-vpn: IPv6 is blocked"`] : []),
    `oifname ${tun} accept`,
    s.wan === 'any'
      ? `counter ${REJECT} comment "nym-vpn: LAN traffic outside the tunnel"`
      : `oifname @wan_ifaces counter ${REJECT} comment "nym-vpn: LAN traffic outside the tunnel"`,
  ];
  const toLan = [
    ...(block6 ? ['meta nfproto ipv6 counter drop comment "nym-vpn: IPv6 is blocked"'] : []),
    `iifname ${tun} accept`,
    s.wan === 'any'
      ? 'counter drop comment "nym-vpn: into the LAN outside the tunnel"'
      : 'iifname @wan_ifaces counter drop comment "nym-vpn: into the LAN outside the tunnel"',
  ];
  return [
    chain('forward', `type filter hook forward priority ${KILL_SWITCH_PRIORITY}; policy accept;`, forward),
    chain('from_lan', undefined, fromLan),
    chain('to_lan', undefined, toLan),
  ].join('\n');
}

function outputChain(s: KillSwitchSpec): string {
  const tun = `"${s.tunnel}"`;
  const mark = markMatch(s.fwmark);
  const rules = [
    'oifname "lo" accept',
    // Before the DNS rule, so that a gateway listening on 53 or 853 is still reachable.
    ...s.endpoints.map((e) => `${mark} ${e.family === 4 ? 'ip' : 'ip6'} daddr ${e.address} ${e.protocol} dport ${e.port} accept comment "nym-vpn: entry endpoint"`),
    ...(s.dns4.length > 0 ? [`ip daddr @dns_v4 oifname != ${tun} counter ${REJECT} comment "nym-vpn: DNS server outside the tunnel"`] : []),
    ...(s.dns6.length > 0 ? [`ip6 daddr @dns_v6 oifname != ${tun} counter ${REJECT} comment "nym-vpn: DNS server outside the tunnel"`] : []),
    `${DNS_PORTS_MATCH} oifname != ${tun} counter ${REJECT} comment "nym-vpn: DNS outside the tunnel"`,
    ...(s.ipv6 === 'block' ? [`meta nfproto ipv6 oifname ${tun} counter ${REJECT} comment "nym-vpn: IPv6 is blocked"`] : []),
    `oifname ${tun} accept`,
    ...lanMatches(s, 'd').map((m) => `${m} accept`),
    // Answers to connections others opened (LuCI or SSH from the WAN side): the router starts none of
    // them, so no flow of its own can continue outside the tunnel this way. Established only: an ICMP
    // error counts as a related reply, and one our own reject sends to an address the router just
    // lost (the tunnel's, after nym0 went away) would otherwise leave by the WAN.
    'ct state established ct direction reply accept',
    ...LINK_ESSENTIALS,
    `counter ${REJECT} comment "nym-vpn: router traffic outside the tunnel"`,
  ];
  return chain('output', `type filter hook output priority ${KILL_SWITCH_PRIORITY}; policy drop;`, rules);
}

/** The table alone: what `nft list table inet nym` shows after loading it (minus counters and order of set elements). */
export function renderKillSwitchTable(s: KillSwitchSpec): string {
  const sets = [
    namedSet('lan_ifaces', 'ifname', s.lanInterfaces),
    namedSet('lan_v4', 'ipv4_addr', s.lan4),
    namedSet('lan_v6', 'ipv6_addr', s.lan6),
    namedSet('wan_ifaces', 'ifname', s.wan === 'any' ? [] : s.wan),
    namedSet('dns_v4', 'ipv4_addr', s.dns4),
    namedSet('dns_v6', 'ipv6_addr', s.dns6),
  ].join('');
  return `table inet ${KILL_SWITCH_TABLE} {\n${sets}${forwardChains(s)}\n${outputChain(s)}}\n`;
}

/** The file nym-vpnd loads: the kill switch replaces itself and the boot guard, in one transaction. */
export function renderKillSwitch(s: KillSwitchSpec): string {
  return `${HEADER}${dropTable(KILL_SWITCH_TABLE)}${renderKillSwitchTable(s)}${dropTable(BOOT_GUARD_TABLE)}`;
}

/** The file that lifts everything: neither table is left, whether or not they were there. */
export function renderLifted(): string {
  return `# nym-vpn kill switch lifted (written by nym-vpnd: do not edit)\n${dropTable(KILL_SWITCH_TABLE)}${dropTable(BOOT_GUARD_TABLE)}`;
}
