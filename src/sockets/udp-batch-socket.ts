// A UDP socket that receives with recvmmsg and sends with sendmmsg (the native addon), for the tunnel's
// outer packets. One callback per received batch; sources come in the numeric form of ./ip-address.ts.
import { UdpEndpoint } from '../net/ip-words.js';
import { loadNative, type HandleStats, type NativeAddon, type NativeUdpHandle } from '../native/native.js';
import { BatchReader } from '../native/batch-reader.js';
import { UdpPacketBatch } from '../native/packet-batch.js';

export { UdpEndpoint } from '../net/ip-words.js';
export { UdpPacketBatch } from '../native/packet-batch.js';

export interface UdpBindOptions {
  /** Local address: '0.0.0.0' (IPv4 only), '::' (dual-stack: IPv4 and IPv6), or a specific address. */
  address: string;
  /** Local port, 0 for an ephemeral one (see localPort). */
  port: number;
  /** SO_MARK for every packet sent, so policy routing can steer them (upstream NymVPN uses 0x14d). */
  fwmark?: number;
  /** SO_BINDTODEVICE: send and receive only through this interface. */
  device?: string;
  /** SO_RCVBUF and SO_SNDBUF in bytes (forced past net.core.*mem_max as root), default 4 MiB; 0 leaves the kernel's. */
  bufferBytes?: number;
  /** Most datagrams per callback and per sendmmsg call (1-1024, default 128). */
  batchSize?: number;
  /** Largest datagram received whole; longer ones are dropped and counted (576-65535, default 4096). */
  maxPacketSize?: number;
  /**
   * UDP GSO (UDP_SEGMENT, Linux 4.18+): a run of same-size datagrams to one destination leaves in one send,
   * and the kernel cuts it up as late as it can. Default true; where the kernel lacks it or refuses a send
   * (see gsoActive), datagrams go one by one.
   */
  gso?: boolean;
  /**
   * UDP GRO (UDP_GRO, Linux 5.0+): a run of datagrams of one flow that the NIC's GRO merged comes up as one
   * message and is cut here, so the stack and the firewall handled one packet where there were dozens.
   * Receives then go into 64 KB slots, GRO_SLOTS of them per recvmmsg (a 2 MB slab; while nothing merges,
   * only each slot's first page is written). Default true; where the kernel lacks it (see groActive)
   * datagrams come one by one.
   */
  gro?: boolean;
}

/** One datagram to send. */
export interface UdpDatagram {
  data: Uint8Array;
  to: UdpEndpoint;
}

export type UdpStats = HandleStats;

const META_STRIDE = 8;
const DEST_STRIDE = 6;
/** With GRO: 64 KB receive slots per recvmmsg, and the most datagrams the kernel merges into one message. */
const GRO_SLOTS = 32;
const GRO_SLOT_BYTES = 65536;
const GRO_MAX_SEGMENTS = 64;

export class UdpBatchSocket extends BatchReader<UdpPacketBatch, NativeUdpHandle> {
  // Reused by send() so that sending allocates nothing once warmed up.
  private dests = new Uint32Array(128 * DEST_STRIDE);
  private readonly datas: Uint8Array[] = [];

