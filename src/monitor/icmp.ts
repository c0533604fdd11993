// ICMP/ICMPv6 echo requests and replies, built and recognised without sockets: the connection
// monitor injects them into the tunnel and picks the replies out before they reach the TUN. Pure.

import { finish, sumWords } from '../net/checksum.js';
import { parseIp } from '../net/ip-address.js';

const ICMP = 1;
const ICMPV6 = 58;

export interface EchoId {
  id: number;
  seq: number;
}

/** An echo request from `src` to `dst` (same family) with a small payload. */
export function echoRequest(src: string, dst: string, e: EchoId, payload = new Uint8Array(16)): Uint8Array {
  const s = parseIp(src);
  const d = parseIp(dst);
  if (s.length !== d.length) throw new TypeError('echo source and destination differ in family');
  const v4 = s.length === 4;
  const ipLen = v4 ? 20 : 40;
  const icmpLen = 8 + payload.length;
  const p = new Uint8Array(ipLen + icmpLen);
  if (v4) {
    p[0] = 0x45;
    p[2] = (ipLen + icmpLen) >> 8; p[3] = (ipLen + icmpLen) & 0xff;
    p[6] = 0x40; p[8] = 64; p[9] = ICMP;
    p.set(s, 12); p.set(d, 16);
    const hc = finish(sumWords(p, 0, 20));
    p[10] = hc >> 8; p[11] = hc & 0xff;
  } else {
    p[0] = 0x60;
    p[4] = icmpLen >> 8; p[5] = icmpLen & 0xff;
    p[6] = ICMPV6; p[7] = 64;
    p.set(s, 8); p.set(d, 24);
  }
  const o = ipLen;
  p[o] = v4 ? 8 : 128; // echo request
  p[o + 4] = e.id >> 8; p[o + 5] = e.id & 0xff;
  p[o + 6] = e.seq >> 8; p[o + 7] = e.seq & 0xff;
  p.set(payload, o + 8);
  const pseudo = v4 ? 0 : sumWords(p, 8, 40) + icmpLen + ICMPV6;
  const c = finish(pseudo + sumWords(p, o, o + icmpLen));
  p[o + 2] = c >> 8; p[o + 3] = c & 0xff;
  return p;
}

/** The id/seq of an echo reply, or null when the packet is anything else. */
export function echoReply(p: Uint8Array): EchoId | null {
  if (p.length < 28) return null;
  const v = p[0]! >> 4;
  let o: number;
  if (v === 4) {
    o = (p[0]! & 0x0f) * 4;
    if (p[9] !== ICMP || p.length < o + 8 || p[o] !== 0) return null;
  } else if (v === 6) {
    o = 40;
    if (p[6] !== ICMPV6 || p.length < o + 8 || p[o] !== 129) return null;
  } else {
    return null;
  }
  return { id: (p[o + 4]! << 8) | p[o + 5]!, seq: (p[o + 6]! << 8) | p[o + 7]! };
}
