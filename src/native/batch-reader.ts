// What a TUN device and a batched UDP socket share: a native handle the addon polls, one callback per
// batch read into a JS-owned slab, pause/resume, ref/unref, counters, and an idempotent close.
import { errnoError, type HandleStats, type NativeAddon, type NativeHandle } from './native.js';
import type { PacketBatch } from './packet-batch.js';

export abstract class BatchReader<B extends PacketBatch, H extends NativeHandle> {
  /** Set by the subclass's constructor, right after super(), with `this.onNative` as the addon's callback. */
  protected handle!: H;
  protected isClosed = false;
  private packetsCb: ((batch: B) => void) | undefined;
  private errorCb: ((err: Error) => void) | undefined;

  protected constructor(
    protected readonly native: NativeAddon,
    protected readonly batch: B,
    /** What failed when reading stops with an error, e.g. "read from TUN nym0". */
    private readonly readWhat: () => string,
  ) {}

  /** True once close() was called. */
  get closed(): boolean {
    return this.isClosed;
  }

  /** Sets the batch callback and starts reading; the batch and its packets are valid only during the call. */
  onPackets(cb: (batch: B) => void): this {
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

  /** Counters kept by the addon (packets, bytes, drops, errors). */
  stats(): HandleStats {
    return this.native.stats(this.handle);
  }

  /** Lets the open handle keep the process alive (the default). */
  ref(): this {
    this.native.ref(this.handle, true);
    return this;
  }

  /** Lets the process exit even while the handle is open and reading. */
  unref(): this {
    this.native.ref(this.handle, false);
    return this;
  }

  /** Stops reading and closes the fd; safe to call twice. */
  close(): void {
    this.isClosed = true;
    this.native.close(this.handle);
  }

  protected readonly onNative = (count: number, errno: number): void => {
    if (count > 0 && this.packetsCb !== undefined) {
      this.batch.count = count;
      this.packetsCb(this.batch);
    }
    if (errno !== 0) {
      const err = errnoError(errno, this.readWhat());
      if (this.errorCb === undefined) throw err;
      this.errorCb(err);
    }
  };
}
