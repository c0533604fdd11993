// The ubus client: calls, lookups, objects we serve, events and subscriptions, over one connection
// that comes back by itself when the bus restarts (objects added again, listeners registered again,
// subscriptions renewed), as libubus's ubus_auto_connect + ubus_refresh_state do.

import { EventEmitter } from 'node:events';
import { MsgType, Status, UBUS_DEFAULT_SOCKET, UBUS_SYSTEM_OBJECT_EVENT } from './constants.js';
import { decodeEntries, decodeTable, type BlobmsgEntry, type BlobmsgTable } from './blobmsg.js';
import * as proto from './proto.js';
import type { MsgAttrs, UbusHeader } from './message.js';
import { UbusConnection, type Reply } from './connection.js';
import { UbusError } from './errors.js';
import { LocalObject, type ObjectDefinition, type InvokeContext } from './local-object.js';

export { UbusError };
export type { ObjectDefinition, InvokeContext };

export interface ClientOptions {
  /** Socket path; default $UBUS_SOCKET or /var/run/ubus/ubus.sock. */
  socket?: string;
  /** Reconnect when the bus goes away (default true). */
  reconnect?: boolean;
  /** Default timeout of a call, ms (default 30000; 0 = none). */
  timeoutMs?: number;
}

export interface ObjectInfo {
  path: string;
  id: number;
  typeId: number;
  signature: proto.MethodSignature[];
}

export type EventCallback = (type: string, data: BlobmsgTable) => void;

interface Listener { pattern: string; cb: EventCallback; obj: LocalObject }
interface Subscription {
  path: string;
  cb: EventCallback;
  onRemove?: () => void;
  obj: LocalObject;
  target: number | null;
  /** A renewal is on its way; another add event meanwhile asks for one more try after it, not a second one. */
  renewing?: boolean;
  renewAgain?: boolean;
}

/** The reconnect loop's waits: from 100 ms, doubling, to 5 s (a name freed wakes it at once). */
const RECONNECT_MIN_MS = 100;
const RECONNECT_MAX_MS = 5000;

export function defaultSocketPath(): string {
  return process.env.UBUS_SOCKET || UBUS_DEFAULT_SOCKET;
}

export class UbusClient extends EventEmitter {
  private conn: UbusConnection;
  private readonly objects = new Map<number, LocalObject>();
  private readonly named = new Set<LocalObject>();
  private readonly listeners_ = new Set<Listener>();
  private readonly subscriptions = new Set<Subscription>();
  private watchingAdds: Listener | null = null;
  private removeWatch: Listener | null = null;
  private reconnecting: Promise<void> | null = null;
  private wake: (() => void) | null = null;
  private closing = false;
  readonly socketPath: string;
  private readonly opts: Required<Omit<ClientOptions, 'socket'>>;

  private constructor(conn: UbusConnection, socketPath: string, opts: ClientOptions) {
    super();
    this.conn = conn;
    this.socketPath = socketPath;
    this.opts = { reconnect: opts.reconnect ?? true, timeoutMs: opts.timeoutMs ?? 30000 };
    this.attach(conn);
  }

  static async connect(opts: ClientOptions = {}): Promise<UbusClient> {
    const path = opts.socket ?? defaultSocketPath();
    return new UbusClient(await UbusConnection.open(path), path, opts);
  }

  get clientId(): number {
    return this.conn.clientId;
  }

  get connected(): boolean {
    return !this.conn.isClosed;
  }

  private attach(conn: UbusConnection): void {
    // A new connection knows none of our objects yet: each gets its id again in restore().
    this.objects.clear();
    for (const o of this.named) o.id = 0;
    conn.onObjectMessage = (h, a) => this.onObjectMessage(h, a);
    conn.onClose = (err) => {
      if (this.closing || conn !== this.conn) return;
      this.emit('disconnect', err);
      this.wake?.();
      this.startReconnect();
    };
  }

  /** One reconnect loop at most, however many times the connection fails while it runs. */
  private startReconnect(): void {
    if (!this.opts.reconnect || this.reconnecting) return;
    this.reconnecting = this.reconnectLoop().finally(() => {
      this.reconnecting = null;
    });
  }

  /**
   * Until the bus is back and everything is registered again. Waits grow from 100 ms to RECONNECT_MAX_MS.
   * A name another client holds (a squatter, or our previous self not yet gone) is not a reason to drop the
   * connection: we stay, and try again as soon as an object goes away (ubus.object.remove) or the wait ends.
   */
  private async reconnectLoop(): Promise<void> {
    let delay = RECONNECT_MIN_MS;
    const grow = () => (delay = Math.min(delay * 2, RECONNECT_MAX_MS));
    let told = false;
    while (!this.closing) {
      if (this.conn.isClosed) {
        await this.pause(delay);
        if (this.closing) return;
        try {
          const conn = await UbusConnection.open(this.socketPath, 2000);
          this.conn = conn;
          this.attach(conn);
        } catch {
          grow();
          continue;
        }
      }
      try {
        await this.restore();
        this.emit('reconnect');
        return;
      } catch (e) {
        if (this.closing) return;
        if (this.conn.isClosed) {
          grow();
          continue;
        }
        if (!told) this.emit('register-failed', e);
        told = true;
        await this.pause(delay);
        grow();
      }
    }
  }

