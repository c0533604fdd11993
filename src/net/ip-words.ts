// IP addresses in the compact numeric form the addon uses (a view of src/net/ip-address.ts's bytes, which
// parse and format every address): a family and four 32-bit words. For IPv4 (and
// IPv4-mapped IPv6) w0 is the address as a number (10.0.0.1 = 0x0a000001) and w1..w3 are 0; for IPv6 the
// words are the address's four 32-bit groups, most significant first. Comparing sources is then four
// integer compares, and strings are made only when someone asks for one.
import { formatIp as formatIpBytes, parseIp as parseIpBytes } from './ip-address.js';

export type IpFamily = 4 | 6;

export interface IpWords {
  family: IpFamily;
  w0: number;
  w1: number;
  w2: number;
  w3: number;
}

/** Parses an IPv4 or IPv6 address (no zone id); undefined when it is neither. IPv4-mapped IPv6 is IPv4. */
export function parseIp(address: string): IpWords | undefined {
  if (typeof address !== 'string' || address.includes('%')) return undefined;
  let b: Uint8Array;
  try {
    b = parseIpBytes(address);
  } catch {
    return undefined;
  }
  const word = (i: number) => ((b[i]! << 24) | (b[i + 1]! << 16) | (b[i + 2]! << 8) | b[i + 3]!) >>> 0;
  if (b.length === 4) return { family: 4, w0: word(0), w1: 0, w2: 0, w3: 0 };
  const w = [word(0), word(4), word(8), word(12)] as const;
  if (w[0] === 0 && w[1] === 0 && w[2] === 0xffff) return { family: 4, w0: w[3], w1: 0, w2: 0, w3: 0 };
  return { family: 6, w0: w[0], w1: w[1], w2: w[2], w3: w[3] };
}

/** The text form: dotted quad, or RFC 5952 IPv6 (src/net/ip-address.ts formats both). */
export function formatIp(family: IpFamily, w0: number, w1: number, w2: number, w3: number): string {
  const words = family === 4 ? [w0] : [w0, w1, w2, w3];
  const b = new Uint8Array(words.length * 4);
  words.forEach((w, i) => {
    b[i * 4] = w >>> 24;
    b[i * 4 + 1] = (w >>> 16) & 255;
    b[i * 4 + 2] = (w >>> 8) & 255;
    b[i * 4 + 3] = w & 255;
  });
  return formatIpBytes(b);
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
