// The lab gateway's mix port: where other nodes send it framed Sphinx packets over TCP (nym-node
// src/node/mixnet/{listener,handler}.rs at nymtech/nym daed9cd15bc0). Each connection is read with the
// framing decoder (framing.ts); every complete frame goes to `onFrame`; a malformed stream is journaled and the
// connection dropped, as nym-node ends a corrupted connection. nym-node first tries a Noise handshake
// (common/nymnoise) and falls back to plain TCP with a peer that announces no Noise key; the lab's nodes
// announce none, so this is that plain-TCP path. Never packaged.
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { FrameDecoder, type FramedPacket } from './framing.js';
import type { NodeAddress } from './mix-packet.js';

export interface LabMixListenerOptions {
  host: string;
  /** 0 (the default) picks a free port. */
  port?: number;
  /** One complete frame from `remote` (host:port). An exception is journaled; the connection stays. */
  onFrame: (frame: FramedPacket, remote: string) => void;
  journal: string[];
}

export class LabMixListener {
  private server?: Server;
  private readonly sockets = new Set<Socket>();
  /** Frames read, over all connections (tests read it). */
  framesRead = 0;

  constructor(private readonly o: LabMixListenerOptions) {}

  async start(): Promise<NodeAddress> {
    const server = createServer((socket) => this.serve(socket));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.o.port ?? 0, this.o.host, () => { server.off('error', reject); resolve(); });
    });
    const a = server.address() as AddressInfo;
    return { host: this.o.host, port: a.port };
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private serve(socket: Socket): void {
    const remote = `${socket.remoteAddress}:${socket.remotePort}`;
    this.sockets.add(socket);
    socket.setNoDelay(true);
    const decoder = new FrameDecoder();
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', (e) => this.o.journal.push(`mix connection from ${remote} failed: ${e.message}`));
    socket.on('data', (chunk: Buffer) => {
      const { frames, error } = decoder.push(chunk);
      for (const f of frames) {
        this.framesRead++;
        try {
          this.o.onFrame(f, remote);
        } catch (e) {
          this.o.journal.push(`mix frame from ${remote} not processed: ${(e as Error).message}`);
        }
      }
      if (error) {
        this.o.journal.push(`mix connection from ${remote} corrupted: ${error.message}`);
        socket.destroy();
      }
    });
  }
}
