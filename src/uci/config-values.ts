// Readers for the kinds of values OpenWrt configs hold: booleans in all the spellings OpenWrt
// accepts, bounded integers, IP addresses and prefixes, interface names, WireGuard keys,
// endpoints, country codes, URLs. Each returns the typed value, or undefined when the text is
// not one; callers word the error.

import { isIP, isIPv4, isIPv6 } from 'node:net';

const TRUE_WORDS = new Set(['1', 'yes', 'on', 'true', 'enabled']);
const FALSE_WORDS = new Set(['0', 'no', 'off', 'false', 'disabled']);

/** The spellings of /lib/functions.sh config_get_bool and of ubox's boolean validation. */
export function parseUciBool(text: string): boolean | undefined {
  if (TRUE_WORDS.has(text)) return true;
  if (FALSE_WORDS.has(text)) return false;
  return undefined;
}

/** A plain decimal integer (optional '-') within [min, max]. */
export function parseIntInRange(text: string, min: number, max: number): number | undefined {
  if (!/^-?[0-9]{1,9}$/.test(text)) return undefined;
  const value = Number(text);
  return value >= min && value <= max ? value : undefined;
}

export function isIpAddress(text: string): boolean {
  return isIP(text) !== 0;
}

export interface IpPrefix {
  readonly address: string;
  readonly family: 4 | 6;
  /** undefined when the text had no "/n". */
  readonly prefixLength: number | undefined;
}

/** "192.0.2.1", "192.0.2.0/24", "2001:db8::1/64". */
export function parseIpPrefix(text: string): IpPrefix | undefined {
  const slash = text.indexOf('/');
  const address = slash < 0 ? text : text.slice(0, slash);
  const family = isIPv4(address) ? 4 : isIPv6(address) ? 6 : 0;
  if (family === 0) return undefined;
  if (slash < 0) return { address, family, prefixLength: undefined };
  const prefixLength = parseIntInRange(text.slice(slash + 1), 0, family === 4 ? 32 : 128);
  if (prefixLength === undefined || text.slice(slash + 1).startsWith('-')) return undefined;
  return { address, family, prefixLength };
}

/** A Linux interface name (dev_valid_name): 1-15 bytes, not "." or "..", no '/', ':' or blanks. */

/** A WireGuard key: base64 of exactly 32 bytes (44 characters, one '=' of padding). */
export function isWireGuardKey(text: string): boolean {
  return /^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$/.test(text);
}

const HOSTNAME_LABEL = /^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$/;

export function isHostname(text: string): boolean {
  if (text.length === 0 || text.length > 253) return false;
  const name = text.endsWith('.') ? text.slice(0, -1) : text;
  return name.split('.').every((label) => HOSTNAME_LABEL.test(label));
}

export interface Endpoint {
  /** IPv4 address, IPv6 address (without brackets) or host name. */
  readonly host: string;
  readonly port: number;
}

/** "203.0.113.10:51820", "[2001:db8::1]:51820", "gw.example.net:51820". */
export function parseEndpoint(text: string): Endpoint | undefined {
  const bracketed = /^\[([^\]]+)\]:([0-9]+)$/.exec(text);
  if (bracketed !== null) {
    const port = parseIntInRange(bracketed[2]!, 1, 65535);
    return isIPv6(bracketed[1]!) && port !== undefined ? { host: bracketed[1]!, port } : undefined;
  }
  const colon = text.lastIndexOf(':');
  if (colon < 0) return undefined;
  const host = text.slice(0, colon);
  const port = parseIntInRange(text.slice(colon + 1), 1, 65535);
  if (port === undefined || host.includes(':')) return undefined;
  return isIPv4(host) || isHostname(host) ? { host, port } : undefined;
}

/** An ISO 3166-1 alpha-2 code, in either case; returned upper-cased. */
export function parseCountryCode(text: string): string | undefined {
  return /^[A-Za-z]{2}$/.test(text) ? text.toUpperCase() : undefined;
}

export function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
  } catch {
    return false;
  }
}
