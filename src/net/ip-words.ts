// IP addresses in the compact numeric form the addon uses: a family and four 32-bit words. For IPv4 (and
// IPv4-mapped IPv6) w0 is the address as a number (10.0.0.1 = 0x0a000001) and w1..w3 are 0; for IPv6 the
// words are the address's four 32-bit groups, most significant first. Comparing sources is then four
// integer compares, and strings are made only when someone asks for one.
import { isIPv4, isIPv6 } from 'node:net';

export type IpFamily = 4 | 6;

export interface IpWords {
  family: IpFamily;
  w0: number;
  w1: number;
  w2: number;
  w3: number;
}

function parse4(s: string): number {
  const p = s.split('.');
  return ((+p[0]! << 24) | (+p[1]! << 16) | (+p[2]! << 8) | +p[3]!) >>> 0;
}

/** Parses an IPv4 or IPv6 address (no zone id); undefined when it is neither. */
export function parseIp(address: string): IpWords | undefined {
  if (isIPv4(address)) return { family: 4, w0: parse4(address), w1: 0, w2: 0, w3: 0 };
  if (!isIPv6(address) || address.includes('%')) return undefined;
  let s = address.toLowerCase();
  const tailStart = s.lastIndexOf(':') + 1;
  if (s.includes('.', tailStart)) {
    // A dotted IPv4 tail becomes two hex groups.
    const v4 = parse4(s.slice(tailStart));
    s = `${s.slice(0, tailStart)}${(v4 >>> 16).toString(16)}:${(v4 & 0xffff).toString(16)}`;
  }
  const [head, tail] = s.split('::') as [string, string | undefined];
  const hg = head === '' ? [] : head.split(':');
  const tg = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups = tail === undefined ? hg : [...hg, ...new Array<string>(8 - hg.length - tg.length).fill('0'), ...tg];
  const g = groups.map((x) => parseInt(x, 16));
  const w = [0, 1, 2, 3].map((i) => ((g[2 * i]! << 16) | g[2 * i + 1]!) >>> 0) as [number, number, number, number];
  if (w[0] === 0 && w[1] === 0 && w[2] === 0xffff) return { family: 4, w0: w[3], w1: 0, w2: 0, w3: 0 };
  return { family: 6, w0: w[0], w1: w[1], w2: w[2], w3: w[3] };
}

/** The text form: dotted quad, or RFC 5952 IPv6 (lower case, longest zero run as '::'). */
export function formatIp(family: IpFamily, w0: number, w1: number, w2: number, w3: number): string {
  if (family === 4) return `${w0 >>> 24}.${(w0 >>> 16) & 255}.${(w0 >>> 8) & 255}.${w0 & 255}`;
  const g = [w0, w1, w2, w3].flatMap((w) => [w >>> 16, w & 0xffff]);
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (a: number[]): string => a.map((x) => x.toString(16)).join(':');
  if (best < 0) return hex(g);
  return `${hex(g.slice(0, best))}::${hex(g.slice(best + bestLen))}`;
}

/** A UDP destination or source, parsed once so sending to it costs no string work. */
export class UdpEndpoint implements IpWords {
  private constructor(
    readonly family: IpFamily,
    readonly w0: number,
    readonly w1: number,
    readonly w2: number,
    readonly w3: number,
    readonly port: number,
  ) {}

  /** Parses "address" + port; throws a TypeError for a bad address or port (1-65535). */
  static parse(address: string, port: number): UdpEndpoint {
    const ip = typeof address === 'string' ? parseIp(address) : undefined;
    if (ip === undefined) throw new TypeError(`not an IP address: ${String(address)}`);
    return UdpEndpoint.fromWords(ip.family, ip.w0, ip.w1, ip.w2, ip.w3, port);
  }

  /** Builds an endpoint from the numeric form (as found in a received batch's meta). */
  static fromWords(family: IpFamily, w0: number, w1: number, w2: number, w3: number, port: number): UdpEndpoint {
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new TypeError(`bad UDP port: ${String(port)}`);
    if (family !== 4 && family !== 6) throw new TypeError(`bad address family: ${String(family)}`);
    return family === 4 ? new UdpEndpoint(4, w0 >>> 0, 0, 0, 0, port) : new UdpEndpoint(6, w0 >>> 0, w1 >>> 0, w2 >>> 0, w3 >>> 0, port);
  }

  /** The address as text. */
  get address(): string {
    return formatIp(this.family, this.w0, this.w1, this.w2, this.w3);
  }

  /** True when both name the same address and port. */
  equals(o: UdpEndpoint): boolean {
    return this.port === o.port && this.family === o.family && this.w0 === o.w0 && this.w1 === o.w1 && this.w2 === o.w2 && this.w3 === o.w3;
  }

  /** "1.2.3.4:51820" or "[fd00::1]:51820". */
  toString(): string {
    return this.family === 4 ? `${this.address}:${this.port}` : `[${this.address}]:${this.port}`;
  }
}
