// Source fragmentation of an IP packet we built ourselves (the exit hop's IP+UDP datagram inside the entry
// tunnel), for a path that silently drops large packets (an MTU black hole). Each fragment travels through
// the entry tunnel on its own, so each outer datagram fits; the entry gateway forwards the fragments and
// the exit gateway's kernel reassembles the datagram. Pure: bytes in, fragments out.
//   IPv4: RFC 791 — header copied, MF on all but the last, offset in 8-byte units, DF cleared.
//   IPv6: RFC 8200 §4.5 — a Fragment header (next header 44) after the fixed header.
import { finish, sumWords } from './checksum.js';

const IPV6_HEADER = 40;
const FRAGMENT_HEADER = 8;
const NEXT_HEADER_FRAGMENT = 44;

/**
 * Splits `packet` so that no piece is longer than `maxSize` bytes; a packet that fits is returned alone.
 * `id` identifies the datagram's fragments (IPv4: 16 bits, IPv6: 32 bits): use a new one per datagram.
 */
export function fragmentIp(packet: Uint8Array, maxSize: number, id: number): Uint8Array[] {
  if (packet.length <= maxSize) return [packet];
  const version = packet[0]! >> 4;
  if (version === 4) return fragment4(packet, maxSize, id & 0xffff);
  if (version === 6) return fragment6(packet, maxSize, id >>> 0);
  throw new RangeError(`not an IP packet (version ${version})`);
}

function fragment4(p: Uint8Array, maxSize: number, id: number): Uint8Array[] {
  const ihl = (p[0]! & 0x0f) * 4;
  const total = (p[2]! << 8) | p[3]!;
  if (ihl < 20 || total !== p.length) throw new RangeError('malformed IPv4 header');
  const baseOffset = ((p[6]! & 0x1f) << 8) | p[7]!;
  const moreAfter = (p[6]! & 0x20) !== 0;
  const chunk = Math.floor((maxSize - ihl) / 8) * 8;
  if (chunk < 8) throw new RangeError(`${maxSize} bytes leave no room for an IPv4 fragment`);
  const out: Uint8Array[] = [];
  for (let at = ihl; at < total; at += chunk) {
    const len = Math.min(chunk, total - at);
    const last = at + len >= total;
    const f = new Uint8Array(ihl + len);
    f.set(p.subarray(0, ihl));
    f.set(p.subarray(at, at + len), ihl);
    f[2] = f.length >> 8;
    f[3] = f.length & 0xff;
    f[4] = id >> 8;
    f[5] = id & 0xff;
    const offset = baseOffset + (at - ihl) / 8;
    f[6] = ((last && !moreAfter ? 0 : 0x20) | (offset >> 8)) & 0x3f; // DF cleared
    f[7] = offset & 0xff;
    f[10] = 0;
    f[11] = 0;
    const c = finish(sumWords(f, 0, ihl));
    f[10] = c >> 8;
    f[11] = c & 0xff;
    out.push(f);
  }
  return out;
}

function fragment6(p: Uint8Array, maxSize: number, id: number): Uint8Array[] {
  const payloadLength = (p[4]! << 8) | p[5]!;
  if (p.length < IPV6_HEADER || payloadLength + IPV6_HEADER !== p.length) throw new RangeError('malformed IPv6 header');
  const next = p[6]!;
  if (next === NEXT_HEADER_FRAGMENT) throw new RangeError('already a fragment');
  const chunk = Math.floor((maxSize - IPV6_HEADER - FRAGMENT_HEADER) / 8) * 8;
  if (chunk < 8) throw new RangeError(`${maxSize} bytes leave no room for an IPv6 fragment`);
  const out: Uint8Array[] = [];
  for (let at = IPV6_HEADER; at < p.length; at += chunk) {
    const len = Math.min(chunk, p.length - at);
    const last = at + len >= p.length;
    const f = new Uint8Array(IPV6_HEADER + FRAGMENT_HEADER + len);
    f.set(p.subarray(0, IPV6_HEADER));
    const pl = FRAGMENT_HEADER + len;
    f[4] = pl >> 8;
    f[5] = pl & 0xff;
    f[6] = NEXT_HEADER_FRAGMENT;
    const h = IPV6_HEADER;
    f[h] = next;
    f[h + 1] = 0;
    const offset = (at - IPV6_HEADER) / 8;
    f[h + 2] = offset >> 5;
    f[h + 3] = ((offset & 0x1f) << 3) | (last ? 0 : 1);
    f[h + 4] = id >>> 24;
    f[h + 5] = (id >>> 16) & 0xff;
    f[h + 6] = (id >>> 8) & 0xff;
    f[h + 7] = id & 0xff;
    f.set(p.subarray(at, at + len), h + FRAGMENT_HEADER);
    out.push(f);
  }
  return out;
}
