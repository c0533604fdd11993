// TcpClient (tcp-client.ts) as a stream.Duplex that node:http takes from `createConnection`: the I/O edge of
// the userspace TCP. Packets out go to the caller's `send` (the daemon encrypts them for the entry gateway),
// packets in come through `receive`; one timer drives the client's retransmissions. What http needs from a
// socket, and why it is here:
//   - 'connect' once the handshake is done: ClientRequest's socket calls (setTimeout, setNoDelay, keep-alive)
//     wait for it unless `writable`; we are writable at once (bytes queue up during the handshake), so a
//     request is written before 'connect' and goes out with the handshake's ACK;
//   - 'end' on the peer's FIN (http then destroys the socket), an error with a net-like code (ECONNREFUSED,
//     ECONNRESET, ETIMEDOUT) when the connection fails, so that the request fails instead of hanging;
//   - destroy() without an error closes gracefully as the kernel would (our FIN, retransmitted in the
//     background until acknowledged), with an error it resets.
import { randomBytes } from 'node:crypto';
import { Duplex } from 'node:stream';
import { TcpClient, TcpState, type TcpClientOptions, type TcpEndpoint, type TcpFailure } from './tcp-client.js';

/** The clock and the one timer; tests may drive them. */
export interface TcpTimers {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemTimers: TcpTimers = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

export interface TcpStreamOptions extends Pick<TcpClientOptions, 'mss' | 'receiveWindow' | 'initialRtoMs' | 'minRtoMs' | 'maxTries'> {
  local: TcpEndpoint;
  remote: TcpEndpoint;
  /** Whole IPv4 packets to deliver to the remote (called synchronously, never with an empty array). */
  send: (ipPackets: Uint8Array[]) => void;
  timers?: TcpTimers;
  /** Initial sequence number (default: random). */
  iss?: number;
}

export interface TcpStream {
  /** Hand it to http.request's createConnection (cast to net.Socket where a type asks for one). */
  socket: TcpSocket;
  /** An IPv4 packet from the remote; anything malformed or not for this connection is counted and dropped. */
  receive(ipPacket: Uint8Array): void;
  /** Settles once the TCP connection is over (closed both ways, reset, or given up): the caller can stop routing to it. */
  finished: Promise<void>;
  client: TcpClient;
}

/** Opens a connection (the SYN goes out on the next tick, once the caller holds `receive`). */
export function tcpStream(o: TcpStreamOptions): TcpStream {
  const socket = new TcpSocket(o);
  return { socket, receive: (p) => socket.receivePacket(p), finished: socket.finishedPromise, client: socket.client };
}

/** Writes are acknowledged to the writer while less than this is waiting for the peer's ACK. */
const WRITE_HIGH_WATER = 64 * 1024;

const FAILURES: Record<TcpFailure, { code: string; text: string }> = {
  refused: { code: 'ECONNREFUSED', text: 'connect ECONNREFUSED' },
  reset: { code: 'ECONNRESET', text: 'read ECONNRESET' },
  timeout: { code: 'ETIMEDOUT', text: 'ETIMEDOUT: no answer from' },
  aborted: { code: 'ECONNABORTED', text: 'ECONNABORTED' },
};

export class TcpSocket extends Duplex {
  readonly client: TcpClient;
  readonly finishedPromise: Promise<void>;
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly localAddress: string;
  readonly localPort: number;
  readonly remoteFamily = 'IPv4';
  connecting = true;

  private readonly send: (p: Uint8Array[]) => void;
  private readonly timers: TcpTimers;
  private timer: unknown;
  private timerAt: number | undefined;
  private idleMs = 0;
  private idleTimer: unknown;
  private pendingWrites: Array<(e?: Error | null) => void> = [];
  private eofPushed = false;
  private resolveFinished!: () => void;
  private isFinished = false;
  private lingering = false;

  constructor(o: TcpStreamOptions) {
    super({ allowHalfOpen: false });
    this.send = o.send;
    this.timers = o.timers ?? systemTimers;
    this.client = new TcpClient({
      local: o.local, remote: o.remote, iss: o.iss ?? randomBytes(4).readUInt32BE(0),
      ...(o.mss !== undefined ? { mss: o.mss } : {}), ...(o.receiveWindow !== undefined ? { receiveWindow: o.receiveWindow } : {}),
      ...(o.initialRtoMs !== undefined ? { initialRtoMs: o.initialRtoMs } : {}), ...(o.minRtoMs !== undefined ? { minRtoMs: o.minRtoMs } : {}),
      ...(o.maxTries !== undefined ? { maxTries: o.maxTries } : {}),
    });
    this.remoteAddress = o.remote.addr.join('.');
    this.remotePort = o.remote.port;
    this.localAddress = o.local.addr.join('.');
    this.localPort = o.local.port;
    this.finishedPromise = new Promise((r) => { this.resolveFinished = r; });
    process.nextTick(() => {
      if (this.destroyed) return this.finish();
      this.emitPackets(this.client.connect(this.timers.now()));
      this.sync();
    });
  }

  get pending(): boolean {
    return this.connecting;
  }

  get readyState(): string {
    if (this.connecting) return 'opening';
    if (this.readable && this.writable) return 'open';
    if (this.readable) return 'readOnly';
    if (this.writable) return 'writeOnly';
    return 'closed';
  }

