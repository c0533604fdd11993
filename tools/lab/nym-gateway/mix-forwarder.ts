// The lab gateway's outgoing mix connections: packets for another node are framed (framing.ts) and written to
// one TCP connection per next hop, opened on first use (nymtech/nym daed9cd15bc0 common/client-libs/
// mixnet-client/src/client.rs: a managed connection per address, packets queued until it is up and dropped if
// it cannot be made; nym-node/src/node/mixnet/packet_forwarding). Frames are written in the legacy form
// (version 7) unless told otherwise, as nym-node's default config does. Plain TCP: nym-node falls back to it
// for a peer without a Noise key, and the lab's nodes announce none. Never packaged.
import { connect, type Socket } from 'node:net';
import { encodeFrame } from './framing.js';
import type { NodeAddress } from './mix-packet.js';

export interface LabMixForwarderOptions {
  journal: string[];
  /** Write version-8 frames (with the key rotation) instead of nym-node's default legacy version 7. */
  currentEncoding?: boolean;
  connectTimeoutMs?: number;
}

interface Connection {
  socket: Socket;
  ready: boolean;
  queue: Uint8Array[];
}

const key = (a: NodeAddress) => `${a.host}:${a.port}`;

export class LabMixForwarder {
  private readonly connections = new Map<string, Connection>();
  /** Frames written, per next hop (tests read it). */
  readonly written = new Map<string, number>();

  constructor(private readonly o: LabMixForwarderOptions) {}

  /** Frames the packet and sends it to `nextHop`; failures are journaled (a node never tells the sender). */
  send(nextHop: NodeAddress, p: { packet: Uint8Array; packetType: number; keyRotation: number }): void {
    const frame = encodeFrame(p, !this.o.currentEncoding);
    const c = this.connection(nextHop);
    if (c.ready) this.write(nextHop, c, frame);
    else c.queue.push(frame);
  }

  async close(): Promise<void> {
    for (const c of this.connections.values()) c.socket.destroy();
    this.connections.clear();
  }

  private write(to: NodeAddress, c: Connection, frame: Uint8Array): void {
    c.socket.write(frame);
    this.written.set(key(to), (this.written.get(key(to)) ?? 0) + 1);
  }

  private connection(to: NodeAddress): Connection {
    const existing = this.connections.get(key(to));
    if (existing) return existing;
    const socket = connect({ host: to.host, port: to.port, noDelay: true, timeout: this.o.connectTimeoutMs ?? 1500 });
    const c: Connection = { socket, ready: false, queue: [] };
    this.connections.set(key(to), c);
    socket.once('connect', () => {
      socket.setTimeout(0);
      c.ready = true;
      for (const f of c.queue.splice(0)) this.write(to, c, f);
    });
    socket.once('timeout', () => socket.destroy(new Error('connect timed out')));
    socket.on('error', (e) => {
      this.o.journal.push(`mix connection to ${key(to)} failed: ${e.message}${c.queue.length ? ` (${c.queue.length} queued packets dropped)` : ''}`);
    });
    socket.once('close', () => {
      // The next packet for that hop opens a new connection (upstream reconnects with a backoff).
      if (this.connections.get(key(to)) === c) this.connections.delete(key(to));
      c.queue.length = 0;
    });
    return c;
  }
}
