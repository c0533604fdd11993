// A UDP socket that receives with recvmmsg and sends with sendmmsg (the native addon), for the tunnel's
// outer packets. One callback per received batch; sources come in the numeric form of ./ip-address.ts.
import { UdpEndpoint } from './ip-address.js';
import { errnoError, loadNative, type HandleStats, type NativeAddon, type NativeUdpHandle } from './native.js';
import { UdpPacketBatch } from './packet-batch.js';

export { UdpEndpoint } from './ip-address.js';
export { UdpPacketBatch } from './packet-batch.js';

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
}

/** One datagram to send. */
export interface UdpDatagram {
  data: Uint8Array;
  to: UdpEndpoint;
}

export type UdpStats = HandleStats;

const META_STRIDE = 8;
const DEST_STRIDE = 6;

export class UdpBatchSocket {
  private readonly native: NativeAddon;
  private readonly handle: NativeUdpHandle;
  private readonly batch: UdpPacketBatch;
  private packetsCb: ((batch: UdpPacketBatch) => void) | undefined;
  private errorCb: ((err: Error) => void) | undefined;
  private isClosed = false;
  // Reused by send() so that sending allocates nothing once warmed up.
  private dests = new Uint32Array(128 * DEST_STRIDE);
  private readonly datas: Uint8Array[] = [];

  private constructor(native: NativeAddon, opts: UdpBindOptions) {
    const batchSize = opts.batchSize ?? 128;
    const maxPacket = opts.maxPacketSize ?? 4096;
    if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 1024) throw new TypeError('batchSize must be an integer 1-1024');
    if (!Number.isInteger(maxPacket) || maxPacket < 576 || maxPacket > 65535) throw new TypeError('maxPacketSize must be an integer 576-65535');
    const slab = new ArrayBuffer(batchSize * maxPacket);
    const meta = new Uint32Array(batchSize * META_STRIDE);
    this.native = native;
    this.batch = new UdpPacketBatch(Buffer.from(slab), meta, META_STRIDE);
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
    });
  }

  /** Opens and binds a socket (non-blocking, close-on-exec); throws an Error with the errno code on failure. */
  static bind(opts: UdpBindOptions): UdpBatchSocket {
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

  /** 4 for an IPv4 socket, 6 for an IPv6 (dual-stack) one. */
  get family(): 4 | 6 {
    return this.handle.family;
  }

  /** True once close() was called. */
  get closed(): boolean {
    return this.isClosed;
  }

  /** Sets the batch callback and starts receiving; the batch and its packets are valid only during the call. */
  onPackets(cb: (batch: UdpPacketBatch) => void): this {
    if (typeof cb !== 'function') throw new TypeError('callback must be a function');
    this.packetsCb = cb;
    if (!this.isClosed) this.native.start(this.handle);
    return this;
  }

  /** Sets the handler for an error that stopped receiving (without one, such an error is thrown as uncaught). */
  onError(cb: (err: Error) => void): this {
    if (typeof cb !== 'function') throw new TypeError('callback must be a function');
    this.errorCb = cb;
    return this;
  }

  /** Stops receiving until resume(); the socket buffer fills meanwhile. */
  pause(): this {
    if (!this.isClosed) this.native.stop(this.handle);
    return this;
  }

  /** Resumes receiving after pause() (a no-op before onPackets). */
  resume(): this {
    if (!this.isClosed && this.packetsCb !== undefined) this.native.start(this.handle);
    return this;
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

  /** Counters kept by the addon (packets, bytes, drops, errors). */
  stats(): UdpStats {
    return this.native.stats(this.handle);
  }

  /** Lets the open socket keep the process alive (the default). */
  ref(): this {
    this.native.ref(this.handle, true);
    return this;
  }

  /** Lets the process exit even while the socket is open and receiving. */
  unref(): this {
    this.native.ref(this.handle, false);
    return this;
  }

  /** Stops receiving and closes the socket; safe to call twice. */
  close(): void {
    this.isClosed = true;
    this.native.close(this.handle);
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

  private readonly onNative = (count: number, errno: number): void => {
    if (count > 0 && this.packetsCb !== undefined) {
      this.batch.count = count;
      this.packetsCb(this.batch);
    }
    if (errno !== 0) {
      const err = errnoError(errno, 'recvmmsg');
      if (this.errorCb === undefined) throw err;
      this.errorCb(err);
    }
  };
}
