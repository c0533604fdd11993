// A minimal IPv4 TCP client (RFC 9293) as a pure state machine: packets in, packets out, time passed in by
// the caller. It exists for one job: a single HTTP/1.1 exchange with a gateway's metadata service inside the
// entry WireGuard hop, where no kernel socket can reach (the entry hop only carries the exit hop's datagrams,
// which the daemon wraps itself). So it is deliberately small:
//   - one active open, no listen, no simultaneous open, no urgent data, no window scaling, SACK or timestamps
//     (none is offered in our SYN, so a conforming peer uses none);
//   - in-order receive only: a segment that starts beyond RCV.NXT is dropped with a duplicate ACK and the peer
//     retransmits it (answers are under 1 KB, so this costs nothing in practice);
//   - go-back-N retransmission from SND.UNA on a timeout, an RTO from RFC 6298 (1 s to start, doubled per
//     timeout), one fast retransmit on three duplicate ACKs, a small congestion window so that a loss inside
//     two tunnels does not make us blast a whole 64 KB window again;
//   - every incoming packet is validated before a field is trusted (it comes from the network), and nothing
//     an incoming packet holds can make receive() throw: problems are counted in `drops`.
// Sequence numbers are 32-bit and wrap: every comparison goes through seqDiff.

import { finish, sumWords } from './checksum.js';

export const IPV4_HEADER = 20;
export const TCP_HEADER = 20;
const PROTO_TCP = 6;
const DEFAULT_TTL = 64;

// TCP flags (header byte 13).
export const FIN = 0x01;
export const SYN = 0x02;
export const RST = 0x04;
export const PSH = 0x08;
export const ACK = 0x10;

/** Well under any tunnel MTU on the path (WireGuard inside WireGuard), so that our DF packets always fit. */
export const DEFAULT_MSS = 1200;
/** Without window scaling the largest window we can advertise. */
export const MAX_WINDOW = 0xffff;
/** RFC 9293 3.7.1: the MSS assumed when the peer's SYN carries none. */
const DEFAULT_PEER_MSS = 536;
/** A hostile or broken peer announcing MSS 1 would make us cut a request into thousands of packets. */
const MIN_PEER_MSS = 64;
/** RFC 6298 2.1 and 2.4: the first RTO, and the least we go down to. */
const INITIAL_RTO_MS = 1000;
const MIN_RTO_MS = 1000;
const MAX_RTO_MS = 60_000;
/** Transmissions of the same data (the first included) before the connection is given up. */
const DEFAULT_MAX_TRIES = 5;
/** RFC 6928's initial window, in segments. */
const INITIAL_CWND_SEGMENTS = 10;

export enum TcpState {
  Closed = 'CLOSED',
  SynSent = 'SYN-SENT',
  Established = 'ESTABLISHED',
  FinWait1 = 'FIN-WAIT-1',
  FinWait2 = 'FIN-WAIT-2',
  CloseWait = 'CLOSE-WAIT',
  Closing = 'CLOSING',
  LastAck = 'LAST-ACK',
  TimeWait = 'TIME-WAIT',
}

/** Why the connection ended abnormally (never set on an orderly close). */
export type TcpFailure = 'refused' | 'reset' | 'timeout' | 'aborted';

/** Why an incoming packet was not used; counted in `drops`. */
export type TcpDropReason =
  | 'short' | 'not-ipv4' | 'ip-header' | 'ip-length' | 'fragment' | 'not-tcp' | 'ip-checksum'
  | 'wrong-address' | 'tcp-header' | 'tcp-checksum' | 'wrong-port'
  | 'closed' | 'bad-ack' | 'no-ack' | 'unexpected' | 'out-of-window' | 'out-of-order' | 'rst-ignored'
  | 'challenge-ack' | 'future-ack' | 'internal';

export interface TcpEndpoint {
  /** IPv4 address, 4 bytes. */
  addr: Uint8Array;
  port: number;
}

export interface TcpClientOptions {
  local: TcpEndpoint;
  remote: TcpEndpoint;
  /** Initial send sequence number; take it from a CSPRNG (RFC 6528 wants it unguessable). */
  iss: number;
  /** Our MSS, announced in the SYN and the most we ever put in one segment (default 1200). */
  mss?: number;
  /** The receive window we advertise (default and most 65535). */
  receiveWindow?: number;
  /** First RTO (default 1000 ms); tests and a known-fast path may lower it. */
  initialRtoMs?: number;
  /** Lowest RTO the RTT estimate may bring it to (default 1000 ms, RFC 6298 2.4). */
  minRtoMs?: number;
  /** Transmissions of the same segment before giving up (default 5). */
  maxTries?: number;
}

