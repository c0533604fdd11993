// A Linux TUN device (IFF_TUN | IFF_NO_PI: one IP packet per read/write) driven by the native addon:
// the fd is polled by libuv, readable => up to batchSize packets are read and handed over in one callback.
// Addresses, MTU and up/down are set with ./link.ts.
import { loadNative, type HandleStats, type NativeAddon, type NativeTunHandle } from '../native/native.js';
import { BatchReader } from '../native/batch-reader.js';
import { PacketBatch } from '../native/packet-batch.js';

export interface TunOptions {
  /** Most packets per callback (1-1024, default 128). */
  batchSize?: number;
  /** Room given to each read; must be >= the device MTU or packets are cut (576-65535, default 65535). */
  maxPacketSize?: number;
  /**
   * IFF_VNET_HDR, for coalesced writes: consecutive TCP segments of one flow leave as one GSO packet of up to
   * 64 KB (what a NIC's GRO does), so the kernel routes and filters one packet where there were dozens.
   * Default false; where the kernel refuses the header the device is opened without it (see `offload`).
   */
  offload?: boolean;
  /**
   * With offload, reads take TSO too: the kernel hands over up to 64 KB of a TCP flow at once, which the
   * addon cuts into segments (packets reach onPackets as always). Default true; without it, or where the
   * kernel refuses it (see `tso`), reads are whole packets.
   */
  tso?: boolean;
}

export type TunStats = HandleStats;

/** Room per packet in the slab beyond the first: packets are packed, so this is an average, not a limit. */
const SLAB_BYTES_PER_PACKET = 2048;

export class TunDevice extends BatchReader<PacketBatch, NativeTunHandle> {
  private constructor(native: NativeAddon, name: string, opts: TunOptions) {
    const batchSize = opts.batchSize ?? 128;
    const maxPacket = opts.maxPacketSize ?? 65535;
    if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 1024) throw new TypeError('batchSize must be an integer 1-1024');
    if (!Number.isInteger(maxPacket) || maxPacket < 576 || maxPacket > 65535) throw new TypeError('maxPacketSize must be an integer 576-65535');
    const slab = new ArrayBuffer(batchSize * SLAB_BYTES_PER_PACKET + maxPacket);
    const meta = new Uint32Array(batchSize * 2);
    super(native, new PacketBatch(Buffer.from(slab), meta, 2), () => `read from TUN ${this.name}`);
    if (opts.offload !== undefined && typeof opts.offload !== 'boolean') throw new TypeError('offload must be a boolean');
    if (opts.tso !== undefined && typeof opts.tso !== 'boolean') throw new TypeError('tso must be a boolean');
    this.handle = native.tunOpen(name, slab, meta, batchSize, maxPacket, this.onNative, opts.offload ?? false, opts.tso ?? true);
  }

  /** Whether reads take TSO packets (offload and tso asked for, and the kernel took them). */
  get tso(): boolean {
    return this.handle.tso;
  }

  /** Whether writes are coalesced (offload asked for, and the kernel took the virtio header). */
  get offload(): boolean {
    return this.handle.offload;
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

  /**
   * Writes each packet (one IP packet per element; with offload, runs of one TCP flow as one GSO packet);
   * returns how many packets were written, the rest are counted drops/errors.
   */
  write(packets: readonly Uint8Array[]): number {
    if (this.isClosed) throw Object.assign(new Error(`TUN ${this.name} is closed`), { code: 'ERR_CLOSED' });
    return this.native.tunWrite(this.handle, packets);
  }
}
