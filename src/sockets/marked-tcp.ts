// TCP connections that carry nym-vpnd's fwmark from the first packet: the daemon's own traffic (the
// directory API, latency probes) then leaves through the WAN past the kill switch, like its WireGuard
// UDP. The addon makes the socket and sets SO_MARK before connect(); Node adopts the fd.
import { Socket } from 'node:net';
import { isIP } from 'node:net';
import { loadNative } from '../native/native.js';

export interface MarkedConnectOptions {
  /** A literal IP address (no name resolution here). */
  host: string;
  port: number;
  mark: number;
}

/** A SocketFactory of marked connections: (literal IP, port) → a socket carrying `mark`. */
export function markedSocketFactory(mark: number): (host: string, port: number) => Socket {
  return (host, port) => markedConnect({ host, port, mark });
}

/** Starts connecting; the socket emits 'connect' or 'error' like net.connect's. */
export function markedConnect(o: MarkedConnectOptions): Socket {
  const family = isIP(o.host);
  if (family === 0) throw new TypeError(`markedConnect needs an IP address, got ${JSON.stringify(o.host)}`);
  const fd = loadNative().markedTcpSocket(family as 4 | 6, o.mark >>> 0);
  const socket = new Socket({ fd, readable: true, writable: true });
  return socket.connect({ host: o.host, port: o.port });
}
