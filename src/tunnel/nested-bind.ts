// The exit tunnel's "UDP socket": instead of a real socket, its datagrams are wrapped in IP + UDP
// (our entry-tunnel address → the exit gateway's endpoint) and handed to the entry tunnel as
// packets; UDP packets the entry tunnel delivers from the exit endpoint to us are unwrapped and
// handed back. This is how the exit tunnel travels inside the entry tunnel on one TUN.

import type { Bind, Datagram, Endpoint } from '../wireguard/bind.js';
import { parseIp } from '../net/ip-address.js';
import { bytesEqualAt, headerLength, readUdp, udpFields, writeUdpHeaders, type UdpAddress } from '../net/ip-udp.js';
import { fragmentIp } from '../net/ip-fragment.js';

export interface NestedBindOptions {
  /** Our address inside the entry tunnel (the source of the wrapped packets). */
  localAddress: string;
  /** Our UDP port inside the entry tunnel. */
  localPort: number;
  /** The exit gateway's endpoint: the only peer this bind talks to. */
  remote: Endpoint;
  /** Hands wrapped packets to the entry tunnel. */
  sendToEntry: (packets: Uint8Array[]) => void;
  /**
   * The exit device reserves this many bytes in front of its transport messages (Device `headroom`):
   * the headers are then written in place instead of copying each datagram. 0 = always copy.
   */
  deviceHeadroom?: number;
  /**
   * Everything else the entry tunnel delivers (the entry gateway's own answers to us: its metadata service's
   * TCP); dropped when absent. Called synchronously with the entry device's buffer: copy what you keep.
   */
  onOther?: (packet: Uint8Array) => void;
}

/** WireGuard transport messages (type 4) are the ones a Device builds with headroom in front. */
const TRANSPORT = 4;

export interface NestedBindCounters {
  wrapped: number;
  unwrapped: number;
  /** Packets from the entry tunnel that were not the exit tunnel's UDP (handed to onOther, or dropped). */
  foreign: number;
  malformed: number;
}

export class NestedBind implements Bind {
  private handler: (batch: Datagram[]) => void = () => {};
  private readonly local: UdpAddress;
  private readonly remote: UdpAddress;
  private readonly remoteEndpoint: Endpoint;
  private readonly headroom: number;
  private ipId = 0;
  private fragmentId = 0;
  /** Datagrams longer than this go in IP fragments (an MTU black hole on the outer path); none when undefined. */
  private maxPacket: number | undefined;
  private open_ = false;
  private readonly outgoing: Uint8Array[] = [];
  private readonly incoming: Datagram[] = [];
  private readonly fields = udpFields();
  readonly counters: NestedBindCounters = { wrapped: 0, unwrapped: 0, foreign: 0, malformed: 0 };
  /** The entry device reads the wrapped packets during sendToEntry (and copies what it has to keep). */
  readonly sendDoneOnReturn = true;
  /** What we hand the exit device are views into the entry device's plaintexts, used for this call only. */
  readonly receiveInPlace = true;

  constructor(private readonly options: NestedBindOptions) {
    const local = parseIp(options.localAddress);
    const remote = parseIp(options.remote.address);
    if (local.length !== remote.length) throw new TypeError('the entry-tunnel address and the exit endpoint must be the same IP family');
    this.local = { addr: local, port: options.localPort };
    this.remote = { addr: remote, port: options.remote.port };
    this.remoteEndpoint = options.remote;
    this.headroom = headerLength(local.length === 4 ? 4 : 6);
  }

  onReceive(handler: (batch: Datagram[]) => void): void {
    this.handler = handler;
  }

  async open(): Promise<number> {
    this.open_ = true;
    return this.local.port;
  }

  /** Wraps the exit tunnel's datagrams and passes them to the entry tunnel in one batch. */
  send(batch: Datagram[]): void {
    if (!this.open_) return;
    const out = this.outgoing;
    const inPlace = (this.options.deviceHeadroom ?? 0) >= this.headroom;
    for (const d of batch) {
      // The exit device only ever talks to the exit endpoint; anything else would leave the design.
      if (d.endpoint.port !== this.remote.port || d.endpoint.address !== this.remoteEndpoint.address) continue;
      let packet: Uint8Array;
      if (inPlace && d.data[0] === TRANSPORT && d.data.byteOffset >= this.headroom) {
        packet = new Uint8Array(d.data.buffer, d.data.byteOffset - this.headroom, this.headroom + d.data.length);
      } else {
        packet = new Uint8Array(this.headroom + d.data.length);
        packet.set(d.data, this.headroom);
      }
      this.ipId = (this.ipId + 1) & 0xffff;
      writeUdpHeaders(packet, this.local, this.remote, d.data.length, this.ipId);
      if (this.maxPacket !== undefined && packet.length > this.maxPacket) {
        // IPv4 fragments carry the datagram's own id; IPv6 ones a 32-bit id of their own.
        this.fragmentId = (this.fragmentId + 1) >>> 0;
        for (const f of fragmentIp(packet, this.maxPacket, this.local.addr.length === 4 ? this.ipId : this.fragmentId)) out.push(f);
        continue;
      }
      out.push(packet);
    }
    this.counters.wrapped += out.length;
    if (out.length > 0) this.options.sendToEntry(out);
    out.length = 0;
  }

  /**
   * Takes the packets the entry tunnel decrypted: the exit tunnel's UDP goes to the exit device, everything
   * else to onOther (the entry gateway's own traffic with us), or nowhere.
   */
  receiveFromEntry(packets: readonly Uint8Array[]): void {
    if (!this.open_) return;
    const list = this.incoming;
    const f = this.fields;
    const n = this.remote.addr.length;
    let count = 0;
    for (const p of packets) {
      const err = readUdp(p, f);
      if (err !== null) {
        if (err === 'not-udp') {
          this.counters.foreign++;
          this.options.onOther?.(p);
        } else {
          this.counters.malformed++;
        }
        continue;
      }
      if (f.srcPort !== this.remote.port || f.dstPort !== this.local.port || f.family !== (n === 4 ? 4 : 6)
        || !bytesEqualAt(p, f.addrStart, this.remote.addr) || !bytesEqualAt(p, f.addrStart + n, this.local.addr)) {
        this.counters.foreign++;
        this.options.onOther?.(p);
        continue;
      }
      // The Datagram objects are reused from call to call, as the UDP bind does (the handler keeps none).
      const data = p.subarray(f.payloadStart, f.payloadEnd);
      const d = list[count];
      if (d === undefined) list.push({ data, endpoint: this.remoteEndpoint });
      else d.data = data;
      count++;
    }
    list.length = count;
    this.counters.unwrapped += count;
    if (count > 0) this.handler(list);
  }

  /** From now on, datagrams longer than `bytes` leave in IP fragments of at most that size. */
  fragmentAbove(bytes: number): void {
    this.maxPacket = bytes;
  }

  async close(): Promise<void> {
    this.open_ = false;
  }
}
