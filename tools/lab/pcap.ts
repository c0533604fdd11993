// Reads a classic pcap file (what `tcpdump -w` writes) into one summary per packet: family, protocol,
// addresses, ports, ICMP type. Pure: bytes in, summaries out. Link types: Ethernet (veths, bridges),
// raw IP (TUN devices), Linux cooked v1/v2 (`-i any`).
import { formatIp } from '../../src/net/ip-address.js';

export type PacketProto = 'tcp' | 'udp' | 'icmp' | 'icmp6' | 'arp' | 'other';

export interface PacketSummary {
  /** Seconds since the epoch (fractional). */
  time: number;
  /** Length on the wire (not the captured part). */
  length: number;
  /** 4 or 6 for IP packets; undefined for ARP and others. */
  family: 4 | 6 | undefined;
  proto: PacketProto;
  /** IP protocol / next header number (after IPv6 extension headers); undefined for non-IP. */
  ipProto: number | undefined;
  src: string | undefined;
  dst: string | undefined;
  sport: number | undefined;
  dport: number | undefined;
  /** ICMP / ICMPv6 type. */
  icmpType: number | undefined;
  /** A non-first IP fragment: no transport header. */
  fragment: boolean;
}

const LINKTYPE = { ETHERNET: 1, RAW: 101, DLT_RAW_A: 12, DLT_RAW_B: 14, LINUX_SLL: 113, LINUX_SLL2: 276 } as const;
const ETHERTYPE = { IPV4: 0x0800, IPV6: 0x86dd, ARP: 0x0806, VLAN: 0x8100, QINQ: 0x88a8 } as const;
const IPV6_EXTENSIONS = new Set([0, 43, 60]);

function empty(time: number, length: number): PacketSummary {
  return { time, length, family: undefined, proto: 'other', ipProto: undefined, src: undefined, dst: undefined, sport: undefined, dport: undefined, icmpType: undefined, fragment: false };
}

function transport(p: PacketSummary, ipProto: number, l4: Uint8Array): void {
  p.ipProto = ipProto;
  const view = new DataView(l4.buffer, l4.byteOffset, l4.byteLength);
  if ((ipProto === 6 || ipProto === 17) && !p.fragment) {
    p.proto = ipProto === 6 ? 'tcp' : 'udp';
    if (l4.length >= 4) {
      p.sport = view.getUint16(0);
      p.dport = view.getUint16(2);
    }
  } else if ((ipProto === 1 || ipProto === 58) && !p.fragment) {
    p.proto = ipProto === 1 ? 'icmp' : 'icmp6';
    if (l4.length >= 1) p.icmpType = l4[0];
  } else if (ipProto === 6 || ipProto === 17) {
    p.proto = ipProto === 6 ? 'tcp' : 'udp';
  }
}

function parseIpPacket(p: PacketSummary, b: Uint8Array): void {
  const version = b.length > 0 ? b[0]! >> 4 : 0;
  if (version === 4 && b.length >= 20) {
    const ihl = (b[0]! & 0x0f) * 4;
    p.family = 4;
    p.src = formatIp(b.subarray(12, 16));
    p.dst = formatIp(b.subarray(16, 20));
    p.fragment = (((b[6]! << 8) | b[7]!) & 0x1fff) !== 0;
    transport(p, b[9]!, b.subarray(ihl));
  } else if (version === 6 && b.length >= 40) {
    p.family = 6;
    p.src = formatIp(b.subarray(8, 24));
    p.dst = formatIp(b.subarray(24, 40));
    let next = b[6]!;
    let off = 40;
    while (off + 8 <= b.length) {
      if (IPV6_EXTENSIONS.has(next)) {
        const len = (b[off + 1]! + 1) * 8;
        next = b[off]!;
        off += len;
      } else if (next === 44) {  // fragment header: fixed 8 bytes
        p.fragment = (((b[off + 2]! << 8) | b[off + 3]!) & 0xfff8) !== 0;
        next = b[off]!;
        off += 8;
      } else {
        break;
      }
    }
    transport(p, next, b.subarray(Math.min(off, b.length)));
  }
}

