// A plain unicast IP address, as a DNS server (or a probe target) must be: IPv4 or IPv6 in text form,
// without a zone id (fe80::1%wan: nft and dnsmasq's resolv file take none), and not unspecified,
// multicast, broadcast or loopback (a "server" there would answer from the router itself, around the tunnel).
import { isIP } from 'node:net';
import { parseIp } from './ip-address.js';

export const UNICAST_RULE = 'a plain unicast IPv4 or IPv6 address (no zone, not multicast, loopback or unspecified)';

export function isUnicastAddress(text: unknown): text is string {
  if (typeof text !== 'string' || text.includes('%') || isIP(text) === 0) return false;
  const b = parseIp(text);
  if (b.length === 4) {
    if (b[0] === 0 || b[0] === 127 || b[0]! >= 224) return false; // this network, loopback, multicast/reserved/broadcast
    return true;
  }
  if (b.every((x) => x === 0)) return false; // ::
  if (b.slice(0, 15).every((x) => x === 0) && b[15] === 1) return false; // ::1
  if (b[0] === 0xff) return false; // multicast
  // IPv4-mapped: judged as the IPv4 address it carries.
  if (b.slice(0, 10).every((x) => x === 0) && b[10] === 0xff && b[11] === 0xff) return isUnicastAddress(`${b[12]}.${b[13]}.${b[14]}.${b[15]}`);
  return true;
}