export interface TcpReceived {
  /** Packets to send in answer (ACKs, data the new window allows, RST). */
  packets: Uint8Array[];
  /** In-order payload delivered to the application, in order. */
  data: Uint8Array[];
}

export interface TcpCounters {
  packetsIn: number;
  packetsOut: number;
  bytesIn: number;
  bytesOut: number;
  /** Segments sent again after a timeout or a fast retransmit. */
  retransmits: number;
  timeouts: number;
}

/** a - b in sequence space, as a signed 32-bit number. */
/**
 * The destination port of an IPv4 TCP packet, for handing it to the connection it belongs to (that
 * connection's `receive` checks the rest); undefined for anything else.
 */
export function tcpDestinationPort(p: Uint8Array): number | undefined {
  if (p.length < IPV4_HEADER || p[0]! >> 4 !== 4 || p[9] !== PROTO_TCP) return undefined;
  const ihl = (p[0]! & 0x0f) * 4;
  if (ihl < IPV4_HEADER || p.length < ihl + 4) return undefined;
  return (p[ihl + 2]! << 8) | p[ihl + 3]!;
}

export function seqDiff(a: number, b: number): number {
  return (a - b) | 0;
}

function seqAdd(a: number, n: number): number {
  return (a + n) >>> 0;
}

/** Bytes queued for sending, as the chunks the application wrote; the head is at SND.UNA. */
class SendQueue {
  private chunks: Uint8Array[] = [];
  /** Bytes of chunks[0] already acknowledged. */
  private headOffset = 0;
  length = 0;

  push(data: Uint8Array): void {
    if (data.length === 0) return;
    this.chunks.push(data);
    this.length += data.length;
  }

  /** Drops n acknowledged bytes from the head. */
  drop(n: number): void {
    n = Math.min(n, this.length);
    this.length -= n;
    while (n > 0) {
      const head = this.chunks[0]!;
      const left = head.length - this.headOffset;
      if (n < left) {
        this.headOffset += n;
        return;
      }
      n -= left;
      this.chunks.shift();
      this.headOffset = 0;
    }
  }

  /** A copy of `len` bytes starting `offset` bytes after the head. */
  copy(offset: number, len: number): Uint8Array {
    const out = new Uint8Array(len);
    let skip = offset + this.headOffset;
    let o = 0;
    for (const c of this.chunks) {
      if (o >= len) break;
      if (skip >= c.length) {
        skip -= c.length;
        continue;
      }
      const n = Math.min(c.length - skip, len - o);
      out.set(c.subarray(skip, skip + n), o);
      o += n;
      skip = 0;
    }
    return out;
  }
}

interface Segment {
  seq: number;
  ack: number;
  flags: number;
  window: number;
  /** Announced MSS (SYN only); undefined when absent or malformed. */
  mss: number | undefined;
  payload: Uint8Array;
}

export class TcpClient {
  private st = TcpState.Closed;
  private failure: TcpFailure | undefined;
  readonly drops: Partial<Record<TcpDropReason, number>> = {};
  readonly counters: TcpCounters = { packetsIn: 0, packetsOut: 0, bytesIn: 0, bytesOut: 0, retransmits: 0, timeouts: 0 };

  private readonly local: TcpEndpoint;
  private readonly remote: TcpEndpoint;
  private readonly ourMss: number;
  private readonly rcvWnd: number;
  private readonly maxTries: number;
  private readonly minRto: number;

  private readonly iss: number;
  /** Oldest unacknowledged sequence number. */
  private sndUna: number;
  /** Next sequence number to send (moved back to SND.UNA by go-back-N). */
  private sndNxt: number;
  /** Highest sequence number sent so far: an ACK up to here is for something we sent. */
  private sndMax: number;
  private sndWnd = 0;
  private sndWl1 = 0;
  private sndWl2 = 0;
  private effMss: number;
  private cwnd: number;
  private rcvNxt = 0;

  private readonly queue = new SendQueue();
  /** Sequence number of the queue's first byte (ISS+1 until data is acknowledged). */
  private qSeq: number;
  /** end() was called: a FIN follows the queued data. */
  private finQueued = false;
  /** Our FIN's sequence number, once it has been sent. */
  private finSeq: number | undefined;
  private remoteFin = false;