  /** Waits `ms`, or less when woken (an object went away, the connection closed, close()). */
  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(t);
        if (this.wake === done) this.wake = null;
        resolve();
      };
      const t = setTimeout(done, ms);
      t.unref();
      this.wake = done;
    });
  }

  /**
   * After a reconnect: every object, listener and subscription as it was before. Idempotent on one
   * connection: what already has an id stays, what failed is tried again.
   */
  private async restore(): Promise<void> {
    await this.ensureRemoveWatch();
    for (const l of this.listeners_) if (!this.objects.has(l.obj.id)) { await this.register(l.obj); await this.registerPattern(l); }
    if (this.watchingAdds && !this.objects.has(this.watchingAdds.obj.id)) { await this.register(this.watchingAdds.obj); await this.registerPattern(this.watchingAdds); }
    for (const s of this.subscriptions) {
      if (this.objects.has(s.obj.id)) continue;
      s.target = null;
      await this.register(s.obj);
      await this.trySubscribe(s);
    }
    let failure: unknown;
    for (const o of this.named) {
      if (o.id && this.objects.has(o.id)) continue;
      try {
        await this.register(o);
      } catch (e) {
        failure ??= e;
      }
    }
    if (failure !== undefined) throw failure;
  }

  /** While reconnecting: an object removed anywhere may free a name we wait for. */
  private async ensureRemoveWatch(): Promise<void> {
    if (this.removeWatch && this.objects.has(this.removeWatch.obj.id)) return;
    const l: Listener = {
      pattern: 'ubus.object.remove',
      cb: (_t, d) => {
        for (const o of this.named) if (!o.id && d.path === o.path) this.wake?.();
      },
      obj: LocalObject.anonymous(this, (t, d) => l.cb(t, d)),
    };
    this.removeWatch = l;
    await this.register(l.obj);
    await this.registerPattern(l);
  }

  /** `onOk` runs on a successful reply before any later message is handled (see OnReply). */
  private async request(frame: Uint8Array, seq: number, peer: number, timeoutMs?: number, onOk?: (r: Reply) => void): Promise<Reply> {
    const onReply = onOk && ((r: Reply) => { if (r.status === Status.OK) onOk(r); });
    const r = await this.conn.request(frame, seq, peer, timeoutMs ?? this.opts.timeoutMs, onReply);
    if (r.status !== Status.OK) {
      const data = r.data.find((d) => d.data)?.data;
      throw new UbusError(r.status, undefined, data ? safeTable(data) : undefined);
    }
    return r;
  }

  /** LOOKUP: every object, a `prefix*`, or one path. NOT_FOUND is an empty list. */
  async lookup(pattern?: string): Promise<ObjectInfo[]> {
    const seq = this.conn.nextSeq();
    let r: Reply;
    try {
      r = await this.request(proto.lookup(seq, pattern), seq, 0);
    } catch (e) {
      if (e instanceof UbusError && e.status === Status.NOT_FOUND) return [];
      throw e;
    }
    return r.data.filter((d) => d.objpath !== undefined && d.objid !== undefined).map((d) => ({
      path: d.objpath!,
      id: d.objid!,
      typeId: d.objtype ?? 0,
      signature: d.signature ? proto.parseSignature(d.signature) : [],
    }));
  }

  /** The id of one object; UbusError NOT_FOUND when there is none. */
  async lookupId(path: string): Promise<number> {
    const found = (await this.lookup(path)).find((o) => o.path === path);
    if (!found) throw new UbusError(Status.NOT_FOUND);
    return found.id;
  }

  /** Invokes a method by object id; resolves with every DATA table sent before STATUS 0. */
  async invoke(objId: number, method: string, args: Record<string, unknown> = {}, timeoutMs?: number): Promise<BlobmsgTable[]> {
    const seq = this.conn.nextSeq();
    const r = await this.request(proto.invoke(seq, objId, method, args), seq, objId, timeoutMs);
    return r.data.filter((d) => d.data).map((d) => decodeTable(d.data!));
  }

  /** `ubus call PATH METHOD ARGS`: the last reply table, or undefined when the method sent none. */
  async call(path: string, method: string, args: Record<string, unknown> = {}, timeoutMs?: number): Promise<BlobmsgTable | undefined> {
    const replies = await this.invoke(await this.lookupId(path), method, args, timeoutMs);
    return replies[replies.length - 1];
  }

  async ping(timeoutMs?: number): Promise<void> {
    const seq = this.conn.nextSeq();
    await this.request(proto.ping(seq), seq, 0, timeoutMs);
  }

  /** Serves an object at `path`; it is registered again by itself after a reconnect. */
  async addObject(path: string, def: ObjectDefinition, opts: { keepTrying?: boolean } = {}): Promise<LocalObject> {
    const obj = new LocalObject(path, def, this);
    try {
      await this.register(obj);
    } catch (e) {
      // keepTrying: the bus refused (the name is taken): the object waits, as after a reconnect, for the
      // name to be free (ubus.object.remove) or the next try of the loop.
      if (!opts.keepTrying || !(e instanceof UbusError) || e.status === Status.CONNECTION_FAILED) throw e;
      this.named.add(obj);
      this.emit('register-failed', e);
      this.startReconnect();
      return obj;
    }
    this.named.add(obj);
    return obj;
  }

  /** @internal */
  async removeObject(obj: LocalObject): Promise<void> {
    this.named.delete(obj);
    if (!obj.id || this.conn.isClosed) return;
    const seq = this.conn.nextSeq();
    this.objects.delete(obj.id);
    await this.request(proto.removeObject(seq, obj.id), seq, 0);
    obj.id = 0;
  }

  private async register(obj: LocalObject): Promise<void> {
    const seq = this.conn.nextSeq();
    const frame = obj.path === null ? proto.addObject(seq) : proto.addObject(seq, obj.path, obj.signature);
    // The id is ours before the next message: ubusd may forward an INVOKE or a subscription NOTIFY
    // for the new object in the same read as its reply.
    await this.request(frame, seq, 0, undefined, (r) => {
      const id = r.data.find((d) => d.objid !== undefined)?.objid;
      if (!id) throw new UbusError(Status.NO_DATA, 'ubus gave the object no id');
      obj.id = id;
      obj.hasSubscribers = false;
      this.objects.set(id, obj);
    });
  }

  /** @internal NOTIFY to an object's subscribers (no replies awaited, like ubus_notify with timeout -1). */
  notify(obj: LocalObject, type: string, data: Record<string, unknown>): void {
    if (!obj.id) return;
    this.conn.send(proto.notify(this.conn.nextSeq(), obj.id, type, data, true));
  }

  /** Sends an event (`ubus send TYPE DATA`). */
  async sendEvent(type: string, data: Record<string, unknown> = {}): Promise<void> {
    const seq = this.conn.nextSeq();
    await this.request(proto.invoke(seq, UBUS_SYSTEM_OBJECT_EVENT, 'send', { id: type, data }), seq, UBUS_SYSTEM_OBJECT_EVENT);
  }

  /** Listens to events matching `pattern` (`*` suffix = prefix); returns a stop function. */
  async listen(pattern: string, cb: EventCallback): Promise<() => Promise<void>> {
    const l: Listener = { pattern, cb, obj: LocalObject.anonymous(this, (type, data) => cb(type, data)) };
    await this.register(l.obj);
    await this.registerPattern(l);
    this.listeners_.add(l);
    return async () => {
      this.listeners_.delete(l);
      await this.dropAnonymous(l.obj);
    };
  }

  private async registerPattern(l: Listener): Promise<void> {
    const seq = this.conn.nextSeq();
    const frame = proto.invoke(seq, UBUS_SYSTEM_OBJECT_EVENT, 'register', { object: l.obj.id | 0, pattern: l.pattern });
    await this.request(frame, seq, UBUS_SYSTEM_OBJECT_EVENT);
  }

  /**
   * Subscribes to an object's notifications (`ubus subscribe PATH`). The subscription follows the
   * object: when it goes away (onRemove is told) and comes back, or the bus restarts, it is renewed.
   */
  async subscribe(path: string, cb: EventCallback, onRemove?: () => void): Promise<() => Promise<void>> {
    const s: Subscription = { path, cb, onRemove, obj: LocalObject.anonymous(this, (t, d) => cb(t, d)), target: null };
    await this.register(s.obj);
    this.subscriptions.add(s);
    await this.ensureAddWatch();
    // An add event while this first try runs waits for it (see renew).
    s.renewing = true;
    let took = false;
    try {
      took = await this.trySubscribe(s);
    } finally {
      s.renewing = false;
    }
    if (!took) {
      this.subscriptions.delete(s);
      await this.dropAnonymous(s.obj);
      throw new UbusError(Status.NOT_FOUND);
    }
    if (s.renewAgain) this.renew(s);
    return async () => {
      this.subscriptions.delete(s);
      if (s.target !== null && !this.conn.isClosed) {
        const seq = this.conn.nextSeq();
        await this.request(proto.subscribe(seq, s.obj.id, s.target, true), seq, 0).catch(() => {});
      }
      await this.dropAnonymous(s.obj);
    };
  }

  /** True when ubusd took the subscription (the target may have gone again since: onRemove is told). */
  private async trySubscribe(s: Subscription): Promise<boolean> {
    const target = (await this.lookup(s.path)).find((o) => o.path === s.path);
    if (!target) return false;
    const seq = this.conn.nextSeq();
    // Set before the next message: the target may go away (UNSUBSCRIBE) in the same read.
    await this.request(proto.subscribe(seq, s.obj.id, target.id), seq, 0, undefined, () => { s.target = target.id; });
    return true;
  }

  /**
   * Subscribes again to an object that came back, one try at a time: two adds in quick succession (a
   * daemon that restarts twice) would otherwise subscribe twice, and every notify would arrive twice.
   */
  private renew(s: Subscription): void {
    if (s.renewing) {
      s.renewAgain = true;
      return;
    }
    s.renewing = true;
    void (async () => {
      try {
        do {
          s.renewAgain = false;
          if (s.target === null && this.subscriptions.has(s)) await this.trySubscribe(s).catch(() => false);
        } while (s.renewAgain);
      } finally {
        s.renewing = false;
      }
    })();
  }

  /** One listener for `ubus.object.add`, so a subscription comes back with its object. */
  private async ensureAddWatch(): Promise<void> {
    if (this.watchingAdds) return;
    const l: Listener = {
      pattern: 'ubus.object.add',
      cb: (_t, d) => {
        for (const s of this.subscriptions) if (s.target === null && d.path === s.path) this.renew(s);
      },
      obj: LocalObject.anonymous(this, (t, d) => l.cb(t, d)),
    };
    this.watchingAdds = l;
    await this.register(l.obj);
    await this.registerPattern(l);
  }

  private async dropAnonymous(obj: LocalObject): Promise<void> {
    if (!obj.id || this.conn.isClosed) return;
    const seq = this.conn.nextSeq();
    this.objects.delete(obj.id);
    await this.request(proto.removeObject(seq, obj.id), seq, 0).catch(() => {});
  }

  private onObjectMessage(h: UbusHeader, a: MsgAttrs): void {
    const obj = a.objid !== undefined ? this.objects.get(a.objid) : undefined;
    if (h.type === MsgType.NOTIFY) {
      // ubusd tells an owner whether its object has subscribers now.
      if (obj && a.active !== undefined) obj.setSubscribers(a.active !== 0);
      return;
    }
    if (h.type === MsgType.UNSUBSCRIBE) {
      for (const s of this.subscriptions) {
        if (s.obj === obj && s.target === a.target) {
          s.target = null;
          s.onRemove?.();
        }
      }
      return;
    }
    void this.answerInvoke(h, a, obj);
  }

  private async answerInvoke(h: UbusHeader, a: MsgAttrs, obj: LocalObject | undefined): Promise<void> {
    const reply = h.peer !== 0 && a.noReply !== 1;
    const finish = (status: number, data?: Record<string, unknown>) => {
      if (!reply || this.conn.isClosed) return;
      const objId = obj?.id ?? 0;
      const end = proto.replyStatus(h.seq, h.peer, objId, status);
      // DATA and STATUS in one write: one wake-up of the broker instead of two.
      this.conn.send(data ? Buffer.concat([proto.replyData(h.seq, h.peer, objId, data), end]) : end);
    };
    if (!obj) return finish(Status.NOT_FOUND);
    if (a.method === undefined) return finish(Status.INVALID_ARGUMENT);
    let entries: BlobmsgEntry[];
    try {
      entries = a.data ? decodeEntries(a.data) : [];
    } catch {
      return finish(Status.INVALID_ARGUMENT, { error: 'malformed message data' });
    }
    const ctx: InvokeContext = {
      method: a.method,
      entries,
      args: Object.fromEntries(entries.map((e) => [e.name, e.value])),
      user: a.user,
      group: a.group,
      peer: h.peer,
    };
    try {
      const result = await obj.dispatch(ctx);
      finish(Status.OK, result ?? undefined);
    } catch (e) {
      if (e instanceof UbusError) finish(e.status, e.data);
      else finish(Status.UNKNOWN_ERROR, { error: (e as Error)?.message ?? String(e) });
    }
  }

  close(): void {
    this.closing = true;
    this.wake?.();
    this.conn.close();
  }
}

function safeTable(data: Uint8Array): BlobmsgTable | undefined {
  try { return decodeTable(data); } catch { return undefined; }
}
