// One connection to a ubus broker: the socket, HELLO, framing, and request/reply matching on
// (seq, peer) as libubus does. Messages that are not replies (invokes for our objects, notifies,
// unsubscribes) are handed to `onObjectMessage`. No reconnect logic here: see client.ts.

import { createConnection, type Socket } from 'node:net';
import { MsgType, Status } from './constants.js';
import { decodeMessage, FrameReader, parseMsgAttrs, type MsgAttrs, type UbusHeader } from './message.js';
import { UbusError } from './errors.js';

export interface Reply {
  data: MsgAttrs[];
  status: number;
  statusAttrs: MsgAttrs;
}

/**
 * Runs when a request's STATUS arrives, before the next message on the socket is dispatched. A reply
 * and the messages that depend on it (an INVOKE or NOTIFY for the object just added) can come in one
 * read; state they need must be in place before they are handled, not one microtask later.
 */
export type OnReply = (r: Reply) => void;

interface Pending {
  data: MsgAttrs[];
  onReply: OnReply | undefined;
  resolve: (r: Reply) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout | undefined;
}

export type ObjectMessageHandler = (h: UbusHeader, attrs: MsgAttrs) => void;

export class UbusConnection {
  readonly clientId: number;
  private seq = 0;
  private readonly pending = new Map<string, Pending>();
  private closed = false;
  onObjectMessage: ObjectMessageHandler = () => {};
  onClose: (err?: Error) => void = () => {};

  private constructor(private readonly socket: Socket, clientId: number, reader: FrameReader, rest: Uint8Array[]) {
    this.clientId = clientId;
    socket.on('data', (chunk) => this.feed(reader, chunk));
    socket.on('close', () => this.shutdown(new UbusError(Status.CONNECTION_FAILED, 'Connection to ubus lost')));
    socket.on('error', () => {});
    for (const f of rest) queueMicrotask(() => this.dispatch(f));
  }

  /** Connects and waits for ubusd's HELLO, which carries our client id. */
  static open(path: string, timeoutMs = 5000): Promise<UbusConnection> {
    return new Promise((resolve, reject) => {
      const socket = createConnection(path);
      const reader = new FrameReader();
      const fail = (e: Error) => {
        clearTimeout(timer);
        socket.destroy();
        reject(e);
      };
      const timer = setTimeout(() => fail(new UbusError(Status.TIMEOUT, `No HELLO from ubus at ${path}`)), timeoutMs);
      socket.on('error', (e) => fail(new UbusError(Status.CONNECTION_FAILED, `Failed to connect to ubus at ${path}: ${e.message}`)));
      const onData = (chunk: Buffer) => {
        let frames: Uint8Array[];
        try { frames = reader.push(chunk); } catch (e) { fail(e as Error); return; }
        if (frames.length === 0) return;
        const hello = decodeMessage(frames[0]!);
        if (hello.type !== MsgType.HELLO) { fail(new UbusError(Status.CONNECTION_FAILED, 'ubus did not greet with HELLO')); return; }
        clearTimeout(timer);
        socket.removeListener('data', onData);
        socket.removeAllListeners('error');
        resolve(new UbusConnection(socket, hello.peer, reader, frames.slice(1)));
      };
      socket.on('data', onData);
    });
  }

  get isClosed(): boolean {
    return this.closed;
  }

  nextSeq(): number {
    this.seq = (this.seq + 1) & 0xffff;
    return this.seq;
  }

  /** Sends a request and collects its DATA messages until the STATUS with the same (seq, peer). */
  request(frame: Uint8Array, seq: number, peer: number, timeoutMs: number, onReply?: OnReply): Promise<Reply> {
    if (this.closed) return Promise.reject(new UbusError(Status.CONNECTION_FAILED, 'Not connected to ubus'));
    return new Promise((resolve, reject) => {
      const key = `${seq}:${peer >>> 0}`;
      const p: Pending = { data: [], onReply, resolve, reject, timer: undefined };
      if (timeoutMs > 0) {
        p.timer = setTimeout(() => {
          this.pending.delete(key);
          reject(new UbusError(Status.TIMEOUT));
        }, timeoutMs);
      }
      this.pending.set(key, p);
      this.socket.write(frame);
    });
  }

  /** Sends a message that expects no answer. */
  send(frame: Uint8Array): void {
    if (!this.closed) this.socket.write(frame);
  }

  close(): void {
    this.shutdown(new UbusError(Status.CONNECTION_FAILED, 'Connection closed'), true);
  }

  private feed(reader: FrameReader, chunk: Uint8Array): void {
    let frames: Uint8Array[];
    try {
      frames = reader.push(chunk);
    } catch (e) {
      this.shutdown(e as Error);
      return;
    }
    for (const f of frames) this.dispatch(f);
  }

  private dispatch(frame: Uint8Array): void {
    if (this.closed) return;
    let attrs: MsgAttrs;
    let h: UbusHeader;
    try {
      const m = decodeMessage(frame);
      h = m;
      attrs = parseMsgAttrs(m.body);
    } catch {
      return; // a single malformed message from the broker is ignored, as libubus does
    }
    if (h.type === MsgType.DATA || h.type === MsgType.STATUS) {
      const p = this.pending.get(`${h.seq}:${h.peer >>> 0}`);
      if (!p) return;
      if (h.type === MsgType.DATA) { p.data.push(attrs); return; }
      this.pending.delete(`${h.seq}:${h.peer >>> 0}`);
      if (p.timer) clearTimeout(p.timer);
      const reply: Reply = { data: p.data, status: attrs.status ?? Status.UNKNOWN_ERROR, statusAttrs: attrs };
      try {
        p.onReply?.(reply);
      } catch (e) {
        p.reject(e as Error);
        return;
      }
      p.resolve(reply);
      return;
    }
    if (h.type === MsgType.INVOKE || h.type === MsgType.NOTIFY || h.type === MsgType.UNSUBSCRIBE) {
      this.onObjectMessage(h, attrs);
    }
  }

  private shutdown(err: Error, byUs = false): void {
    if (this.closed) return;
    this.closed = true;
    this.socket.destroy();
    for (const p of this.pending.values()) {
      if (p.timer) clearTimeout(p.timer);
      p.reject(err);
    }
    this.pending.clear();
    this.onClose(byUs ? undefined : err);
  }
}
