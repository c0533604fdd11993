// Pieces of nftables text shared by the kill switch and the boot guard. Values reaching here were
// checked by addresses.ts (no quotes, no spaces), so they can be written into rules as they are.
import { hexMark } from './addresses.js';
import { DNS_PORTS } from './types.js';

/**
 * Hook priority of our base chains: below fw4's (`priority filter`, 0). A drop in any base chain is final
 * whatever other chains accept, so order does not decide what is blocked; it decides who sees a packet
 * first. Ours must come first for flow offloading: fw4's forward chain adds flows to its flowtable
 * (`flow add @ft`), and an offloaded flow skips every forward hook after that, ours included. Dropping
 * before fw4 runs means a leaking flow is never offloaded.
 */
export const KILL_SWITCH_PRIORITY = 'filter - 10';
export const BOOT_GUARD_PRIORITY = 'filter - 20';

/** The client sees "administratively prohibited" at once instead of waiting for a timeout. */
export const REJECT = 'reject with icmpx admin-prohibited';

/**
 * Statements that remove the table whether or not it exists, in the same transaction as what follows
 * (nft 1.0.6 has no `destroy`; a `delete` of a missing table would fail the whole file).
 */
export function dropTable(name: string): string {
  return `table inet ${name}\ndelete table inet ${name}\n`;
}

export type SetType = 'ifname' | 'ipv4_addr' | 'ipv6_addr';

/** A named set, or '' when there is nothing in it (the rules using it are left out as well). */
export function namedSet(name: string, type: SetType, elements: readonly string[]): string {
  if (elements.length === 0) return '';
  const quoted = type === 'ifname' ? elements.map((e) => `"${e}"`) : elements;
  const flags = type === 'ifname' ? '' : '\t\tflags interval\n';
  return `\tset ${name} {\n\t\ttype ${type}\n${flags}\t\telements = { ${quoted.join(', ')} }\n\t}\n\n`;
}

export function chain(name: string, head: string | undefined, rules: readonly string[]): string {
  const lines = head === undefined ? [] : [head, ''];
  return `\tchain ${name} {\n${[...lines, ...rules].map((l) => (l === '' ? '' : `\t\t${l}`)).join('\n')}\n\t}\n`;
}

export function markMatch(mark: number): string {
  return `meta mark ${hexMark(mark)}`;
}

export const DNS_PORTS_MATCH = `meta l4proto { tcp, udp } th dport { ${DNS_PORTS.join(', ')} }`;

/**
 * What keeps the router's own links working and carries no user data: DHCP (client on the WAN, server on
 * the LAN, v4 and v6) and the ICMPv6 that IPv6 cannot work without (router/neighbour discovery with
 * the hop limit 255 those messages must have, and multicast listener reports with hop limit 1).
 */
export const LINK_ESSENTIALS: readonly string[] = [
  'udp sport 68 udp dport 67 accept comment "DHCPv4 client"',
  'udp sport 67 udp dport 68 accept comment "DHCPv4 server"',
  'ip6 saddr fe80::/10 ip6 daddr { ff02::1:2, ff05::1:3 } udp sport 546 udp dport 547 accept comment "DHCPv6 client"',
  'ip6 daddr fe80::/10 udp sport 547 udp dport 546 accept comment "DHCPv6 server"',
  'icmpv6 type { nd-router-solicit, nd-router-advert, nd-neighbor-solicit, nd-neighbor-advert, nd-redirect } ip6 hoplimit 255 accept',
  'icmpv6 type { mld-listener-report, mld-listener-done, mld2-listener-report } ip6 hoplimit 1 accept',
];
