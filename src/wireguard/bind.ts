// The UDP side of a device, kept behind a small interface so the protocol code never touches a
// socket: node:dgram (bind-dgram.ts), the recvmmsg/sendmmsg addon, or an in-memory pair in tests.
import { parseIp } from '../net/ip-address.js';
import type { Endpoint } from '../net/endpoint.js';

/** A UDP peer address (src/net/endpoint.ts): parsed once, passed on as a value. */
export type { Endpoint } from '../net/endpoint.js';
export { formatEndpoint, parseEndpoint } from '../net/endpoint.js';

export interface Datagram {
  data: Uint8Array;
  endpoint: Endpoint;
}

export interface Bind {
  /** Binds (port 0 = any) and returns the port actually bound. */
  open(port: number): Promise<number>;
  /** Installs the handler that receives every datagram, in batches. */
  onReceive(handler: (batch: Datagram[]) => void): void;
  /** Sends a batch; failures are counted by the bind, never thrown. */
  send(batch: Datagram[]): void;
  close(): Promise<void>;
  /**
   * True when send() is done with every datagram's bytes once it returns (it copies them into the kernel, or
   * hands them on synchronously): the device may then build its datagrams in one reused buffer.
   */
  readonly sendDoneOnReturn?: boolean;
  /**
   * True when the datagrams given to the receive handler are the bind's scratch memory for that call only:
   * the device may decrypt them in place instead of into fresh buffers.
   */
  readonly receiveInPlace?: boolean;
}

/** Address bytes ‖ big-endian port: what a cookie is bound to. */
export function endpointBytes(e: Endpoint): Uint8Array {
  let ip: Uint8Array;
  try {
    ip = parseIp(e.address);
  } catch {
    ip = new TextEncoder().encode(e.address);
  }
  const out = new Uint8Array(ip.length + 2);
  out.set(ip);
  out[ip.length] = e.port >> 8;
  out[ip.length + 1] = e.port & 0xff;
  return out;
}
