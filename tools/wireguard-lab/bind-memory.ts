// An in-memory UDP network for tests and benchmarks: binds exchange datagrams through a queue
// that the test pumps, so delivery order and timing are deterministic and nothing re-enters.
import type { Bind, Datagram, Endpoint } from '../../src/wireguard/bind.js';

export class MemoryNetwork {
  private readonly binds = new Map<string, MemoryBind>();
  private queue: Array<{ to: string; datagram: Datagram }> = [];
  /** Every datagram sent, when recording (tests inspect the wire). */
  readonly wire: Array<{ from: Endpoint; to: Endpoint; data: Uint8Array }> = [];
  record = false;
  /** Drops a datagram when it returns true (loss and filtering in tests). */
  filter: ((from: Endpoint, to: Endpoint, data: Uint8Array) => boolean) | null = null;

  /**
   * scratch: the bind behaves like the kernel-socket binds (sendDoneOnReturn, receiveInPlace): it copies what
   * it is sent before returning, and hands received datagrams over in one scratch buffer that it poisons
   * (0xAA) once the handler returns, so a device that kept a reference past the call would be caught.
   */
  bind(address: string, family: 4 | 6 = 4, opts: { scratch?: boolean } = {}): MemoryBind {
    return opts.scratch ? new ScratchMemoryBind(this, address, family) : new MemoryBind(this, address, family);
  }

  /** @internal */
  attach(b: MemoryBind): void {
    this.binds.set(`${b.local.address}:${b.local.port}`, b);
  }
  /** @internal */
  detach(b: MemoryBind): void {
    this.binds.delete(`${b.local.address}:${b.local.port}`);
  }
  /** @internal */
  enqueue(from: Endpoint, batch: Datagram[]): void {
    for (const d of batch) {
      if (this.filter?.(from, d.endpoint, d.data)) continue;
      if (this.record) this.wire.push({ from, to: d.endpoint, data: d.data });
      this.queue.push({ to: `${d.endpoint.address}:${d.endpoint.port}`, datagram: { data: d.data, endpoint: from } });
    }
  }

  /** Delivers queued datagrams (and what they provoke) until quiet; returns how many. */
  pump(max = 1_000_000): number {
    let n = 0;
    while (this.queue.length > 0 && n < max) {
      const q = this.queue;
      this.queue = [];
      const byBind = new Map<MemoryBind, Datagram[]>();
      for (const { to, datagram } of q) {
        const b = this.binds.get(to);
        if (b === undefined) continue;
        let list = byBind.get(b);
        if (list === undefined) byBind.set(b, (list = []));
        list.push(datagram);
        n++;
      }
      for (const [b, list] of byBind) b.deliver(list);
    }
    return n;
  }
}

let nextPort = 40000;

export class MemoryBind implements Bind {
  local: Endpoint;
  private handler: (batch: Datagram[]) => void = () => {};
  constructor(private readonly net: MemoryNetwork, address: string, family: 4 | 6) {
    this.local = { address, port: 0, family };
  }
  async open(port: number): Promise<number> {
    this.local = { ...this.local, port: port === 0 ? nextPort++ : port };
    this.net.attach(this);
    return this.local.port;
  }
  onReceive(handler: (batch: Datagram[]) => void): void {
    this.handler = handler;
  }
  send(batch: Datagram[]): void {
    this.net.enqueue(this.local, batch);
  }
  /** @internal */
  deliver(batch: Datagram[]): void {
    this.handler(batch);
  }
  async close(): Promise<void> {
    this.net.detach(this);
  }
}

/** A MemoryBind with the kernel binds' buffer contract (see MemoryNetwork.bind's scratch). */
class ScratchMemoryBind extends MemoryBind {
  readonly sendDoneOnReturn = true;
  readonly receiveInPlace = true;
  override send(batch: Datagram[]): void {
    super.send(batch.map((d) => ({ data: Uint8Array.from(d.data), endpoint: d.endpoint })));
  }
  override deliver(batch: Datagram[]): void {
    const scratch = new Uint8Array(batch.reduce((n, d) => n + d.data.length, 0));
    let at = 0;
    const views = batch.map((d) => {
      scratch.set(d.data, at);
      const v = scratch.subarray(at, at + d.data.length);
      at += d.data.length;
      return { data: v, endpoint: d.endpoint };
    });
    super.deliver(views);
    scratch.fill(0xaa);
  }
}
