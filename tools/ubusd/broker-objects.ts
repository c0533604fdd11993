// Objects, object types and ids as ubusd keeps them (ubusd_obj.c, ubusd_id.c): ids are random
// 32-bit values ≥ 1024, each kind (clients, objects, types) in its own id tree; a type is created
// per ADD_OBJECT that carries a SIGNATURE and shared only by objects that name it with OBJTYPE;
// objects with a path are also kept in path order for LOOKUP.

import { randomFillSync } from 'node:crypto';
import { UBUS_SYSTEM_OBJECT_MAX } from '../../src/ubus/constants.js';
import { blobmsgCheckAttr, blobmsgName, blobmsgDataOff, eachAttr, type AttrRef } from './broker-wire.js';
import type { TypeMethod } from './broker-replies.js';
import type { BrokerClient } from './broker-client.js';

export interface ObjType {
  id: number;
  refcount: number;
  methods: TypeMethod[];
}

export interface Subscription {
  subscriber: BusObject;
  target: BusObject;
}

export interface EventSource {
  obj: BusObject;
  /** The pattern without its trailing `*`. */
  key: string;
  partial: boolean;
  order: number;
}

/** A handler of a system object (event, ACL, monitor): returns a status, or -1 for "already answered". */
export type SystemHandler = (cl: BrokerClient, method: string, data: Uint8Array | undefined, req: { seq: number; peer: number; objid: number }) => number;

export interface BusObject {
  id: number;
  path: string | null;
  type: ObjType | null;
  /** null for the system objects 1, 2, 3. */
  owner: BrokerClient | null;
  /** Subscriptions to this object, newest first. */
  subscribers: Subscription[];
  /** Subscriptions this object holds, newest first. */
  targets: Subscription[];
  events: EventSource[];
  invokeSeq: number;
  eventSeen: number;
  system?: SystemHandler;
}

/** Random ids like ubus_alloc_id: 32 random bits, redrawn below 1024 or when taken. */
export class IdSource {
  private pool = new Uint32Array(256);
  private next = this.pool.length;

  alloc(taken: { has(id: number): boolean }): number {
    for (;;) {
      if (this.next === this.pool.length) { randomFillSync(this.pool); this.next = 0; }
      const id = this.pool[this.next++]!;
      if (id >= UBUS_SYSTEM_OBJECT_MAX && !taken.has(id)) return id;
    }
  }
}

export class ObjectRegistry {
  readonly objects = new Map<number, BusObject>();
  readonly types = new Map<number, ObjType>();
  private readonly byPath = new Map<string, BusObject>();
  /** Named objects sorted by path, byte order (avl_strcmp). */
  private readonly sorted: BusObject[] = [];

  constructor(readonly ids: IdSource) {}

  newObject(type: ObjType | null, id?: number): BusObject {
    const obj: BusObject = {
      id: id ?? this.ids.alloc(this.objects), path: null, type, owner: null,
      subscribers: [], targets: [], events: [], invokeSeq: 0, eventSeen: 0,
    };
    this.objects.set(obj.id, obj);
    if (type) type.refcount++;
    return obj;
  }

  /** ubus_get_obj_type: an existing type, referenced once more. */
  refType(id: number): ObjType | null {
    const t = this.types.get(id);
    if (t) t.refcount++;
    return t ?? null;
  }

  /**
   * ubus_create_obj_type: a new type from a SIGNATURE payload; null when an element is not a named
   * blobmsg element (the object is then created without a type, as ubusd does).
   */
  createType(signature: Uint8Array): ObjType | null {
    const methods: TypeMethod[] = [];
    for (const a of eachAttr(signature)) {
      if (!blobmsgCheckAttr(a, true)) return null;
      methods.push(methodOf(a));
    }
    const type: ObjType = { id: this.ids.alloc(this.types), refcount: 1, methods };
    this.types.set(type.id, type);
    return type;
  }

  unrefType(type: ObjType): void {
    if (--type.refcount > 0) return;
    this.types.delete(type.id);
  }

  /** Inserts the object under `path`; false when the path is taken. */
  addPath(obj: BusObject, path: string): boolean {
    if (this.byPath.has(path)) return false;
    obj.path = path;
    this.byPath.set(path, obj);
    this.sorted.splice(this.lowerBound(path), 0, obj);
    return true;
  }

  removePath(obj: BusObject): void {
    if (obj.path === null) return;
    this.byPath.delete(obj.path);
    const i = this.lowerBound(obj.path);
    if (this.sorted[i] === obj) this.sorted.splice(i, 1);
  }

  forget(obj: BusObject): void {
    this.objects.delete(obj.id);
    if (obj.type) this.unrefType(obj.type);
  }

  byExactPath(path: string): BusObject | undefined {
    return this.byPath.get(path);
  }

  /** Named objects from the first whose path is ≥ `from` (all when null), in path order. */
  *pathsFrom(from: string | null): Generator<BusObject> {
    for (let i = from === null ? 0 : this.lowerBound(from); i < this.sorted.length; i++) yield this.sorted[i]!;
  }

  private lowerBound(path: string): number {
    let lo = 0;
    let hi = this.sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.sorted[mid]!.path! < path) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

function methodOf(a: AttrRef): TypeMethod {
  const off = blobmsgDataOff(a);
  return { name: blobmsgName(a), type: a.buf[a.off]! & 0x7f, value: a.buf.slice(off, a.off + a.len) };
}
