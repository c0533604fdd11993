// nym-ubusd: a ubusd-compatible bus for machines without OpenWrt. The server side — socket, peers,
// their credentials and their byte streams — lives here; what each message does is in
// broker-proto.ts, events in broker-events.ts, subscriptions in broker-subscriptions.ts, ACLs in
// broker-acl.ts, monitors in broker-monitor.ts.

import { chmodSync, lstatSync, mkdirSync, unlinkSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { dirname } from 'node:path';
import {
  MsgType, Status, UBUS_DEFAULT_SOCKET, UBUS_SYSTEM_OBJECT_ACL, UBUS_SYSTEM_OBJECT_EVENT, UBUS_SYSTEM_OBJECT_MONITOR,
} from '../../src/ubus/constants.js';
import { AclStore, type AclLoadReport } from './broker-acl.js';
import { BrokerClient, DEFAULT_QUEUE_LIMIT, type QueueFullPolicy } from './broker-client.js';
import { identify, loadPeerCred, socketFd, SYSTEM_NAME_FILES, type NameFiles, type PeerCredFn, type RawCred } from './broker-credentials.js';
import { EventHub } from './broker-events.js';
import { MonitorHub } from './broker-monitor.js';
import { IdSource, ObjectRegistry } from './broker-objects.js';
import { freeObject, receiveMessage } from './broker-proto.js';
import { aclQueryMsg, aclSequenceData, helloMsg } from './broker-replies.js';
import type { Bus } from './broker-context.js';

export const DEFAULT_ACL_DIR = '/usr/share/acl.d';
export const DEFAULT_GLOBAL_PENDING_LIMIT = 32 << 20;

export type LogLevel = 'error' | 'warn' | 'info' | 'debug';
export type Logger = (level: LogLevel, msg: string) => void;

export interface BrokerOptions {
  /** Default: $UBUS_SOCKET, else /var/run/ubus/ubus.sock. */
  socketPath?: string;
  /** Default: /usr/share/acl.d. */
  aclDir?: string;
  /** Most bytes a client may leave unread before `onQueueFull` applies. Default 1 MiB (ubusd's limit). */
  queueLimit?: number;
  /**
   * 'drop-message' (default, as ubusd does) drops the message, so a flood costs only its sender's answers;
   * 'disconnect' drops the slow client.
   */
  onQueueFull?: QueueFullPolicy;
  /**
   * Most bytes all clients together may hold in incomplete frames (default 32 MiB). A client whose data
   * would go past it is disconnected: 200 clients each sending 1 MiB partial frames cannot take the bus
   * (and a 128 MB router) down with them.
   */
  globalPendingLimit?: number;
  /** SO_PEERCRED; default: the nym_peercred addon. Without one, peers get the broker's own ids (with a warning). */
  peerCred?: PeerCredFn | null;
  /** Where user and group names come from. Default /etc/passwd, /etc/group. */
  nameFiles?: NameFiles;
  /** Whether registering the bare pattern "*" needs the listen ACL (ubusd since its late-2025 fix: yes). */
  checkWildcardListen?: boolean;
  log?: Logger;
}

export interface BrokerStats {
  clients: number;
  objects: number;
  types: number;
  patterns: number;
  /** Messages not delivered because a client's backlog was full. */
  dropped: number;
  /** Messages received and handled since start. */
  received: number;
}

const defaultLog: Logger = (level, msg) => {
  if (level !== 'debug') process.stderr.write(`nym-ubusd: ${level}: ${msg}\n`);
};

export class UbusBroker implements Bus {
  readonly socketPath: string;
  readonly aclDir: string;
  readonly registry = new ObjectRegistry(new IdSource());
  readonly acl = new AclStore();
  readonly events: EventHub;
  readonly monitor = new MonitorHub();
  readonly clients = new Map<number, BrokerClient>();
  private readonly ids: IdSource;
  private readonly log: Logger;
  private readonly peerCred: PeerCredFn | null;
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  private droppedFromGone = 0;
  /** Bytes held in incomplete frames, all clients together. */
  private pendingBytes = 0;
  private received = 0;
  private warnedNoCred = false;

  constructor(private readonly opts: BrokerOptions = {}) {
    this.socketPath = opts.socketPath ?? process.env.UBUS_SOCKET ?? UBUS_DEFAULT_SOCKET;
    this.aclDir = opts.aclDir ?? DEFAULT_ACL_DIR;
    this.log = opts.log ?? defaultLog;
    this.ids = this.registry.ids;
    this.peerCred = opts.peerCred === undefined ? loadPeerCred() : opts.peerCred;
    this.events = new EventHub(this.registry, this.acl, (cl, msg) => this.send(cl, msg), {
      checkWildcardListen: opts.checkWildcardListen ?? true,
    });
    const sys = (id: number) => this.registry.newObject(null, id);
    sys(UBUS_SYSTEM_OBJECT_EVENT).system = (cl, method, data) => this.events.receive(cl, method, data);
    sys(UBUS_SYSTEM_OBJECT_ACL).system = (cl, method, _data, req) => this.aclObject(cl, method, req);
    sys(UBUS_SYSTEM_OBJECT_MONITOR).system = (cl, method) => this.monitor.receive(cl, method);
  }

  /** Listens on the socket: its folder is created, a stale socket file replaced, mode 0666 as ubusd's. */
  async start(): Promise<void> {
    if (this.server) throw new Error('broker already started');
    mkdirSync(dirname(this.socketPath), { recursive: true, mode: 0o755 });
    await this.removeStaleSocket();
    const server = createServer({ allowHalfOpen: false }, (s) => this.accept(s));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.socketPath, () => { server.off('error', reject); resolve(); });
    });
    server.on('error', (e) => this.log('error', `listening socket: ${e.message}`));
    chmodSync(this.socketPath, 0o666);
    this.server = server;
    const r = this.reloadAcl();
    this.log('info', `listening on ${this.socketPath}; ACL files from ${this.aclDir}: ${r.loaded.length} loaded`);
  }

  /** Closes every connection and the socket, and removes the socket file. */
  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = null;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const s of this.sockets) s.destroy();
    await closed;
    try { unlinkSync(this.socketPath); } catch { /* already gone */ }
  }

  /** ubusd_acl_load (SIGHUP): rereads the ACL folder and announces `ubus.acl.sequence`. */
  reloadAcl(): AclLoadReport {
    const r = this.acl.load(this.aclDir);
    for (const s of r.skipped) this.log('warn', `ACL file ${s.file} skipped: ${s.reason}`);
    if (r.replaced) this.events.send(null, 'ubus.acl.sequence', aclSequenceData(this.acl.seq));
    return r;
  }

  stats(): BrokerStats {
    let dropped = this.droppedFromGone;
    for (const c of this.clients.values()) dropped += c.dropped;
    return {
      clients: this.clients.size, objects: this.registry.objects.size - 3, types: this.registry.types.size,
      patterns: this.events.patternCount, dropped, received: this.received,
    };
  }

  /** ubus_msg_send: the monitors see it first, then it is queued for the client. */
  send(cl: BrokerClient, msg: Uint8Array): void {
    if (this.monitor.active && msg[1] !== MsgType.MONITOR) this.monitor.observe(cl, msg, true);
    cl.write(msg);
  }

  private async removeStaleSocket(): Promise<void> {
    let st;
    try { st = lstatSync(this.socketPath); } catch { return; }
    if (!st.isSocket()) throw new Error(`${this.socketPath} exists and is not a socket`);
    const live = await new Promise<boolean>((resolve) => {
      const probe = connect(this.socketPath);
      probe.once('connect', () => { probe.destroy(); resolve(true); });
      probe.once('error', () => resolve(false));
    });
    if (live) throw new Error(`another bus is listening on ${this.socketPath}`);
    unlinkSync(this.socketPath);
  }

  private credentials(s: Socket): RawCred {
    if (this.peerCred) return this.peerCred(socketFd(s));
    if (!this.warnedNoCred) {
      this.warnedNoCred = true;
      this.log('warn', 'peer credentials unavailable (nym_peercred addon not built): every peer gets the broker\'s own uid/gid');
    }
    return { pid: 0, uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 };
  }

  private accept(s: Socket): void {
    s.on('error', () => { /* reported through 'close' */ });
    let who;
    try {
      who = identify(this.credentials(s), this.opts.nameFiles ?? SYSTEM_NAME_FILES);
    } catch (e) {
      this.log('warn', `refusing a peer: ${(e as Error).message}`);
      s.destroy();
      return;
    }
    if (!who) {
      this.log('warn', 'refusing a peer whose uid or gid has no name');
      s.destroy();
      return;
    }
    const id = this.ids.alloc(this.clients);
    const limit = { bytes: this.opts.queueLimit ?? DEFAULT_QUEUE_LIMIT, policy: this.opts.onQueueFull ?? 'drop-message' };
    const cl = new BrokerClient(id, s, who, limit, (c) => this.overflow(c));
    this.clients.set(id, cl);
    this.sockets.add(s);
    s.on('close', () => this.teardown(cl));
    s.on('data', (chunk: Buffer) => this.receive(cl, chunk));
    this.send(cl, helloMsg(id));
  }

  private receive(cl: BrokerClient, chunk: Buffer): void {
    if (cl.closed) return;
    const before = cl.splitter.pending;
    if (this.pendingBytes + chunk.length > (this.opts.globalPendingLimit ?? DEFAULT_GLOBAL_PENDING_LIMIT)) {
      this.log('warn', `client ${hex(cl.id)} (${cl.user}): incomplete messages of all clients would pass ${this.opts.globalPendingLimit ?? DEFAULT_GLOBAL_PENDING_LIMIT} bytes; disconnected`);
      this.drop(cl);
      return;
    }
    const frames = cl.splitter.push(chunk);
    this.pendingBytes += cl.splitter.pending - before;
    for (const f of frames) {
      if (cl.closed) return;
      this.received++;
      if (this.monitor.active) this.monitor.observe(cl, f.bytes, false);
      try {
        receiveMessage(this, cl, f);
      } catch (e) {
        this.log('error', `client ${hex(cl.id)}: message type ${f.type} failed: ${(e as Error).stack ?? e}`);
        this.drop(cl);
        return;
      }
    }
    if (cl.splitter.error !== null) {
      this.log('info', `client ${hex(cl.id)} (${cl.user}): ${cl.splitter.error}; disconnected`);
      this.drop(cl);
    }
  }

  private overflow(cl: BrokerClient): void {
    this.log('warn', `client ${hex(cl.id)} (${cl.user}) left more than ${this.opts.queueLimit ?? DEFAULT_QUEUE_LIMIT} bytes unread; disconnected`);
    this.drop(cl);
  }

  /** Stops talking to a client now; its objects go when the socket has closed (never mid-handler). */
  private drop(cl: BrokerClient): void {
    if (cl.closed) return;
    cl.closed = true;
    cl.socket.destroy();
  }

  /** handle_client_disconnect: monitors, then every object (newest first, with their events), then the id. */
  private teardown(cl: BrokerClient): void {
    if (!this.clients.has(cl.id) || this.clients.get(cl.id) !== cl) return;
    cl.closed = true;
    this.sockets.delete(cl.socket);
    this.monitor.disconnect(cl);
    for (const obj of [...cl.objects]) freeObject(this, obj);
    cl.lookups.length = 0;
    this.pendingBytes -= cl.splitter.pending;
    this.droppedFromGone += cl.dropped;
    this.clients.delete(cl.id);
  }

  /** System object 2: "query" lists the "acl" tables that apply to the caller's objects. */
  private aclObject(cl: BrokerClient, method: string, req: { seq: number; peer: number; objid: number }): number {
    if (method !== 'query') return Status.INVALID_COMMAND;
    const entries = [];
    for (const obj of cl.objects) {
      if (obj.path === null) continue;
      for (const p of this.acl.privFor(obj.path)) entries.push({ obj: obj.path, ...p });
    }
    this.send(cl, aclQueryMsg(req.seq, req.peer, req.objid, this.acl.seq, entries));
    return Status.OK;
  }
}

function hex(id: number): string {
  return id.toString(16).padStart(8, '0');
}