  /** The RTO from the RTT estimate (or the initial one), before any backoff. */
  private baseRto: number;
  private rto: number;
  private srtt: number | undefined;
  private rttvar = 0;
  /** When the retransmission timer fires (ms, caller's clock); undefined when not armed. */
  private deadline: number | undefined;
  /** Transmissions of the segment at SND.UNA so far. */
  private tries = 0;
  /** The segment being timed for an RTT sample (Karn: never a retransmitted one). */
  private timing: { seq: number; at: number } | undefined;
  private dupAcks = 0;
  private ipId = 0;
  /** connect() was called: CLOSED from then on means over, not "not yet". */
  private opened = false;

  constructor(o: TcpClientOptions) {
    if (o.local.addr.length !== 4 || o.remote.addr.length !== 4) throw new TypeError('IPv4 addresses are 4 bytes');
    for (const p of [o.local.port, o.remote.port]) if (!Number.isInteger(p) || p < 1 || p > 0xffff) throw new TypeError(`bad port ${p}`);
    const mss = o.mss ?? DEFAULT_MSS;
    if (!Number.isInteger(mss) || mss < MIN_PEER_MSS || mss > 0xffff - IPV4_HEADER - TCP_HEADER) throw new TypeError(`bad MSS ${mss}`);
    const wnd = o.receiveWindow ?? MAX_WINDOW;
    if (!Number.isInteger(wnd) || wnd < 1 || wnd > MAX_WINDOW) throw new TypeError(`bad receive window ${wnd}`);
    this.local = { addr: Uint8Array.from(o.local.addr), port: o.local.port };
    this.remote = { addr: Uint8Array.from(o.remote.addr), port: o.remote.port };
    this.iss = o.iss >>> 0;
    this.sndUna = this.sndNxt = this.sndMax = this.iss;
    this.qSeq = seqAdd(this.iss, 1);
    this.ourMss = mss;
    this.effMss = mss;
    this.cwnd = INITIAL_CWND_SEGMENTS * mss;
    this.rcvWnd = wnd;
    this.rto = this.baseRto = o.initialRtoMs ?? INITIAL_RTO_MS;
    this.minRto = o.minRtoMs ?? MIN_RTO_MS;
    this.maxTries = o.maxTries ?? DEFAULT_MAX_TRIES;
  }

  get state(): TcpState {
    return this.st;
  }

  /** Why the connection failed; undefined while it has not (and after an orderly close). */
  get error(): TcpFailure | undefined {
    return this.failure;
  }

  /** The peer's FIN arrived: no more data will be delivered. */
  get remoteEnded(): boolean {
    return this.remoteFin;
  }

  /** Everything written (and the FIN, if end() was called and sent) has been acknowledged. */
  get allAcked(): boolean {
    return this.queue.length === 0 && this.sndUna === this.sndMax && this.st !== TcpState.SynSent;
  }

  /** Bytes written and not yet acknowledged. */
  get queuedBytes(): number {
    return this.queue.length;
  }

  /** The segment size in use: min(our MSS, the peer's). */
  get mss(): number {
    return this.effMss;
  }

  /** Nothing more will happen on this connection (it failed, or both sides closed). */
  get finished(): boolean {
    return this.failure !== undefined || (this.opened && (this.st === TcpState.Closed || this.st === TcpState.TimeWait));
  }

  /** The active open: the SYN to send. */
  connect(now: number): Uint8Array[] {
    if (this.opened || this.failure !== undefined) throw new Error('connect() once, on a new client');
    this.opened = true;
    this.st = TcpState.SynSent;
    this.sndNxt = this.sndMax = seqAdd(this.iss, 1);
    this.tries = 1;
    this.deadline = now + this.rto;
    this.timing = { seq: this.iss, at: now };
    return [this.syn()];
  }

  /** Queues data (also before the handshake completes); answers the segments the windows allow now. */
  write(data: Uint8Array, now: number): Uint8Array[] {
    const open = this.st === TcpState.SynSent || this.st === TcpState.Established || this.st === TcpState.CloseWait
      || (!this.opened && this.failure === undefined);
    if (this.finQueued || !open) throw new Error(`write after ${this.finQueued ? 'end()' : 'the connection closed'}`);
    this.queue.push(Uint8Array.from(data));
    return this.output(now);
  }

  /** Our FIN after the queued data. */
  end(now: number): Uint8Array[] {
    if (this.finQueued || this.finished) return [];
    this.finQueued = true;
    return this.output(now);
  }

