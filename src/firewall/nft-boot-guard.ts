// The boot guard as one nftables table, `inet nym_boot`: what holds from the firewall's start at boot
// until nym-vpnd has decided (it then loads its kill switch, which deletes this table in the same
// transaction, or lifts both). It knows only the tunnel's name and the daemon's mark, not the LAN or the
// gateways, so it is stricter than the kill switch:
//   forward  only to and from the tunnel interface (also LAN to LAN, which the kill switch allows later);
//   output   loopback, the tunnel, the daemon's marked sockets (any destination: it must find a gateway),
//            answers to connections others opened (LuCI and SSH from the LAN keep working), DHCP and
//            the ICMPv6 links need. dnsmasq cannot forward LAN clients' queries to the ISP's resolver.
import { hexMark } from './addresses.js';
import {
  BOOT_GUARD_PRIORITY, DNS_PORTS_MATCH, LINK_ESSENTIALS, REJECT, chain, dropTable,
} from './nft-text.js';
import { BOOT_GUARD_TABLE, type BootGuardSpec } from './types.js';

export function renderBootGuard(g: BootGuardSpec): string {
  const tun = `"${g.tunnel}"`;
  const forward = chain('forward', `type filter hook forward priority ${BOOT_GUARD_PRIORITY}; policy accept;`, [
    `oifname ${tun} accept`,
    `iifname ${tun} accept`,
    `counter ${REJECT} comment "nym-vpn boot guard: forwarding outside the tunnel"`,
  ]);
  const output = chain('output', `type filter hook output priority ${BOOT_GUARD_PRIORITY}; policy drop;`, [
    'oifname "lo" accept',
    `meta mark ${hexMark(g.fwmark)} accept comment "nym-vpn: the daemon's own sockets"`,
    `${DNS_PORTS_MATCH} oifname != ${tun} counter ${REJECT} comment "nym-vpn boot guard: DNS outside the tunnel"`,
    `oifname ${tun} accept`,
    'ct state established ct direction reply accept',
    ...LINK_ESSENTIALS,
    `counter ${REJECT} comment "nym-vpn boot guard: router traffic outside the tunnel"`,
  ]);
  return [
    '# nym-vpn boot guard: blocks traffic outside the tunnel from boot until nym-vpnd has decided.',
    '# Loaded by fw4 through /usr/share/nftables.d/ruleset-post/20-nym-vpn.nft; nym-vpnd deletes this file',
    '# when the owner turns the kill switch off, and writes it back when it is turned on.',
    `${dropTable(BOOT_GUARD_TABLE)}table inet ${BOOT_GUARD_TABLE} {\n${forward}\n${output}}\n`,
  ].join('\n');
}