  /** Also after destroy(): a lingering close still needs the peer's ACKs. */
  receivePacket(p: Uint8Array): void {
    // Fed even when finished: a CLOSED client answers a straggler with the RST RFC 9293 wants.
    const r = this.client.receive(p, this.timers.now());
    this.emitPackets(r.packets);
    if (r.data.length > 0 && !this.destroyed) {
      this.touch();
      for (const d of r.data) this.push(d);
    }
    this.sync();
  }

  override _read(): void {
    // Data is pushed as it arrives: the answers this carries are small, so the window is not tied to reads.
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, cb: (e?: Error | null) => void): void {
    try {
      this.emitPackets(this.client.write(chunk, this.timers.now()));
    } catch (e) {
      cb(this.failureError() ?? (e as Error));
      return;
    }
    this.touch();
    if (this.client.queuedBytes < WRITE_HIGH_WATER) cb();
    else this.pendingWrites.push(cb);
    this.sync();
  }

  override _final(cb: (e?: Error | null) => void): void {
    if (this.client.error !== undefined) return cb(this.failureError());
    this.emitPackets(this.client.end(this.timers.now()));
    this.sync();
    cb();
  }

  override _destroy(err: Error | null, cb: (e?: Error | null) => void): void {
    this.clearIdle();
    const c = this.client;
    if (!c.finished) {
      if (err !== null || c.state === TcpState.SynSent || c.state === TcpState.Closed) {
        this.emitPackets(c.abort());
      } else {
        // What close() on a kernel socket does: our FIN after what is queued, retransmitted until acknowledged.
        this.lingering = true;
        this.emitPackets(c.end(this.timers.now()));
      }
    }
    for (const w of this.pendingWrites.splice(0)) w(err ?? new Error('socket destroyed'));
    this.sync();
    cb(err);
  }

  // net.Socket's knobs that http may call. TCP_NODELAY is how we always send; there is no keep-alive probe.
  setNoDelay(_noDelay?: boolean): this {
    return this;
  }

  setKeepAlive(_enable?: boolean, _delay?: number): this {
    return this;
  }

  ref(): this {
    return this;
  }

  unref(): this {
    return this;
  }

  address(): { address: string; family: string; port: number } {
    return { address: this.localAddress, family: 'IPv4', port: this.localPort };
  }

  /** As net.Socket: 'timeout' after `ms` without traffic (0 turns it off); the caller decides what to do. */
  setTimeout(ms: number, callback?: () => void): this {
    this.idleMs = ms;
    if (callback) {
      if (ms === 0) this.removeListener('timeout', callback);
      else this.once('timeout', callback);
    }
    this.touch();
    return this;
  }

  private touch(): void {
    this.clearIdle();
    if (this.idleMs > 0 && !this.destroyed) {
      this.idleTimer = this.timers.setTimeout(() => {
        this.idleTimer = undefined;
        this.emit('timeout');
      }, this.idleMs);
    }
  }

  private clearIdle(): void {
    if (this.idleTimer !== undefined) this.timers.clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
  }

  private emitPackets(packets: Uint8Array[]): void {
    if (packets.length === 0) return;
    try {
      this.send(packets);
    } catch {
      // The path to the gateway failed for these packets: to TCP that is loss, and retransmission covers it.
    }
  }

  private failureError(): Error | undefined {
    const why = this.client.error;
    if (why === undefined) return undefined;
    const f = FAILURES[why];
    return Object.assign(new Error(`${f.text} ${this.remoteAddress}:${this.remotePort}`), {
      code: f.code, errno: f.code, syscall: why === 'refused' || this.connecting ? 'connect' : 'read',
      address: this.remoteAddress, port: this.remotePort,
    });
  }

  /** Brings the stream in line with the client's state, and the timer with its next deadline. */
  private sync(): void {
    const c = this.client;
    if (this.connecting && c.state !== TcpState.SynSent && c.state !== TcpState.Closed) {
      this.connecting = false;
      if (!this.destroyed) {
        this.emit('connect');
        this.emit('ready');
      }
    }
    if (c.remoteEnded && !this.eofPushed) {
      this.eofPushed = true;
      if (!this.destroyed) this.push(null);
    }
    if (this.pendingWrites.length > 0 && c.queuedBytes < WRITE_HIGH_WATER && c.error === undefined) {
      for (const w of this.pendingWrites.splice(0)) w();
    }
    const failure = this.failureError();
    if (failure !== undefined && !this.destroyed && c.error !== 'aborted') this.destroy(failure);
    if (c.finished) {
      this.finish();
      return;
    }
    const at = c.nextTimeoutMs();
    if (at === this.timerAt) return;
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = at;
    if (at === undefined) return;
    this.timer = this.timers.setTimeout(() => this.onTimer(), Math.max(0, at - this.timers.now()));
    // While lingering after destroy() nothing waits on us: do not keep the process alive for it.
    if (this.lingering) (this.timer as { unref?: () => void }).unref?.();
  }

  private onTimer(): void {
    this.timer = undefined;
    this.timerAt = undefined;
    this.emitPackets(this.client.poll(this.timers.now()));
    this.sync();
  }

  private finish(): void {
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = undefined;
    if (this.isFinished) return;
    this.isFinished = true;
    this.resolveFinished();
  }
}
