// Bind on the native UdpBatchSocket (recvmmsg/sendmmsg, SO_MARK) from src/tun. Received datagrams
// are views into the socket's slab, valid only while the device handles the batch, which it does
// synchronously; sends go out in one sendmmsg call per batch.
import { UdpBatchSocket, UdpEndpoint, type UdpDatagram, type UdpPacketBatch } from './udp-batch-socket.js';
import type { Bind, Datagram, Endpoint } from '../wireguard/bind.js';

export interface UdpBatchBindOptions {
  /** '::' (dual-stack, default) or '0.0.0.0' or a specific address. */
  address?: string;
  /** SO_MARK for policy routing of the tunnel's own packets. */
  fwmark?: number;
  /** Datagrams per recvmmsg/sendmmsg (default 128). */
  batchSize?: number;
  bufferBytes?: number;
  /** UDP GSO for the sends (default true; see UdpBindOptions.gso). */
  gso?: boolean;
  /** UDP GRO for the receives (default true; see UdpBindOptions.gro). */
  gro?: boolean;
  /**
   * Largest datagram received whole (default 4096: a transport message is the tunnel MTU + 32 bytes, and no
   * 1500-byte path carries more); longer ones are dropped and counted. The receive slab is batchSize times
   * this: at 65535 it was 8 MB per socket, which glibc keeps once freed.
   */
  maxDatagram?: number;
}

export class UdpBatchBind implements Bind {
  private socket: UdpBatchSocket | null = null;
  private handler: (batch: Datagram[]) => void = () => {};
  // Reused across batches: the datagram objects, and the last source (most batches are one peer).
  private readonly datagrams: Datagram[] = [];
  private lastSource: UdpEndpoint | null = null;
  private readonly converted = new WeakMap<Endpoint, UdpEndpoint>();
  private readonly outgoing: UdpDatagram[] = [];
  sendDropped = 0;
  /** udpSend copies every datagram into the kernel before it returns. */
  readonly sendDoneOnReturn = true;
  /** Received datagrams are views into the socket's slab, which the next batch overwrites anyway. */
  readonly receiveInPlace = true;

  constructor(private readonly options: UdpBatchBindOptions = {}) {}

  onReceive(handler: (batch: Datagram[]) => void): void {
    this.handler = handler;
  }

  async open(port: number): Promise<number> {
    const socket = UdpBatchSocket.bind({
      address: this.options.address ?? '::',
      port,
      fwmark: this.options.fwmark,
      batchSize: this.options.batchSize ?? 128,
      bufferBytes: this.options.bufferBytes,
      maxPacketSize: this.options.maxDatagram ?? 4096,
      gso: this.options.gso,
      gro: this.options.gro,
    });
    socket.onError(() => {}); // a receive error stops reading; counted in socket.stats()
    socket.onPackets((batch) => this.receive(batch));
    this.socket = socket;
    return socket.localPort;
  }

  private receive(batch: UdpPacketBatch): void {
    const list = this.datagrams;
    const n = batch.count;
    for (let i = 0; i < n; i++) {
      let src = this.lastSource;
      if (src === null || !batch.isFrom(i, src)) src = this.lastSource = batch.source(i);
      const d = list[i];
      if (d === undefined) list.push({ data: batch.packet(i), endpoint: src });
      else {
        d.data = batch.packet(i);
        d.endpoint = src;
      }
    }
    list.length = n;
    this.handler(list);
  }

  private toUdp(e: Endpoint): UdpEndpoint {
    if (e instanceof UdpEndpoint) return e;
    let u = this.converted.get(e);
    if (u === undefined) {
      u = UdpEndpoint.parse(e.address, e.port);
      this.converted.set(e, u);
    }
    return u;
  }

  send(batch: Datagram[]): void {
    const s = this.socket;
    if (s === null) return;
    const out = this.outgoing;
    for (let i = 0; i < batch.length; i++) {
      const d = batch[i]!;
      out.push({ data: d.data, to: this.toUdp(d.endpoint) });
    }
    try {
      this.sendDropped += out.length - s.send(out);
    } catch {
      this.sendDropped += out.length;
    } finally {
      out.length = 0;
    }
  }

  stats(): ReturnType<UdpBatchSocket['stats']> | null {
    return this.socket?.stats() ?? null;
  }

  async close(): Promise<void> {
    this.socket?.close();
    this.socket = null;
  }
}
