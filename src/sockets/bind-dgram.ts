// Bind on node:dgram: one IPv4 and one IPv6 socket on the same port (like wireguard-go's
// StdNetBind). Datagrams that arrive in one event-loop turn are handed over as one batch.
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import type { Bind, Datagram, Endpoint } from '../wireguard/bind.js';

export interface DgramBindOptions {
  /** Address to bind the IPv4 socket to (default all). */
  host4?: string;
  host6?: string;
  /** Skip IPv6 entirely (hosts without it). */
  ipv4Only?: boolean;
  /** Kernel socket buffer sizes; large buffers absorb bursts of a batched sender. */
  bufferSize?: number;
}

export class DgramBind implements Bind {
  private v4: Socket | null = null;
  private v6: Socket | null = null;
  private handler: (batch: Datagram[]) => void = () => {};
  private pending: Datagram[] = [];
  private flushScheduled = false;
  sendErrors = 0;

  constructor(private readonly options: DgramBindOptions = {}) {}

  onReceive(handler: (batch: Datagram[]) => void): void {
    this.handler = handler;
  }

  async open(port: number): Promise<number> {
    this.v4 = await this.bindSocket('udp4', port, this.options.host4);
    const bound = this.v4.address().port;
    if (!this.options.ipv4Only) {
      try {
        this.v6 = await this.bindSocket('udp6', bound, this.options.host6);
      } catch {
        this.v6 = null; // no IPv6 on this host: carry on with IPv4 alone
      }
    }
    return bound;
  }

  private bindSocket(type: 'udp4' | 'udp6', port: number, host?: string): Promise<Socket> {
    const family: 4 | 6 = type === 'udp4' ? 4 : 6;
    const s = createSocket({ type, ipv6Only: type === 'udp6', reuseAddr: false });
    return new Promise((resolve, reject) => {
      s.once('error', reject);
      s.bind({ port, address: host ?? (family === 4 ? '0.0.0.0' : '::'), exclusive: true }, () => {
        s.off('error', reject);
        s.on('error', () => { this.sendErrors++; });
        const size = this.options.bufferSize ?? 4 << 20;
        try {
          s.setRecvBufferSize(size);
          s.setSendBufferSize(size);
        } catch {
          // capped by net.core.*mem_max: the default is still usable
        }
        s.on('message', (msg: Buffer, rinfo: RemoteInfo) => this.push(msg, rinfo, family));
        resolve(s);
      });
    });
  }

  private push(msg: Buffer, rinfo: RemoteInfo, family: 4 | 6): void {
    const endpoint: Endpoint = { address: rinfo.address, port: rinfo.port, family };
    this.pending.push({ data: msg, endpoint });
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(this.flush);
    }
  }

  private readonly flush = (): void => {
    this.flushScheduled = false;
    const batch = this.pending;
    this.pending = [];
    if (batch.length > 0) this.handler(batch);
  };

  send(batch: Datagram[]): void {
    for (const d of batch) {
      const s = d.endpoint.family === 6 ? this.v6 : this.v4;
      if (s === null) {
        this.sendErrors++;
        continue;
      }
      s.send(d.data, d.endpoint.port, d.endpoint.address, (err) => {
        if (err) this.sendErrors++;
      });
    }
  }

  async close(): Promise<void> {
    const close = (s: Socket | null): Promise<void> => new Promise((r) => (s === null ? r() : s.close(() => r())));
    await Promise.all([close(this.v4), close(this.v6)]);
    this.v4 = this.v6 = null;
  }
}
