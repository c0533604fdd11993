// IP packet builders for tests and benches: a valid IPv4/IPv6 header (protocol 17) and a payload.
import { parseIp } from '../../src/net/ip-address.js';

/** A minimal IPv4/UDP-ish packet: valid IPv4 header (protocol 17) + payload. */
export function ipv4Packet(src: string, dst: string, payload: Uint8Array | number): Uint8Array {
  const body = typeof payload === 'number' ? new Uint8Array(payload).map((_, i) => i & 0xff) : payload;
  const p = new Uint8Array(20 + body.length);
  p[0] = 0x45;
  p[2] = p.length >> 8;
  p[3] = p.length & 0xff;
  p[8] = 64;
  p[9] = 17;
  p.set(parseIp(src), 12);
  p.set(parseIp(dst), 16);
  p.set(body, 20);
  return p;
}

export function ipv6Packet(src: string, dst: string, payload: Uint8Array | number): Uint8Array {
  const body = typeof payload === 'number' ? new Uint8Array(payload).map((_, i) => (i * 7) & 0xff) : payload;
  const p = new Uint8Array(40 + body.length);
  p[0] = 0x60;
  p[4] = body.length >> 8;
  p[5] = body.length & 0xff;
  p[6] = 17;
  p[7] = 64;
  p.set(parseIp(src), 8);
  p.set(parseIp(dst), 24);
  p.set(body, 40);
  return p;
}