  /** Gives the connection up at once: an RST if the peer may hold state. */
  abort(): Uint8Array[] {
    if (this.finished) return [];
    const synchronized = this.st !== TcpState.SynSent && this.st !== TcpState.Closed;
    const seq = this.sndNxt;
    this.fail('aborted');
    // In SYN-SENT the peer has nothing to reset unless our SYN arrived; an RST there needs the SYN-ACK's ack,
    // which we do not have. The peer's retransmitted SYN-ACK will meet our CLOSED state and its RST.
    return synchronized ? [this.packet(seq, 0, RST, undefined)] : [];
  }

  /** When poll() next has something to do (ms, the caller's clock); undefined when nothing is timed. */
  nextTimeoutMs(): number | undefined {
    return this.deadline;
  }

  /** Retransmissions due at `now` (go-back-N from SND.UNA); gives the connection up after maxTries. */
  poll(now: number): Uint8Array[] {
    if (this.deadline === undefined || now < this.deadline) return [];
    this.counters.timeouts++;
    if (this.tries >= this.maxTries) {
      const synchronized = this.st !== TcpState.SynSent;
      const seq = this.sndNxt;
      this.fail('timeout');
      return synchronized ? [this.packet(seq, 0, RST, undefined)] : [];
    }
    this.tries++;
    this.rto = Math.min(this.rto * 2, MAX_RTO_MS);
    this.timing = undefined;
    this.deadline = now + this.rto;
    if (this.st === TcpState.SynSent) {
      this.counters.retransmits++;
      return [this.syn()];
    }
    // RFC 5681 3.1: after a timeout the window starts again from one segment.
    this.cwnd = this.effMss;
    this.sndNxt = this.sndUna;
    const out = this.output(now, true);
    if (out.length === 0 && this.sndWnd === 0) out.push(...this.probe());
    return out;
  }

  /** One incoming IPv4 packet. Never throws for anything the packet holds. */
  receive(packet: Uint8Array, now: number): TcpReceived {
    const result: TcpReceived = { packets: [], data: [] };
    try {
      const seg = this.parse(packet);
      if (typeof seg === 'string') {
        this.drop(seg);
        return result;
      }
      this.counters.packetsIn++;
      this.segmentArrives(seg, now, result);
    } catch {
      // A bug of ours, not the packet's fault; counted so that tests see it, never thrown at the caller's I/O loop.
      this.drop('internal');
    }
    return result;
  }

  // --- incoming -------------------------------------------------------------------------------------------

  private drop(reason: TcpDropReason): void {
    this.drops[reason] = (this.drops[reason] ?? 0) + 1;
  }

  /** Validates the IP and TCP headers, addresses, ports and both checksums. */
  private parse(p: Uint8Array): Segment | TcpDropReason {
    if (!(p instanceof Uint8Array) || p.length < IPV4_HEADER) return 'short';
    if (p[0]! >> 4 !== 4) return 'not-ipv4';
    const ihl = (p[0]! & 0x0f) * 4;
    if (ihl < IPV4_HEADER || ihl > p.length) return 'ip-header';
    const total = (p[2]! << 8) | p[3]!;
    // Bytes after `total` (link padding) are ignored; a total beyond what arrived is a truncated packet.
    if (total < ihl + TCP_HEADER || total > p.length) return 'ip-length';
    if ((p[6]! & 0x3f) !== 0 || p[7]! !== 0) return 'fragment';  // MF or an offset: we never reassemble
    if (p[9] !== PROTO_TCP) return 'not-tcp';
    if (finish(sumWords(p, 0, ihl)) !== 0) return 'ip-checksum';
    for (let i = 0; i < 4; i++) {
      if (p[12 + i] !== this.remote.addr[i] || p[16 + i] !== this.local.addr[i]) return 'wrong-address';
    }
    const t = ihl;
    const tcpLen = total - ihl;
    const doff = (p[t + 12]! >> 4) * 4;
    if (doff < TCP_HEADER || doff > tcpLen) return 'tcp-header';
    if (finish(sumWords(p, 12, 20) + PROTO_TCP + tcpLen + sumWords(p, t, total)) !== 0) return 'tcp-checksum';
    const sport = (p[t]! << 8) | p[t + 1]!;
    const dport = (p[t + 2]! << 8) | p[t + 3]!;
    if (sport !== this.remote.port || dport !== this.local.port) return 'wrong-port';
    const flags = p[t + 13]! & 0x3f;
    return {
      seq: readU32(p, t + 4),
      ack: readU32(p, t + 8),
      flags,
      window: (p[t + 14]! << 8) | p[t + 15]!,
      mss: flags & SYN ? parseMss(p, t + TCP_HEADER, t + doff) : undefined,
      // a copy: the caller may reuse its receive buffer once we return
      payload: p.slice(t + doff, total),
    };
  }

