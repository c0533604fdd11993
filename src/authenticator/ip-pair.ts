// The private IPv4/IPv6 pair a gateway assigns, and its text as Rust's Display writes it — the MAC covers
// that text ("({ipv4}, {ipv6})", v6/registration.rs IpPair), so it must match Rust's byte for byte: IPv6 in
// lowercase hex, the first longest run of two or more zero groups as "::", and an IPv4-mapped address as
// ::ffff:a.b.c.d (core::net Ipv6Addr's Display).
import { formatIp } from '../net/ip-address.js';

export interface IpPair {
  /** 4 bytes. */
  ipv4: Uint8Array;
  /** 16 bytes. */
  ipv6: Uint8Array;
}

export function rustIpv6Text(b: Uint8Array): string {
  if (b.length !== 16) throw new RangeError('an IPv6 address is 16 bytes');
  const mapped = b.subarray(0, 10).every((x) => x === 0) && b[10] === 0xff && b[11] === 0xff;
  return mapped ? `::ffff:${b.subarray(12).join('.')}` : formatIp(b);
}

export function ipPairText(p: IpPair): string {
  if (p.ipv4.length !== 4) throw new RangeError('an IPv4 address is 4 bytes');
  return `(${p.ipv4.join('.')}, ${rustIpv6Text(p.ipv6)})`;
}
