// Test-side TCP/IPv4 packets, built and parsed by the tests' own code (with their own RFC 1071 checksum), so
// that the userspace TCP is never checked against itself.

export const CLIENT = Uint8Array.of(10, 1, 0, 2);
export const SERVER = Uint8Array.of(10, 1, 0, 1);
export const CPORT = 40001;
export const SPORT = 51830;
export const ISS = 0xfffff000;  // close to the wrap: sequence arithmetic is exercised
export const IRS = 0x7000_0000;

export const F = { FIN: 1, SYN: 2, RST: 4, PSH: 8, ACK: 16 };

/** RFC 1071, written out the slow way. */
export function inetSum(bytes: number[]): number {
  let s = 0;
  for (let i = 0; i < bytes.length; i += 2) s += (bytes[i]! << 8) + (bytes[i + 1] ?? 0);
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return ~s & 0xffff;
}

export interface Parsed {
  ipHeaderOk: boolean;
  tcpOk: boolean;
  df: boolean;
  ttl: number;
  src: number[];
  dst: number[];
  sport: number;
  dport: number;
  seq: number;
  ack: number;
  flags: number;
  window: number;
  options: number[];
  payload: Uint8Array;
  totalLength: number;
}

export function parse(p: Uint8Array): Parsed {
  const b = [...p];
  const ihl = (b[0]! & 15) * 4;
  const total = (b[2]! << 8) | b[3]!;
  const t = ihl;
  const doff = (b[t + 12]! >> 4) * 4;
  const tcpLen = total - ihl;
  const pseudo = [...b.slice(12, 20), 0, 6, tcpLen >> 8, tcpLen & 255];
  return {
    ipHeaderOk: inetSum(b.slice(0, ihl)) === 0 && b[0] === 0x45 && total === p.length,
    tcpOk: inetSum([...pseudo, ...b.slice(t, total)]) === 0,
    df: (b[6]! & 0x40) !== 0 && (b[6]! & 0x3f) === 0 && b[7] === 0,
    ttl: b[8]!,
    src: b.slice(12, 16),
    dst: b.slice(16, 20),
    sport: (b[t]! << 8) | b[t + 1]!,
    dport: (b[t + 2]! << 8) | b[t + 3]!,
    seq: ((b[t + 4]! << 24) | (b[t + 5]! << 16) | (b[t + 6]! << 8) | b[t + 7]!) >>> 0,
    ack: ((b[t + 8]! << 24) | (b[t + 9]! << 16) | (b[t + 10]! << 8) | b[t + 11]!) >>> 0,
    flags: b[t + 13]!,
    window: (b[t + 14]! << 8) | b[t + 15]!,
    options: b.slice(t + 20, t + doff),
    payload: p.slice(t + doff, total),
    totalLength: total,
  };
}

export interface SegOpts {
  seq: number;
  ack?: number;
  flags: number;
  window?: number;
  payload?: Uint8Array;
  options?: number[];
  src?: Uint8Array;
  dst?: Uint8Array;
  sport?: number;
  dport?: number;
}

/** A server segment, checksums by the test's own inetSum. */
export function seg(o: SegOpts): Uint8Array {
  const opts = o.options ?? [];
  const payload = [...(o.payload ?? [])];
  const tcp = [
    (o.sport ?? SPORT) >> 8, (o.sport ?? SPORT) & 255, (o.dport ?? CPORT) >> 8, (o.dport ?? CPORT) & 255,
    ...u32(o.seq >>> 0), ...u32((o.ack ?? 0) >>> 0),
    ((20 + opts.length) / 4) << 4, o.flags, (o.window ?? 65535) >> 8, (o.window ?? 65535) & 255, 0, 0, 0, 0,
    ...opts, ...payload,
  ];
  const total = 20 + tcp.length;
  const src = [...(o.src ?? SERVER)];
  const dst = [...(o.dst ?? CLIENT)];
  const ip = [0x45, 0, total >> 8, total & 255, 0x12, 0x34, 0x40, 0, 64, 6, 0, 0, ...src, ...dst];
  const ic = inetSum(ip);
  ip[10] = ic >> 8; ip[11] = ic & 255;
  const tc = inetSum([...src, ...dst, 0, 6, tcp.length >> 8, tcp.length & 255, ...tcp]);
  tcp[16] = tc >> 8; tcp[17] = tc & 255;
  return Uint8Array.from([...ip, ...tcp]);
}

export function u32(v: number): number[] {
  return [(v >>> 24) & 255, (v >>> 16) & 255, (v >>> 8) & 255, v & 255];
}

export const add = (a: number, n: number): number => (a + n) >>> 0;