  private segmentArrives(seg: Segment, now: number, r: TcpReceived): void {
    switch (this.st) {
      case TcpState.Closed:
        return this.closedArrives(seg, r);
      case TcpState.SynSent:
        return this.synSentArrives(seg, now, r);
      default:
        return this.synchronizedArrives(seg, now, r);
    }
  }

  /** RFC 9293 3.10.7.1: anything but an RST is answered with one. */
  private closedArrives(seg: Segment, r: TcpReceived): void {
    this.drop('closed');
    if (seg.flags & RST) return;
    if (seg.flags & ACK) r.packets.push(this.packet(seg.ack, 0, RST, undefined));
    else r.packets.push(this.packet(0, seqAdd(seg.seq, segLength(seg)), RST | ACK, undefined));
  }

  /** RFC 9293 3.10.7.3. */
  private synSentArrives(seg: Segment, now: number, r: TcpReceived): void {
    const hasAck = (seg.flags & ACK) !== 0;
    if (hasAck && (seqDiff(seg.ack, this.iss) <= 0 || seqDiff(seg.ack, this.sndMax) > 0)) {
      // not an answer to our SYN (an old connection's segment): reset it, unless it is itself a reset
      this.drop('bad-ack');
      if (!(seg.flags & RST)) r.packets.push(this.packet(seg.ack, 0, RST, undefined));
      return;
    }
    if (seg.flags & RST) {
      // Only an RST acknowledging our SYN refuses the connection; a bare one could be anybody's.
      if (hasAck) this.fail('refused');
      else this.drop('rst-ignored');
      return;
    }
    if (!(seg.flags & SYN)) return this.drop('unexpected');
    if (!hasAck) return this.drop('unexpected');  // simultaneous open: not something a server does to us
    this.rcvNxt = seqAdd(seg.seq, 1);
    this.effMss = Math.min(this.ourMss, Math.max(MIN_PEER_MSS, seg.mss ?? DEFAULT_PEER_MSS));
    this.cwnd = INITIAL_CWND_SEGMENTS * this.effMss;
    this.sndWnd = seg.window;
    this.sndWl1 = seg.seq;
    this.sndWl2 = seg.ack;
    this.st = TcpState.Established;
    this.acked(seg.ack, now);
    // Data on a SYN-ACK is legal but no server sends it; it is not taken (the peer retransmits it).
    // The handshake's ACK goes on its own even with data queued (as Linux does): if the first data segment is
    // lost, the server's first RTT sample is still the real one, not our RTO (a 1 s sample gives it a 3 s RTO).
    r.packets.push(this.ackPacket(), ...this.output(now));
  }

