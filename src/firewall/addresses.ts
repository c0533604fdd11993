// Addresses, prefixes, ports and interface names as the rules need them: checked, in one canonical
// text form (so golden tests and `nft list` agree), host bits of a prefix cleared (nft refuses them).
// Everything that reaches rule text passes through here: no quote or space can get into a rule.
import { formatIp, parseIp, type IpFamily } from '../net/ip-words.js';
import { FirewallConfigError } from './types.js';
import { INTERFACE_NAME_RULE, isInterfaceName } from '../net/interface-name.js';


export interface Address {
  family: IpFamily;
  text: string;
}

/** The one interface-name rule of src/net (the config checks with it too, so a reload never lets one by). */
export function checkInterface(field: string, name: unknown): string {
  if (!isInterfaceName(name)) throw new FirewallConfigError(field, name, `not an interface name (${INTERFACE_NAME_RULE})`);
  return name;
}

export function parseAddress(field: string, value: unknown): Address {
  const w = typeof value === 'string' ? parseIp(value.trim()) : undefined;
  if (w === undefined) throw new FirewallConfigError(field, value, 'not an IPv4 or IPv6 address');
  return { family: w.family, text: formatIp(w.family, w.w0, w.w1, w.w2, w.w3) };
}

/** "192.168.1.7/24" → "192.168.1.0/24"; a bare address is a host: kept without a prefix length. */
export function parseCidr(field: string, value: unknown): Address {
  if (typeof value !== 'string') throw new FirewallConfigError(field, value, 'not an address range');
  const [addr, len, extra] = value.trim().split('/');
  const w = parseIp(addr ?? '');
  if (w === undefined || extra !== undefined || (len !== undefined && !/^\d{1,3}$/.test(len))) {
    throw new FirewallConfigError(field, value, 'not an address range like 192.168.1.0/24 or fd00::/64');
  }
  const max = w.family === 4 ? 32 : 128;
  const bits = len === undefined ? max : Number(len);
  if (bits > max) throw new FirewallConfigError(field, value, `prefix length above ${max}`);
  const words = [w.w0, w.w1, w.w2, w.w3];
  const masked = words.map((word, i) => {
    const keep = Math.max(0, Math.min(32, bits - 32 * i));
    return keep === 0 ? 0 : keep === 32 ? word : (word & (0xffffffff << (32 - keep))) >>> 0;
  });
  const text = formatIp(w.family, masked[0]!, masked[1]!, masked[2]!, masked[3]!);
  return { family: w.family, text: bits === max ? text : `${text}/${bits}` };
}

export function checkPort(field: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 65535) {
    throw new FirewallConfigError(field, value, 'not a port (1-65535)');
  }
  return value;
}

export function checkFwmark(field: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 0xffffffff) {
    throw new FirewallConfigError(field, value, 'not a firewall mark (1-0xffffffff)');
  }
  return value;
}

/** The mark as nft and iptables both print it in rules we compare: 0x14d. */
export function hexMark(mark: number): string {
  return `0x${mark.toString(16)}`;
}

/** Sorted, without duplicates: the same state always renders the same text. */
export function uniqueSorted(values: Iterable<string>): string[] {
  return [...new Set(values)].sort();
}
