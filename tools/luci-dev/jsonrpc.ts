// uhttpd's ubus JSON-RPC endpoint (openwrt/uhttpd ubus.c, the "legacy" POST /ubus form LuCI uses):
// one request object or a batch array; "call" [sid, object, method, {args}] → look the object up
// (-32000), ask session.access (-32002), refuse a client-sent ubus_rpc_session (-32602), invoke with
// ubus_rpc_session added, answer "result": [status] or [status, {data}] whatever the status; "list"
// without params → object names, with an array → method signatures. Malformed frames and
// parameters are -32700 (uhttpd never sends -32600 or -32001 from this path; an expired session
// simply fails the access check). Pure: the objects, sessions and clock come from a RpcBackend.

import type { BlobmsgValue } from '../../src/ubus/blobmsg.js';
import { toJsonText } from '../../src/ubus/blobmsg.js';

export const MAX_POST_SIZE = 65536;

export const RPC_ERRORS = {
  parse: [-32700, 'Parse error'],
  request: [-32600, 'Invalid request'],
  method: [-32601, 'Method not found'],
  params: [-32602, 'Invalid parameters'],
  internal: [-32603, 'Internal error'],
  object: [-32000, 'Object not found'],
  session: [-32001, 'Session not found'],
  access: [-32002, 'Access denied'],
  timeout: [-32003, 'ubus request timed out'],
} as const;
export type RpcErrorName = keyof typeof RPC_ERRORS;

export interface InvokeResult {
  status: number;
  /** Every DATA reply merged into one table, as uhttpd collects them; absent when none came. */
  data?: Record<string, BlobmsgValue>;
}

export class RpcTimeout extends Error {}

export interface RpcBackend {
  /** ubus_lookup_id: does an object with this path exist? */
  exists(object: string): Promise<boolean>;
  /** session.access {ubus_rpc_session, object, function} → access (false when the session is gone). */
  allowed(sid: string, object: string, fn: string): Promise<boolean>;
  /** Invokes with the args as given (ubus_rpc_session included); RpcTimeout past the script timeout. */
  invoke(object: string, method: string, args: Record<string, unknown>): Promise<InvokeResult>;
  /** Every object path. */
  paths(): Promise<string[]>;
  /** Method → argument → type word ("boolean", "number", "string", "array", "object", "unknown"). */
  signature(path: string): Promise<Record<string, Record<string, string>> | null>;
}

type Json = BlobmsgValue;
type Reply = Record<string, Json>;

function frame(id: Json | undefined, body: Reply): Reply {
  return { jsonrpc: '2.0', id: id === undefined ? null : id, ...body };
}

export function rpcError(id: Json | undefined, name: RpcErrorName): Reply {
  const [code, message] = RPC_ERRORS[name];
  return frame(id, { error: { code, message } });
}

const isObj = (v: unknown): v is Record<string, Json> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The reply text for one POST body (already known to fit MAX_POST_SIZE). */
export async function handleUbusPost(body: string, backend: RpcBackend): Promise<string> {
  let doc: unknown;
  try {
    doc = JSON.parse(body);
  } catch {
    return toJsonText(rpcError(undefined, 'parse'));
  }
  if (Array.isArray(doc)) {
    // A batch: answered in order, each element on its own.
    const out: Json[] = [];
    for (const item of doc) out.push(await handleRequest(item, backend));
    return toJsonText(out);
  }
  if (!isObj(doc)) return toJsonText(rpcError(undefined, 'parse'));
  return toJsonText(await handleRequest(doc, backend));
}

async function handleRequest(req: unknown, backend: RpcBackend): Promise<Reply> {
  if (!isObj(req)) return rpcError(undefined, 'parse');
  const id = req.id;
  if (req.jsonrpc !== '2.0' || typeof req.method !== 'string') return rpcError(id, 'parse');
  if (req.method === 'call') return call(id, req.params, backend);
  if (req.method === 'list') return list(id, req.params, backend);
  return rpcError(id, 'method');
}

async function call(id: Json | undefined, params: unknown, backend: RpcBackend): Promise<Reply> {
  if (!Array.isArray(params)) return rpcError(id, 'parse');
  const [sid, object, fn, args] = params as unknown[];
  // blobmsg_parse_array drops elements of the wrong type; any missing one is a parse error.
  if (typeof sid !== 'string' || typeof object !== 'string' || typeof fn !== 'string' || !isObj(args)) return rpcError(id, 'parse');
  if (!(await backend.exists(object))) return rpcError(id, 'object');
  if (!(await backend.allowed(sid, object, fn))) return rpcError(id, 'access');
  if (Object.hasOwn(args, 'ubus_rpc_session')) return rpcError(id, 'params');
  let r: InvokeResult;
  try {
    r = await backend.invoke(object, fn, { ...args, ubus_rpc_session: sid });
  } catch (e) {
    return rpcError(id, e instanceof RpcTimeout ? 'timeout' : 'internal');
  }
  return frame(id, { result: r.data === undefined ? [r.status] : [r.status, r.data] });
}

async function list(id: Json | undefined, params: unknown, backend: RpcBackend): Promise<Reply> {
  if (!Array.isArray(params)) return frame(id, { result: await backend.paths() });
  const out: Record<string, Json> = {};
  for (const p of params) {
    if (typeof p !== 'string') continue;
    // ubus_lookup with a trailing '*' matches a prefix; objects without a signature are left out.
    const paths = p.endsWith('*') ? (await backend.paths()).filter((x) => x.startsWith(p.slice(0, -1))) : [p];
    for (const path of paths) {
      const sig = await backend.signature(path);
      if (sig) out[path] = sig;
    }
  }
  return frame(id, { result: out });
}