  /** RFC 9293 3.10.7.4, with RFC 5961's challenge ACKs; in-order data only. */
  private synchronizedArrives(seg: Segment, now: number, r: TcpReceived): void {
    // 1. Sequence number: is any of it inside the receive window?
    const len = segLength(seg);
    if (!this.acceptable(seg.seq, len)) {
      this.drop('out-of-window');
      if (!(seg.flags & RST)) r.packets.push(this.ackPacket());
      return;
    }
    // 2. RST: only one at exactly RCV.NXT resets (RFC 5961 3.2); anywhere else in the window it is challenged.
    if (seg.flags & RST) {
      if (seg.seq === this.rcvNxt) {
        this.fail('reset');
      } else {
        this.drop('challenge-ack');
        r.packets.push(this.ackPacket());
      }
      return;
    }
    // 4. A SYN in a synchronized state: challenge ACK (RFC 5961 4.2).
    if (seg.flags & SYN) {
      this.drop('challenge-ack');
      r.packets.push(this.ackPacket());
      return;
    }
    // 5. ACK.
    if (!(seg.flags & ACK)) return this.drop('no-ack');
    if (seqDiff(seg.ack, this.sndMax) > 0) {
      // acknowledges what we never sent
      this.drop('future-ack');
      r.packets.push(this.ackPacket());
      return;
    }
    // RFC 5961 5.2: an ACK far behind SND.UNA is a blind injection, not a late duplicate.
    if (seqDiff(seg.ack, this.sndUna) < -MAX_WINDOW) return this.drop('bad-ack');
    const advanced = seqDiff(seg.ack, this.sndUna) > 0;
    const windowChanged = seg.window !== this.sndWnd;
    if (seqDiff(this.sndWl1, seg.seq) < 0 || (this.sndWl1 === seg.seq && seqDiff(this.sndWl2, seg.ack) <= 0)) {
      this.sndWnd = seg.window;
      this.sndWl1 = seg.seq;
      this.sndWl2 = seg.ack;
    }
    if (seg.window === 0 && this.queue.length > 0) this.tries = 1;  // a live peer answering our window probes
    if (advanced) {
      this.acked(seg.ack, now);
    } else if (seg.ack === this.sndUna && seg.payload.length === 0 && !(seg.flags & FIN) && !windowChanged && this.sndMax !== this.sndUna) {
      // RFC 5681 3.2: the third duplicate ACK means a lost segment; send it again without waiting for the RTO.
      if (++this.dupAcks === 3) r.packets.push(...this.fastRetransmit());
    }
    // 6. Data, in order only. A segment starting before RCV.NXT (a retransmission overlapping what we have)
    // is trimmed; one starting after it is dropped and the duplicate ACK tells the peer where we are.
    let ackNeeded = false;
    let fin = (seg.flags & FIN) !== 0;
    let payload = seg.payload;
    if (payload.length > 0 || fin) {
      const skip = seqDiff(this.rcvNxt, seg.seq);
      if (skip < 0) {
        this.drop('out-of-order');
        r.packets.push(this.ackPacket());
        return;
      }
      payload = payload.subarray(Math.min(skip, payload.length));
      if (skip > seg.payload.length) fin = false;  // the FIN too was already taken
      // Data past the window's right edge is cut (RFC 9293 3.10.7.4 "trimmed"), and the FIN with it.
      if (payload.length > this.rcvWnd) {
        payload = payload.subarray(0, this.rcvWnd);
        fin = false;
      }
      const receiving = this.st === TcpState.Established || this.st === TcpState.FinWait1 || this.st === TcpState.FinWait2;
      if (payload.length > 0 && receiving) {
        r.data.push(payload);
        this.rcvNxt = seqAdd(this.rcvNxt, payload.length);
        this.counters.bytesIn += payload.length;
      }
      ackNeeded = true;
      // 8. FIN: only once everything before it has arrived.
      if (fin && !this.remoteFin && receiving) {
        this.rcvNxt = seqAdd(this.rcvNxt, 1);
        this.remoteFin = true;
        if (this.st === TcpState.Established) this.st = TcpState.CloseWait;
        else if (this.st === TcpState.FinWait1) this.st = TcpState.Closing;
        else this.enterTimeWait();
      }
    }
    const out = this.output(now);
    if (out.length > 0) r.packets.push(...out);  // every segment we send carries the ACK
    else if (ackNeeded) r.packets.push(this.ackPacket());
  }

  /** RFC 9293 3.10.7.4 table: does [seq, seq+len) touch [RCV.NXT, RCV.NXT+RCV.WND)? */
  private acceptable(seq: number, len: number): boolean {
    const start = seqDiff(seq, this.rcvNxt);
    if (len === 0) return start >= 0 && start < this.rcvWnd;
    const end = seqDiff(seqAdd(seq, len - 1), this.rcvNxt);
    return (start >= 0 && start < this.rcvWnd) || (end >= 0 && end < this.rcvWnd);
  }

  /** SND.UNA moves to `ack`: drop the acknowledged bytes, sample the RTT, restart the timer. */
  private acked(ack: number, now: number): void {
    const n = Math.max(0, Math.min(this.queue.length, seqDiff(ack, this.qSeq)));
    if (this.timing !== undefined && seqDiff(ack, this.timing.seq) > 0) {
      this.sample(now - this.timing.at);
      this.timing = undefined;
    }
    this.queue.drop(n);
    this.qSeq = seqAdd(this.qSeq, n);
    this.sndUna = ack;
    if (seqDiff(this.sndNxt, ack) < 0) this.sndNxt = ack;  // after go-back-N, the ACK of what the peer had
    // New data acknowledged: the path works again, so the backoff ends (as Linux does; RFC 6298 5.7 allows it).
    this.tries = 1;
    this.rto = this.baseRto;
    this.dupAcks = 0;
    // slow start per acknowledging segment (RFC 5681 3.1); the SYN's ACK acknowledges no data
    if (n > 0) this.cwnd = Math.min(this.cwnd + this.effMss, 16 * MAX_WINDOW);
    if (this.finSeq !== undefined && seqDiff(ack, this.finSeq) > 0) {
      if (this.st === TcpState.FinWait1) this.st = TcpState.FinWait2;
      else if (this.st === TcpState.Closing) this.enterTimeWait();
      else if (this.st === TcpState.LastAck) this.st = TcpState.Closed;
    }
    this.deadline = this.sndUna === this.sndMax || this.finished ? undefined : now + this.rto;
  }

