// An object this process serves on the bus: its methods with their argument policies (the
// signature ubusd stores and `ubus -v list` shows), and its subscribers' state.

import type { BlobmsgEntry, BlobmsgTable } from './blobmsg.js';
import type { MethodSignature } from './proto.js';
import { Status } from './constants.js';
import { UbusError } from './errors.js';

export interface InvokeContext {
  method: string;
  /** The arguments as decoded, with their wire types (for checks against a policy). */
  entries: BlobmsgEntry[];
  args: BlobmsgTable;
  user?: string;
  group?: string;
  /** The caller's client id. */
  peer: number;
}

export type MethodHandler = (ctx: InvokeContext) => Record<string, unknown> | void | Promise<Record<string, unknown> | void>;

export interface MethodDefinition {
  args: MethodSignature['args'];
  handler: MethodHandler;
}

export type ObjectDefinition = Record<string, MethodDefinition>;

interface Owner {
  removeObject(obj: LocalObject): Promise<void>;
  notify(obj: LocalObject, type: string, data: Record<string, unknown>): void;
}

export class LocalObject {
  id = 0;
  hasSubscribers = false;
  readonly signature: MethodSignature[];
  /** Told when the first subscriber arrives or the last one leaves. */
  onSubscribers: (active: boolean) => void = () => {};

  constructor(
    readonly path: string | null,
    private readonly def: ObjectDefinition,
    private readonly owner: Owner,
    private readonly catchAll?: (method: string, data: BlobmsgTable) => void,
  ) {
    this.signature = Object.entries(def).map(([name, m]) => ({ name, args: m.args }));
  }

  /** An anonymous object that takes every method: what listeners and subscribers register. */
  static anonymous(owner: Owner, cb: (method: string, data: BlobmsgTable) => void): LocalObject {
    return new LocalObject(null, {}, owner, cb);
  }

  async dispatch(ctx: InvokeContext): Promise<Record<string, unknown> | void> {
    if (this.catchAll) {
      this.catchAll(ctx.method, ctx.args);
      return;
    }
    const m = Object.hasOwn(this.def, ctx.method) ? this.def[ctx.method] : undefined;
    if (!m) throw new UbusError(Status.METHOD_NOT_FOUND);
    return m.handler(ctx);
  }

  setSubscribers(active: boolean): void {
    this.hasSubscribers = active;
    this.onSubscribers(active);
  }

  /** Publishes a notification to every subscriber (`ubus subscribe` shows it). */
  notify(type: string, data: Record<string, unknown>): void {
    this.owner.notify(this, type, data);
  }

  remove(): Promise<void> {
    return this.owner.removeObject(this);
  }
}
