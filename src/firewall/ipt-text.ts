// Pieces of iptables-restore text shared by the kill switch and the boot guard, written the way
// iptables-save prints them back (so a test can compare what the kernel holds with what we rendered).
//
// Semantics differ from nftables: an ACCEPT in any chain of the filter table ends FORWARD/OUTPUT for good,
// fw3's rules included. So our chains never ACCEPT: RETURN means "not ours, let fw3 decide", and only
// REJECT/DROP are verdicts. From nym_forward we `-g` (goto) into the sub-chains, so their RETURN goes
// straight back to FORWARD, like an nftables accept ending only our chain.
import { hexMark } from './addresses.js';
import { DNS_PORTS } from './types.js';

export type Family = 4 | 6;

export function reject(family: Family): string {
  return family === 4 ? '-j REJECT --reject-with icmp-admin-prohibited' : '-j REJECT --reject-with icmp6-adm-prohibited';
}

export function comment(text: string): string {
  return `-m comment --comment "${text}"`;
}

/** iptables-save shows a host address with its prefix length. */
export function hostCidr(family: Family, address: string): string {
  return address.includes('/') ? address : `${address}/${family === 4 ? 32 : 128}`;
}

export function markMatch(mark: number): string {
  return `-m mark --mark ${hexMark(mark)}`;
}

/** DNS on 53/853 (udp and tcp) unless it leaves through the tunnel. */
export function dnsRejects(chain: string, family: Family, tunnel: string, what: string): string[] {
  return DNS_PORTS.flatMap((port) => (['udp', 'tcp'] as const).map((p) =>
    `-A ${chain} ! -o ${tunnel} -p ${p} -m ${p} --dport ${port} ${comment(what)} ${reject(family)}`));
}

/** DHCP and the ICMPv6 links need (see LINK_ESSENTIALS in nft-text.ts; no hop-limit match: ip6t_hl is optional on OpenWrt). */
export function linkEssentials(chain: string, family: Family): string[] {
  if (family === 4) {
    return [
      `-A ${chain} -p udp -m udp --sport 68 --dport 67 -j RETURN`,
      `-A ${chain} -p udp -m udp --sport 67 --dport 68 -j RETURN`,
    ];
  }
  return [
    `-A ${chain} -s fe80::/10 -d ff02::1:2/128 -p udp -m udp --sport 546 --dport 547 -j RETURN`,
    `-A ${chain} -s fe80::/10 -d ff05::1:3/128 -p udp -m udp --sport 546 --dport 547 -j RETURN`,
    `-A ${chain} -d fe80::/10 -p udp -m udp --sport 547 --dport 546 -j RETURN`,
    ...[133, 134, 135, 136, 137, 131, 132, 143].map((t) => `-A ${chain} -p ipv6-icmp -m icmp6 --icmpv6-type ${t} -j RETURN`),
  ];
}

export function restoreFile(header: string, chains: readonly string[], rules: readonly string[]): string {
  return `${header}*filter\n${chains.map((c) => `:${c} - [0:0]`).join('\n')}\n${rules.join('\n')}\nCOMMIT\n`;
}
