// What uhttpd reaches over ubus, for the dev server: rpcd's `session` and `uci` objects served
// here, every other object (nym-vpn above all) on the real bus through our UbusClient, with
// uhttpd's script timeout. Failed calls keep the data the object sent before its status, as
// uhttpd's request callbacks do.

import { BlobmsgType, Status } from '../../src/ubus/constants.js';
import { UbusClient, UbusError } from '../../src/ubus/client.js';
import type { BlobmsgTable } from '../../src/ubus/blobmsg.js';
import { RpcTimeout, type InvokeResult, type RpcBackend } from './jsonrpc.js';
import { SESSION_SIGNATURE, type SessionStore } from './rpcd-session.js';
import { UCI_SIGNATURE, type UciObject } from './uci-object.js';

/** uhttpd's default script_timeout (s). */
export const SCRIPT_TIMEOUT = 60;

const TYPE_WORDS: Partial<Record<BlobmsgType, string>> = {
  [BlobmsgType.INT8]: 'boolean',
  [BlobmsgType.INT32]: 'number',
  [BlobmsgType.STRING]: 'string',
  [BlobmsgType.ARRAY]: 'array',
  [BlobmsgType.TABLE]: 'object',
};

type LocalHandler = (method: string, args: Record<string, unknown>) => Promise<Record<string, unknown> | undefined>;

export class BusBackend implements RpcBackend {
  private readonly local: Record<string, { call: LocalHandler; signature: Record<string, Record<string, string>> }>;

  constructor(
    private readonly client: UbusClient,
    readonly sessions: SessionStore,
    uci: UciObject,
    private readonly timeoutMs = SCRIPT_TIMEOUT * 1000,
  ) {
    this.local = {
      session: { call: (m, a) => sessions.call(m, a), signature: SESSION_SIGNATURE },
      uci: { call: (m, a) => uci.call(m, a), signature: UCI_SIGNATURE },
    };
  }

  async exists(object: string): Promise<boolean> {
    if (object in this.local) return true;
    return (await this.client.lookup(object)).some((o) => o.path === object);
  }

  async allowed(sid: string, object: string, fn: string): Promise<boolean> {
    return this.sessions.access(sid, 'ubus', object, fn);
  }

  async invoke(object: string, method: string, args: Record<string, unknown>): Promise<InvokeResult> {
    const local = this.local[object];
    if (local) {
      try {
        const data = await local.call(method, args);
        return data === undefined ? { status: 0 } : { status: 0, data: data as BlobmsgTable };
      } catch (e) {
        if (e instanceof UbusError) return { status: e.status };
        throw e;
      }
    }
    try {
      const id = await this.client.lookupId(object);
      const replies = await this.client.invoke(id, method, args, this.timeoutMs);
      return replies.length === 0 ? { status: 0 } : { status: 0, data: Object.assign({}, ...replies) as BlobmsgTable };
    } catch (e) {
      if (e instanceof UbusError) {
        if (e.status === Status.TIMEOUT) throw new RpcTimeout();
        return e.data === undefined ? { status: e.status } : { status: e.status, data: e.data };
      }
      throw e;
    }
  }

  async paths(): Promise<string[]> {
    const remote = (await this.client.lookup()).map((o) => o.path);
    return [...new Set([...Object.keys(this.local), ...remote])].sort();
  }

  async signature(path: string): Promise<Record<string, Record<string, string>> | null> {
    if (path in this.local) return this.local[path]!.signature;
    const o = (await this.client.lookup(path)).find((x) => x.path === path);
    if (!o) return null;
    return Object.fromEntries(o.signature.map((m) => [m.name, Object.fromEntries(m.args.map(([a, t]) => [a, TYPE_WORDS[t] ?? 'unknown']))]));
  }
}
