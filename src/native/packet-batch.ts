// The batch handed to onPackets callbacks. One object per device, reused for every batch: the addon reads
// packets into a JS-owned slab and writes [offset, length, ...] per packet into meta, then calls JS once.
// Packets are views into the slab, so they are valid only until the callback returns: copy what you keep.
import { formatIp, UdpEndpoint, type IpFamily } from '../net/ip-words.js';

export class PacketBatch {
  /** Packets in this batch. */
  count = 0;

  constructor(
    /** The slab the packets were read into (reused by the next batch). */
    readonly slab: Buffer,
    /** stride uint32 per packet; [offset, length] first. */
    readonly meta: Uint32Array,
    readonly stride: number,
  ) {}

  /** Byte offset of packet i in slab. */
  offset(i: number): number {
    return this.meta[this.check(i) * this.stride]!;
  }

  /** Length of packet i in bytes. */
  length(i: number): number {
    return this.meta[this.check(i) * this.stride + 1]!;
  }

  /** Packet i as a view into the slab (valid only during the callback). */
  packet(i: number): Buffer {
    const o = this.check(i) * this.stride;
    const off = this.meta[o]!;
    return this.slab.subarray(off, off + this.meta[o + 1]!);
  }

  /** Packet i copied out of the slab (safe to keep). */
  copy(i: number): Buffer {
    return Buffer.from(this.packet(i));
  }

  /** All packets as views (valid only during the callback). */
  packets(): Buffer[] {
    const out = new Array<Buffer>(this.count);
    for (let i = 0; i < this.count; i++) out[i] = this.packet(i);
    return out;
  }

  protected check(i: number): number {
    if (!(i >= 0 && i < this.count) || !Number.isInteger(i)) throw new RangeError(`packet index ${i} out of 0..${this.count - 1}`);
    return i;
  }
}

/** A received UDP batch: meta per packet is [offset, length, family, port, w0, w1, w2, w3]. */
export class UdpPacketBatch extends PacketBatch {
  /** Source address family of packet i (IPv4-mapped IPv6 sources are reported as 4). */
  family(i: number): IpFamily {
    return this.meta[this.check(i) * this.stride + 2] as IpFamily;
  }

  /** Source port of packet i. */
  port(i: number): number {
    return this.meta[this.check(i) * this.stride + 3]!;
  }

  /** Source address of packet i as text (allocates; prefer isFrom for comparisons). */
  address(i: number): string {
    const o = this.check(i) * this.stride;
    const m = this.meta;
    return formatIp(m[o + 2] as IpFamily, m[o + 4]!, m[o + 5]!, m[o + 6]!, m[o + 7]!);
  }

  /** Source of packet i as an endpoint (allocates; fit for replying with send()). */
  source(i: number): UdpEndpoint {
    const o = this.check(i) * this.stride;
    const m = this.meta;
    return UdpEndpoint.fromWords(m[o + 2] as IpFamily, m[o + 4]!, m[o + 5]!, m[o + 6]!, m[o + 7]!, m[o + 3]!);
  }

  /** Whether packet i came from ep (integer compares only). */
  isFrom(i: number, ep: UdpEndpoint): boolean {
    const o = this.check(i) * this.stride;
    const m = this.meta;
    return m[o + 3] === ep.port && m[o + 2] === ep.family && m[o + 4] === ep.w0 && m[o + 5] === ep.w1 &&
      m[o + 6] === ep.w2 && m[o + 7] === ep.w3;
  }
}