function parseEthertype(p: PacketSummary, type: number, payload: Uint8Array): void {
  if (type === ETHERTYPE.IPV4 || type === ETHERTYPE.IPV6) parseIpPacket(p, payload);
  else if (type === ETHERTYPE.ARP) p.proto = 'arp';
}

function parseFrame(linktype: number, frame: Uint8Array, p: PacketSummary): void {
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  switch (linktype) {
    case LINKTYPE.ETHERNET: {
      let off = 12;
      let type = frame.length >= 14 ? view.getUint16(off) : 0;
      while ((type === ETHERTYPE.VLAN || type === ETHERTYPE.QINQ) && frame.length >= off + 6) {
        off += 4;
        type = view.getUint16(off);
      }
      parseEthertype(p, type, frame.subarray(off + 2));
      return;
    }
    case LINKTYPE.RAW:
    case LINKTYPE.DLT_RAW_A:
    case LINKTYPE.DLT_RAW_B:
      parseIpPacket(p, frame);
      return;
    case LINKTYPE.LINUX_SLL:
      if (frame.length >= 16) parseEthertype(p, view.getUint16(14), frame.subarray(16));
      return;
    case LINKTYPE.LINUX_SLL2:
      if (frame.length >= 20) parseEthertype(p, view.getUint16(0), frame.subarray(20));
      return;
    default:
      return;
  }
}

/** Parses a whole pcap file; a truncated last record (capture stopped mid-write) is ignored. */
export function parsePcap(file: Uint8Array): PacketSummary[] {
  if (file.length < 24) return [];
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const magicLe = view.getUint32(0, true);
  const magicBe = view.getUint32(0, false);
  const known = [0xa1b2c3d4, 0xa1b23c4d];
  if (!known.includes(magicLe) && !known.includes(magicBe)) throw new Error(`not a pcap file (magic ${magicBe.toString(16)})`);
  const le = known.includes(magicLe);
  const nano = (le ? magicLe : magicBe) === 0xa1b23c4d;
  const linktype = view.getUint32(20, le) & 0x0fffffff;
  const out: PacketSummary[] = [];
  for (let off = 24; off + 16 <= file.length;) {
    const sec = view.getUint32(off, le);
    const frac = view.getUint32(off + 4, le);
    const incl = view.getUint32(off + 8, le);
    const orig = view.getUint32(off + 12, le);
    if (off + 16 + incl > file.length) break;
    const p = empty(sec + frac / (nano ? 1e9 : 1e6), orig);
    parseFrame(linktype, file.subarray(off + 16, off + 16 + incl), p);
    out.push(p);
    off += 16 + incl;
  }
  return out;
}

/** ARP and IPv6 neighbour discovery / router solicitation: link housekeeping, not traffic. */
export function isLinkControl(p: PacketSummary): boolean {
  return p.proto === 'arp' || (p.proto === 'icmp6' && p.icmpType !== undefined && p.icmpType >= 133 && p.icmpType <= 137)
    || (p.proto === 'icmp6' && p.icmpType === 143);  // MLDv2 reports
}

export interface Endpoint {
  host: string;
  port: number;
}

/**
 * The packets that are neither link housekeeping nor UDP between us and one of the endpoints (either
 * direction): on the router's WAN while connected, everything here is a leak.
 */
export function outsideTunnel(packets: readonly PacketSummary[], endpoints: readonly Endpoint[]): PacketSummary[] {
  const isTunnel = (p: PacketSummary) => p.proto === 'udp' && endpoints.some((e) =>
    (p.dst === e.host && p.dport === e.port) || (p.src === e.host && p.sport === e.port));
  return packets.filter((p) => !isLinkControl(p) && !isTunnel(p));
}

/** One line per packet, tcpdump-like, for failure messages. */
export function formatPacket(p: PacketSummary): string {
  const port = (a: string | undefined, n: number | undefined) => (a === undefined ? '?' : n === undefined ? a : a.includes(':') ? `[${a}]:${n}` : `${a}:${n}`);
  const extra = p.icmpType !== undefined ? ` type ${p.icmpType}` : '';
  return `${p.time.toFixed(6)} ${p.proto}${p.fragment ? ' frag' : ''} ${port(p.src, p.sport)} > ${port(p.dst, p.dport)}${extra} len ${p.length}`;
}