  /** RFC 6298 2.2-2.3. */
  private sample(rtt: number): void {
    if (this.srtt === undefined) {
      this.srtt = rtt;
      this.rttvar = rtt / 2;
    } else {
      this.rttvar = 0.75 * this.rttvar + 0.25 * Math.abs(this.srtt - rtt);
      this.srtt = 0.875 * this.srtt + 0.125 * rtt;
    }
    this.rto = this.baseRto = Math.min(MAX_RTO_MS, Math.max(this.minRto, this.srtt + Math.max(1, 4 * this.rttvar)));
  }

  private enterTimeWait(): void {
    // No 2*MSL timer: the caller drops this object when it is done with it. Until then a retransmitted FIN
    // is still answered (it is out of window, which earns an ACK).
    this.st = TcpState.TimeWait;
    this.deadline = undefined;
  }

  private fail(why: TcpFailure): void {
    this.failure = why;
    this.st = TcpState.Closed;
    this.deadline = undefined;
  }

  // --- outgoing -------------------------------------------------------------------------------------------

  /** Sends what the peer's window and our congestion window allow from SND.NXT, and the FIN after the data. */
  private output(now: number, retransmission = false): Uint8Array[] {
    const out: Uint8Array[] = [];
    if (this.st !== TcpState.Established && this.st !== TcpState.CloseWait && !this.finalizing()) return out;
    const dataEnd = seqAdd(this.qSeq, this.queue.length);
    const wndEnd = seqAdd(this.sndUna, Math.min(this.sndWnd, this.cwnd));
    for (;;) {
      const unsent = seqDiff(dataEnd, this.sndNxt);
      const n = Math.max(0, Math.min(unsent, seqDiff(wndEnd, this.sndNxt), this.effMss));
      // The FIN goes with (or after) the last byte; it is sent again after a go-back-N like any data.
      const fin = this.finQueued && n === unsent && unsent >= 0;
      if (n === 0 && !fin) break;
      const payload = n > 0 ? this.queue.copy(seqDiff(this.sndNxt, this.qSeq), n) : undefined;
      const flags = ACK | (payload ? PSH : 0) | (fin ? FIN : 0);
      const seq = this.sndNxt;
      out.push(this.packet(seq, this.rcvNxt, flags, payload));
      this.sndNxt = seqAdd(seq, n + (fin ? 1 : 0));
      if (seqDiff(this.sndNxt, this.sndMax) > 0) {
        this.counters.bytesOut += Math.min(n, seqDiff(this.sndNxt, this.sndMax));
        this.sndMax = this.sndNxt;
        if (this.timing === undefined && !retransmission) this.timing = { seq, at: now };
      } else {
        this.counters.retransmits++;
      }
      if (fin) {
        this.finSeq = dataEnd;
        if (this.st === TcpState.Established) this.st = TcpState.FinWait1;
        else if (this.st === TcpState.CloseWait) this.st = TcpState.LastAck;
        break;
      }
    }
    if (out.length > 0 && this.deadline === undefined) this.deadline = now + this.rto;
    // A zero window with data waiting: keep a timer so that poll() probes it (the persist timer, RFC 9293 3.8.6.1).
    if (this.deadline === undefined && this.sndWnd === 0 && seqDiff(dataEnd, this.sndNxt) > 0) this.deadline = now + this.rto;
    return out;
  }

  /** Our FIN is out and not yet acknowledged: go-back-N may have to send it (and data before it) again. */
  private finalizing(): boolean {
    return this.st === TcpState.FinWait1 || this.st === TcpState.Closing || this.st === TcpState.LastAck;
  }

  /** A zero-window probe: one byte past the window, as RFC 9293 3.8.6.1 allows. */
  private probe(): Uint8Array[] {
    const offset = seqDiff(this.sndNxt, this.qSeq);
    if (offset < 0 || offset >= this.queue.length) return [];
    const seq = this.sndNxt;
    this.sndNxt = seqAdd(seq, 1);
    if (seqDiff(this.sndNxt, this.sndMax) > 0) this.sndMax = this.sndNxt;
    this.counters.retransmits++;
    return [this.packet(seq, this.rcvNxt, ACK | PSH, this.queue.copy(offset, 1))];
  }

