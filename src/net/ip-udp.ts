// IPv4/IPv6 + UDP headers with checksums: how the exit tunnel's datagrams travel inside the entry
// tunnel. Pure functions over Uint8Array, no I/O; every parse validates before it trusts a field.

import { finish, sumWords } from './checksum.js';

export const IPV4_HEADER = 20;
export const IPV6_HEADER = 40;
export const UDP_HEADER = 8;
const PROTO_UDP = 17;
const DEFAULT_TTL = 64;

/** One side of a UDP flow: raw address bytes (4 or 16) and a port. */
export interface UdpAddress {
  addr: Uint8Array;
  port: number;
}

export function headerLength(family: 4 | 6): number {
  return (family === 4 ? IPV4_HEADER : IPV6_HEADER) + UDP_HEADER;
}

/**
 * Writes IP + UDP headers for `payloadLength` bytes that already sit at out[headerLength(family)..]
 * and fills in both checksums. `ipId` is the IPv4 identification (ignored for IPv6).
 */
export function writeUdpHeaders(out: Uint8Array, src: UdpAddress, dst: UdpAddress, payloadLength: number, ipId = 0): number {
  const family = src.addr.length === 4 ? 4 : 6;
  if (dst.addr.length !== src.addr.length) throw new TypeError('source and destination families differ');
  const ipLen = family === 4 ? IPV4_HEADER : IPV6_HEADER;
  const udpLen = UDP_HEADER + payloadLength;
  const total = ipLen + udpLen;
  if (udpLen > 0xffff || out.length < total) throw new RangeError(`no room for a ${total}-byte packet`);
  if (family === 4) {
    out[0] = 0x45; out[1] = 0;
    out[2] = total >> 8; out[3] = total & 0xff;
    out[4] = (ipId >> 8) & 0xff; out[5] = ipId & 0xff;
    out[6] = 0x40; out[7] = 0; // DF: the outer path's MTU is what we planned for, never fragment
    out[8] = DEFAULT_TTL; out[9] = PROTO_UDP;
    out[10] = 0; out[11] = 0;
    out.set(src.addr, 12);
    out.set(dst.addr, 16);
    const c = finish(sumWords(out, 0, IPV4_HEADER));
    out[10] = c >> 8; out[11] = c & 0xff;
  } else {
    out[0] = 0x60; out[1] = 0; out[2] = 0; out[3] = 0;
    out[4] = udpLen >> 8; out[5] = udpLen & 0xff;
    out[6] = PROTO_UDP; out[7] = DEFAULT_TTL;
    out.set(src.addr, 8);
    out.set(dst.addr, 24);
  }
  const u = ipLen;
  out[u] = src.port >> 8; out[u + 1] = src.port & 0xff;
  out[u + 2] = dst.port >> 8; out[u + 3] = dst.port & 0xff;
  out[u + 4] = udpLen >> 8; out[u + 5] = udpLen & 0xff;
  out[u + 6] = 0; out[u + 7] = 0;
  let c = finish(pseudoHeaderSum(out, family, udpLen) + sumWords(out, u, u + udpLen));
  if (c === 0) c = 0xffff; // a computed zero is sent as all ones (RFC 768)
  out[u + 6] = c >> 8; out[u + 7] = c & 0xff;
  return total;
}

/** Source/destination addresses (from the IP header already in `p`), protocol and UDP length. */
function pseudoHeaderSum(p: Uint8Array, family: 4 | 6, udpLen: number): number {
  const addrs = family === 4 ? sumWords(p, 12, 20) : sumWords(p, 8, 40);
  return addrs + PROTO_UDP + udpLen;
}

/** A UDP packet, as parsed: views into the packet, nothing copied. */
export interface ParsedUdp {
  family: 4 | 6;
  src: Uint8Array;
  dst: Uint8Array;
  srcPort: number;
  dstPort: number;
  payload: Uint8Array;
}

/**
 * Where a UDP packet's fields lie, as offsets into it: what readUdp fills in place, so that the data path
 * (every packet the exit tunnel receives) makes no object per packet for the header.
 */
export interface UdpFields {
  family: 4 | 6;
  /** Offset of the source address (4 or 16 bytes); the destination address follows it. */
  addrStart: number;
  srcPort: number;
  dstPort: number;
  payloadStart: number;
  payloadEnd: number;
}