  private constructor(native: NativeAddon, opts: UdpBindOptions) {
    const batchSize = opts.batchSize ?? 128;
    const maxPacket = opts.maxPacketSize ?? 4096;
    if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 1024) throw new TypeError('batchSize must be an integer 1-1024');
    if (!Number.isInteger(maxPacket) || maxPacket < 576 || maxPacket > 65535) throw new TypeError('maxPacketSize must be an integer 576-65535');
    if (opts.gro !== undefined && typeof opts.gro !== 'boolean') throw new TypeError('gro must be a boolean');
    const gro = opts.gro ?? true;
    const groSlots = Math.min(batchSize, GRO_SLOTS);
    const slab = new ArrayBuffer(gro ? Math.max(batchSize * maxPacket, groSlots * GRO_SLOT_BYTES) : batchSize * maxPacket);
    const meta = new Uint32Array((gro ? Math.max(batchSize, groSlots * GRO_MAX_SEGMENTS) : batchSize) * META_STRIDE);
    super(native, new UdpPacketBatch(Buffer.from(slab), meta, META_STRIDE), () => 'recvmmsg');
    this.handle = native.udpOpen({
      address: opts.address,
      port: opts.port,
      fwmark: opts.fwmark,
      device: opts.device,
      bufferBytes: opts.bufferBytes ?? 4 << 20,
      batch: batchSize,
      maxPacket,
      slab,
      meta,
      onBatch: this.onNative,
      gso: opts.gso ?? true,
      gro,
    });
  }

  /** Opens and binds a socket (non-blocking, close-on-exec); throws an Error with the errno code on failure. */
  // `override`: every class inherits Function.prototype.bind; this static is the socket factory.
  static override bind(opts: UdpBindOptions): UdpBatchSocket {
    if (typeof opts !== 'object' || opts === null) throw new TypeError('options must be an object');
    return new UdpBatchSocket(loadNative(), opts);
  }

  /** The bound port (the kernel's choice when bound to port 0). */
  get localPort(): number {
    return this.handle.localPort;
  }

  /** The bound address as text. */
  get localAddress(): string {
    return this.handle.localAddress;
  }

  /** Whether sends use UDP GSO (false if not asked for, not offered by the kernel, or turned off by a refused send). */
  get gsoActive(): boolean {
    if (this.isClosed) return false;
    return this.native.udpGsoActive(this.handle);
  }

  /** Whether receives take merged messages (UDP GRO); false if not asked for or not offered by the kernel. */
  get groActive(): boolean {
    return this.handle.gro;
  }

  /** 4 for an IPv4 socket, 6 for an IPv6 (dual-stack) one. */
  get family(): 4 | 6 {
    return this.handle.family;
  }

  /** Sends each datagram to its endpoint with sendmmsg; returns how many went out (a full buffer drops the rest). */
  send(batch: readonly UdpDatagram[]): number {
    if (!Array.isArray(batch)) throw new TypeError('batch must be an array of { data, to }');
    const n = batch.length;
    const dests = this.destsFor(n);
    const datas = this.datas;
    datas.length = 0;
    for (let i = 0; i < n; i++) {
      const d = batch[i]!;
      const ep = d?.to;
      if (!(ep instanceof UdpEndpoint)) throw new TypeError(`batch[${i}].to must be a UdpEndpoint`);
      datas.push(d.data);
      const o = i * DEST_STRIDE;
      dests[o] = ep.family;
      dests[o + 1] = ep.port;
      dests[o + 2] = ep.w0;
      dests[o + 3] = ep.w1;
      dests[o + 4] = ep.w2;
      dests[o + 5] = ep.w3;
    }
    return this.sendPrepared(datas);
  }

  /** Sends every packet to the same endpoint (the common case: one WireGuard peer); returns how many went out. */
  sendTo(packets: readonly Uint8Array[], to: UdpEndpoint): number {
    if (!Array.isArray(packets)) throw new TypeError('packets must be an array of Buffers or Uint8Arrays');
    if (!(to instanceof UdpEndpoint)) throw new TypeError('to must be a UdpEndpoint');
    const n = packets.length;
    const dests = this.destsFor(n);
    for (let i = 0; i < n; i++) {
      const o = i * DEST_STRIDE;
      dests[o] = to.family;
      dests[o + 1] = to.port;
      dests[o + 2] = to.w0;
      dests[o + 3] = to.w1;
      dests[o + 4] = to.w2;
      dests[o + 5] = to.w3;
    }
    if (this.isClosed) throw this.closedError();
    return this.native.udpSend(this.handle, packets, dests);
  }

  private destsFor(n: number): Uint32Array {
    if (this.dests.length < n * DEST_STRIDE) this.dests = new Uint32Array(n * DEST_STRIDE);
    return this.dests;
  }

  private sendPrepared(datas: Uint8Array[]): number {
    try {
      if (this.isClosed) throw this.closedError();
      return this.native.udpSend(this.handle, datas, this.dests);
    } finally {
      datas.length = 0;  // hold no packet past the call
    }
  }

  private closedError(): Error {
    return Object.assign(new Error('UDP socket is closed'), { code: 'ERR_CLOSED' });
  }
}
