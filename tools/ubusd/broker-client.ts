// One connected peer of the broker: its socket, credentials, objects and what it has not yet read.

import type { Socket } from 'node:net';
import { UBUS_MAX_MSGLEN } from '../../src/ubus/constants.js';
import { FrameSplitter } from './broker-wire.js';
import type { BusObject } from './broker-objects.js';

export interface PeerIdentity {
  pid: number;
  uid: number;
  gid: number;
  user: string;
  group: string;
}

/** What to do when a message would push a client's unread backlog over the limit. */
export type QueueFullPolicy = 'disconnect' | 'drop-message';

/** A LOOKUP of every object that stopped because the client stopped reading (ubusd's cmd_queue). */
export interface PendingLookup {
  seq: number;
  peer: number;
  /** OBJPATH of the request; null for "every object". */
  path: string | null;
  /** Path of the next object to send; null once all are sent. */
  resumeAt: string | null;
  started: boolean;
}

export class BrokerClient {
  readonly splitter = new FrameSplitter();
  /** Objects owned, newest first (ubusd's list_add order, which removal follows). */
  readonly objects: BusObject[] = [];
  readonly lookups: PendingLookup[] = [];
  closed = false;
  dropped = 0;
  private waitingForFlush = false;

  constructor(
    readonly id: number,
    readonly socket: Socket,
    readonly who: PeerIdentity,
    private readonly limit: { bytes: number; policy: QueueFullPolicy },
    private readonly onOverflow: (cl: BrokerClient) => void,
  ) {}

  get uid(): number { return this.who.uid; }
  get gid(): number { return this.who.gid; }
  get user(): string { return this.who.user; }
  get group(): string { return this.who.group; }

  /** Bytes written but not yet taken by the kernel: ubusd's tx queue. */
  get backlog(): number { return this.socket.writableLength; }

  /**
   * Queues a message. Like ubusd, a message always goes when nothing is waiting; otherwise what
   * waits behind the message being written may not pass the limit (ubusd: UBUS_CLIENT_MAX_TXQ_LEN =
   * UBUS_MAX_MSGLEN). Node counts a partly written message whole, and we cannot see its size, so we
   * allow one largest message on top. Returns false when the message was not sent.
   */
  write(msg: Uint8Array): boolean {
    if (this.closed) return false;
    const queued = this.socket.writableLength;
    if (queued > 0 && queued + msg.length > this.limit.bytes + IN_FLIGHT_ALLOWANCE) {
      this.dropped++;
      if (this.limit.policy === 'disconnect') this.onOverflow(this);
      return false;
    }
    this.socket.write(msg);
    return true;
  }

  /** Calls `fn` once everything written so far has left (for resuming a paced LOOKUP). */
  whenFlushed(fn: () => void): void {
    if (this.waitingForFlush || this.closed) return;
    this.waitingForFlush = true;
    this.socket.write(EMPTY, () => {
      this.waitingForFlush = false;
      if (!this.closed) fn();
    });
  }
}

const EMPTY = new Uint8Array(0);
const IN_FLIGHT_ALLOWANCE = UBUS_MAX_MSGLEN + 8;

export const DEFAULT_QUEUE_LIMIT = UBUS_MAX_MSGLEN;
