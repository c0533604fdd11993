// A Linux TUN device (IFF_TUN | IFF_NO_PI: one IP packet per read/write) driven by the native addon:
// the fd is polled by libuv, readable => up to batchSize packets are read and handed over in one callback.
// Addresses, MTU and up/down are set with ./link.ts.
import { errnoError, loadNative, type HandleStats, type NativeAddon, type NativeTunHandle } from './native.js';
import { PacketBatch } from './packet-batch.js';

export interface TunOptions {
  /** Most packets per callback (1-1024, default 128). */
  batchSize?: number;
  /** Room given to each read; must be >= the device MTU or packets are cut (576-65535, default 65535). */
  maxPacketSize?: number;
}

export type TunStats = HandleStats;

/** Room per packet in the slab beyond the first: packets are packed, so this is an average, not a limit. */
const SLAB_BYTES_PER_PACKET = 2048;

export class TunDevice {
  private readonly native: NativeAddon;
  private readonly handle: NativeTunHandle;
  private readonly batch: PacketBatch;
  private packetsCb: ((batch: PacketBatch) => void) | undefined;
  private errorCb: ((err: Error) => void) | undefined;
  private isClosed = false;

  private constructor(native: NativeAddon, name: string, opts: TunOptions) {
    const batchSize = opts.batchSize ?? 128;
    const maxPacket = opts.maxPacketSize ?? 65535;
    if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 1024) throw new TypeError('batchSize must be an integer 1-1024');
    if (!Number.isInteger(maxPacket) || maxPacket < 576 || maxPacket > 65535) throw new TypeError('maxPacketSize must be an integer 576-65535');
    const slab = new ArrayBuffer(batchSize * SLAB_BYTES_PER_PACKET + maxPacket);
    const meta = new Uint32Array(batchSize * 2);
    this.native = native;
    this.batch = new PacketBatch(Buffer.from(slab), meta, 2);
    this.handle = native.tunOpen(name, slab, meta, batchSize, maxPacket, this.onNative);
  }

  /** Creates (or attaches to) the TUN device `name` ("tun%d" lets the kernel pick); needs CAP_NET_ADMIN. */
  static open(name: string, opts: TunOptions = {}): TunDevice {
    if (typeof name !== 'string') throw new TypeError('name must be a string');
    return new TunDevice(loadNative(), name, opts);
  }

  /** The interface name the kernel gave the device. */
  get name(): string {
    return this.handle.name;
  }

  /** True once close() was called. */
  get closed(): boolean {
    return this.isClosed;
  }

  /** Sets the batch callback and starts reading; the batch and its packets are valid only during the call. */
  onPackets(cb: (batch: PacketBatch) => void): this {
    if (typeof cb !== 'function') throw new TypeError('callback must be a function');
    this.packetsCb = cb;
    if (!this.isClosed) this.native.start(this.handle);
    return this;
  }

  /** Sets the handler for an error that stopped reading (without one, such an error is thrown as uncaught). */
  onError(cb: (err: Error) => void): this {
    if (typeof cb !== 'function') throw new TypeError('callback must be a function');
    this.errorCb = cb;
    return this;
  }

  /** Stops reading until resume(); the kernel queues (then drops) what arrives meanwhile. */
  pause(): this {
    if (!this.isClosed) this.native.stop(this.handle);
    return this;
  }

  /** Resumes reading after pause() (a no-op before onPackets). */
  resume(): this {
    if (!this.isClosed && this.packetsCb !== undefined) this.native.start(this.handle);
    return this;
  }

  /** Writes each packet (one IP packet per element); returns how many were written, the rest are counted drops/errors. */
  write(packets: readonly Uint8Array[]): number {
    if (this.isClosed) throw Object.assign(new Error(`TUN ${this.name} is closed`), { code: 'ERR_CLOSED' });
    return this.native.tunWrite(this.handle, packets);
  }

  /** Counters kept by the addon (packets, bytes, drops, errors). */
  stats(): TunStats {
    return this.native.stats(this.handle);
  }

  /** Lets the open device keep the process alive (the default). */
  ref(): this {
    this.native.ref(this.handle, true);
    return this;
  }

  /** Lets the process exit even while the device is open and reading. */
  unref(): this {
    this.native.ref(this.handle, false);
    return this;
  }

  /** Stops reading and closes the fd, which removes the (non-persistent) device; safe to call twice. */
  close(): void {
    this.isClosed = true;
    this.native.close(this.handle);
  }

  private readonly onNative = (count: number, errno: number): void => {
    if (count > 0 && this.packetsCb !== undefined) {
      this.batch.count = count;
      this.packetsCb(this.batch);
    }
    if (errno !== 0) {
      const err = errnoError(errno, `read from TUN ${this.name}`);
      if (this.errorCb === undefined) throw err;
      this.errorCb(err);
    }
  };
}