  /** The segment at SND.UNA again, once per loss (RFC 5681 3.2 without the window inflation). */
  private fastRetransmit(): Uint8Array[] {
    const sentData = Math.max(0, Math.min(this.queue.length, seqDiff(this.sndMax, this.qSeq)));
    const n = Math.min(this.effMss, sentData);
    const fin = this.finSeq !== undefined && n === this.queue.length;
    if (n === 0 && !fin) return [];
    this.counters.retransmits++;
    this.timing = undefined;
    this.cwnd = Math.max(2 * this.effMss, this.cwnd >> 1);
    const flags = ACK | (n > 0 ? PSH : 0) | (fin ? FIN : 0);
    return [this.packet(this.qSeq, this.rcvNxt, flags, n > 0 ? this.queue.copy(0, n) : undefined)];
  }

  private syn(): Uint8Array {
    const opts = new Uint8Array([2, 4, this.ourMss >> 8, this.ourMss & 0xff]);
    return this.packet(this.iss, 0, SYN, undefined, opts);
  }

  private ackPacket(): Uint8Array {
    return this.packet(this.sndNxt, this.rcvNxt, ACK, undefined);
  }

  /** A whole IPv4 packet: DF set, both checksums filled in. */
  private packet(seq: number, ack: number, flags: number, payload: Uint8Array | undefined, options?: Uint8Array): Uint8Array {
    const optLen = options?.length ?? 0;
    const tcpLen = TCP_HEADER + optLen + (payload?.length ?? 0);
    const total = IPV4_HEADER + tcpLen;
    const p = new Uint8Array(total);
    const id = this.ipId;
    this.ipId = (this.ipId + 1) & 0xffff;
    p[0] = 0x45;
    p[2] = total >> 8; p[3] = total & 0xff;
    p[4] = id >> 8; p[5] = id & 0xff;
    p[6] = 0x40;  // DF: the path's MTU is what the MSS was chosen for
    p[8] = DEFAULT_TTL; p[9] = PROTO_TCP;
    p.set(this.local.addr, 12);
    p.set(this.remote.addr, 16);
    const ic = finish(sumWords(p, 0, IPV4_HEADER));
    p[10] = ic >> 8; p[11] = ic & 0xff;
    const t = IPV4_HEADER;
    p[t] = this.local.port >> 8; p[t + 1] = this.local.port & 0xff;
    p[t + 2] = this.remote.port >> 8; p[t + 3] = this.remote.port & 0xff;
    writeU32(p, t + 4, seq);
    writeU32(p, t + 8, flags & ACK ? ack : 0);
    p[t + 12] = ((TCP_HEADER + optLen) / 4) << 4;
    p[t + 13] = flags;
    p[t + 14] = this.rcvWnd >> 8; p[t + 15] = this.rcvWnd & 0xff;
    if (options) p.set(options, t + TCP_HEADER);
    if (payload) p.set(payload, t + TCP_HEADER + optLen);
    const tc = finish(sumWords(p, 12, 20) + PROTO_TCP + tcpLen + sumWords(p, t, total));
    p[t + 16] = tc >> 8; p[t + 17] = tc & 0xff;
    this.counters.packetsOut++;
    return p;
  }
}

/** SEG.LEN: data plus one for each of SYN and FIN. */
function segLength(seg: Segment): number {
  return seg.payload.length + (seg.flags & SYN ? 1 : 0) + (seg.flags & FIN ? 1 : 0);
}

/** The MSS option of a SYN; a malformed option list is read as far as it is well-formed. */
function parseMss(p: Uint8Array, start: number, end: number): number | undefined {
  let i = start;
  while (i < end) {
    const kind = p[i]!;
    if (kind === 0) return undefined;
    if (kind === 1) {
      i++;
      continue;
    }
    if (i + 1 >= end) return undefined;
    const len = p[i + 1]!;
    if (len < 2 || i + len > end) return undefined;
    if (kind === 2) return len === 4 ? (p[i + 2]! << 8) | p[i + 3]! : undefined;
    i += len;
  }
  return undefined;
}

function readU32(p: Uint8Array, i: number): number {
  return ((p[i]! << 24) | (p[i + 1]! << 16) | (p[i + 2]! << 8) | p[i + 3]!) >>> 0;
}

function writeU32(p: Uint8Array, i: number, v: number): void {
  p[i] = (v >>> 24) & 0xff; p[i + 1] = (v >>> 16) & 0xff; p[i + 2] = (v >>> 8) & 0xff; p[i + 3] = v & 0xff;
}