export function udpFields(): UdpFields {
  return { family: 4, addrStart: 0, srcPort: 0, dstPort: 0, payloadStart: 0, payloadEnd: 0 };
}

/** Why a packet was not taken as UDP; counted by the caller. */
export type UdpParseError = 'short' | 'version' | 'header' | 'fragment' | 'not-udp' | 'length' | 'checksum';

/**
 * Reads an IPv4 or IPv6 packet carrying UDP into `f` (null), or says why it is not one. Fragments,
 * options-bearing IPv6 (extension headers) and inconsistent lengths are refused; the UDP checksum is
 * verified (mandatory for IPv6, and for IPv4 unless it is zero, which means "none"). `f` is only
 * meaningful after a null.
 */
export function readUdp(p: Uint8Array, f: UdpFields): UdpParseError | null {
  if (p.length < 1) return 'short';
  const version = p[0]! >> 4;
  let ipLen: number;
  let family: 4 | 6;
  let end: number;
  if (version === 4) {
    if (p.length < IPV4_HEADER) return 'short';
    ipLen = (p[0]! & 0x0f) * 4;
    if (ipLen < IPV4_HEADER || p.length < ipLen) return 'header';
    const total = (p[2]! << 8) | p[3]!;
    if (total < ipLen + UDP_HEADER || total > p.length) return 'length';
    if ((p[6]! & 0x3f) !== 0 || p[7]! !== 0) return 'fragment'; // MF set or an offset
    if (p[9] !== PROTO_UDP) return 'not-udp';
    if (finish(sumWords(p, 0, ipLen)) !== 0) return 'header';
    family = 4;
    end = total;
  } else if (version === 6) {
    if (p.length < IPV6_HEADER + UDP_HEADER) return 'short';
    if (p[6] !== PROTO_UDP) return p[6] === 44 ? 'fragment' : 'not-udp';
    ipLen = IPV6_HEADER;
    const payloadLen = (p[4]! << 8) | p[5]!;
    if (IPV6_HEADER + payloadLen > p.length || payloadLen < UDP_HEADER) return 'length';
    family = 6;
    end = IPV6_HEADER + payloadLen;
  } else {
    return 'version';
  }
  const u = ipLen;
  const udpLen = (p[u + 4]! << 8) | p[u + 5]!;
  if (udpLen < UDP_HEADER || u + udpLen > end) return 'length';
  const wire = (p[u + 6]! << 8) | p[u + 7]!;
  if (family === 6 || wire !== 0) {
    if (family === 6 && wire === 0) return 'checksum';
    const sum = (family === 4 ? sumWords(p, 12, 20) : sumWords(p, 8, 40)) + PROTO_UDP + udpLen + sumWords(p, u, u + udpLen);
    if (finish(sum) !== 0) return 'checksum';
  }
  f.family = family;
  f.addrStart = family === 4 ? 12 : 8;
  f.srcPort = (p[u]! << 8) | p[u + 1]!;
  f.dstPort = (p[u + 2]! << 8) | p[u + 3]!;
  f.payloadStart = u + UDP_HEADER;
  f.payloadEnd = u + udpLen;
  return null;
}

/** readUdp, with the addresses and the payload as views into the packet. */
export function parseUdp(p: Uint8Array): ParsedUdp | UdpParseError {
  const f = udpFields();
  const err = readUdp(p, f);
  if (err !== null) return err;
  const n = f.family === 4 ? 4 : 16;
  return {
    family: f.family,
    src: p.subarray(f.addrStart, f.addrStart + n),
    dst: p.subarray(f.addrStart + n, f.addrStart + 2 * n),
    srcPort: f.srcPort,
    dstPort: f.dstPort,
    payload: p.subarray(f.payloadStart, f.payloadEnd),
  };
}

/** True when p holds `addr`'s bytes at `offset`. */
export function bytesEqualAt(p: Uint8Array, offset: number, addr: Uint8Array): boolean {
  if (offset + addr.length > p.length) return false;
  for (let i = 0; i < addr.length; i++) if (p[offset + i] !== addr[i]) return false;
  return true;
}
