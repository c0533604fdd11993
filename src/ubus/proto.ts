// Builders for every ubus message, with the attribute order the real peers use (ubusd_proto.c,
// ubusd_event.c, libubus-*.c), so our bytes match theirs. Pure functions; no I/O.

import { Attr, BlobmsgType, MsgType } from './constants.js';
import { BlobWriter } from './blob.js';
import { BlobmsgError, nameHeader, splitElement, putJsonTableAttr, putTyped } from './blobmsg.js';
import { parseAttrs, readU32 } from './blob.js';
import { encodeMessage } from './message.js';

/** A method's signature as ADD_OBJECT carries it: argument name → blobmsg type. */
export interface MethodSignature {
  name: string;
  args: ReadonlyArray<readonly [string, BlobmsgType]>;
}

/** Data for DATA: a JSON-like table (encoded as `ubus call` would) or a ready blobmsg payload. */
export type DataArg = Record<string, unknown> | Uint8Array;

function putData(w: BlobWriter, data: DataArg | undefined, always = false): void {
  if (data instanceof Uint8Array) w.put(Attr.DATA, data);
  else if (data !== undefined) putJsonTableAttr(w, Attr.DATA, data);
  else if (always) w.open(Attr.DATA).close();
}

/** ubusd → client on connect: peer = the client's id, empty body. */
export const hello = (clientId: number) => encodeMessage({ type: MsgType.HELLO, seq: 0, peer: clientId });

/** A STATUS as ubusd answers a request it handled itself (only STATUS). */
export function status(seq: number, peer: number, code: number): Uint8Array {
  return encodeMessage({ type: MsgType.STATUS, seq, peer }, new BlobWriter(16).putU32(Attr.STATUS, code));
}

export function lookup(seq: number, path?: string): Uint8Array {
  const w = new BlobWriter(64);
  if (path !== undefined) w.putString(Attr.OBJPATH, path);
  return encodeMessage({ type: MsgType.LOOKUP, seq, peer: 0 }, w);
}

/** One LOOKUP answer: DATA {OBJPATH, OBJID, OBJTYPE, SIGNATURE} (ubusd_send_obj). */
export function lookupData(seq: number, peer: number, o: { path: string; id: number; typeId: number; signature: Uint8Array }): Uint8Array {
  const w = new BlobWriter(64 + o.signature.length)
    .putString(Attr.OBJPATH, o.path)
    .putU32(Attr.OBJID, o.id)
    .putU32(Attr.OBJTYPE, o.typeId)
    .put(Attr.SIGNATURE, o.signature);
  return encodeMessage({ type: MsgType.DATA, seq, peer }, w);
}

/** The SIGNATURE payload: one TABLE per method, named after it, of INT32 argname = type. */
export function signaturePayload(methods: readonly MethodSignature[]): Uint8Array {
  const w = new BlobWriter(64);
  for (const m of methods) {
    w.open(BlobmsgType.TABLE, true, nameHeader(m.name));
    for (const [arg, type] of m.args) putTyped(w, BlobmsgType.INT32, arg, type);
    w.close();
  }
  return rootPayload(w);
}

/** ADD_OBJECT: {OBJPATH, SIGNATURE}, or nothing for an anonymous object (libubus-obj.c). */
export function addObject(seq: number, path?: string, methods?: readonly MethodSignature[]): Uint8Array {
  const w = new BlobWriter(128);
  if (path !== undefined) w.putString(Attr.OBJPATH, path);
  if (methods !== undefined) w.put(Attr.SIGNATURE, signaturePayload(methods));
  return encodeMessage({ type: MsgType.ADD_OBJECT, seq, peer: 0 }, w);
}

/** ubusd's answer to ADD_OBJECT / REMOVE_OBJECT: DATA {OBJID, OBJTYPE?}. */
export function objectData(seq: number, peer: number, id: number, typeId?: number): Uint8Array {
  const w = new BlobWriter(32).putU32(Attr.OBJID, id);
  if (typeId !== undefined) w.putU32(Attr.OBJTYPE, typeId);
  return encodeMessage({ type: MsgType.DATA, seq, peer }, w);
}

export function removeObject(seq: number, id: number): Uint8Array {
  return encodeMessage({ type: MsgType.REMOVE_OBJECT, seq, peer: 0 }, new BlobWriter(16).putU32(Attr.OBJID, id));
}

/** A client's INVOKE: peer = the target object, {OBJID, METHOD, DATA} (ubus_invoke_async). */
export function invoke(seq: number, objId: number, method: string, data?: DataArg): Uint8Array {
  const w = new BlobWriter(128).putU32(Attr.OBJID, objId).putString(Attr.METHOD, method);
  putData(w, data ?? {}, true);
  return encodeMessage({ type: MsgType.INVOKE, seq, peer: objId }, w);
}

/**
 * An INVOKE as ubusd delivers it to an object's owner (ubusd_forward_invoke):
 * {NO_REPLY?, OBJID, METHOD, USER?, GROUP?, DATA?}, peer = the caller's client id.
 */
export function forwardedInvoke(
  seq: number,
  peer: number,
  f: { objId: number; method: string; user?: string; group?: string; data?: Uint8Array; noReply?: boolean },
): Uint8Array {
  const w = new BlobWriter(128 + (f.data?.length ?? 0));
  if (f.noReply) w.putU8(Attr.NO_REPLY, 1);
  w.putU32(Attr.OBJID, f.objId).putString(Attr.METHOD, f.method);
  if (f.user !== undefined) w.putString(Attr.USER, f.user);
  if (f.group !== undefined) w.putString(Attr.GROUP, f.group);
  if (f.data !== undefined) w.put(Attr.DATA, f.data);
  return encodeMessage({ type: MsgType.INVOKE, seq, peer }, w);
}

/** An object's reply data to an invoke: DATA {OBJID, DATA} (ubus_send_reply). */
export function replyData(seq: number, peer: number, objId: number, data: DataArg): Uint8Array {
  const w = new BlobWriter(128).putU32(Attr.OBJID, objId);
  putData(w, data, true);
  return encodeMessage({ type: MsgType.DATA, seq, peer }, w);
}

/** An object's final status to an invoke: STATUS {STATUS, OBJID} (ubus_complete_request). */
export function replyStatus(seq: number, peer: number, objId: number, code: number): Uint8Array {
  const w = new BlobWriter(32).putU32(Attr.STATUS, code).putU32(Attr.OBJID, objId);
  return encodeMessage({ type: MsgType.STATUS, seq, peer }, w);
}

export function ping(seq: number): Uint8Array {
  return encodeMessage({ type: MsgType.PING, seq, peer: 0 });
}

export function subscribe(seq: number, ownObjId: number, target: number, unsubscribe = false): Uint8Array {
  const w = new BlobWriter(32).putU32(Attr.OBJID, ownObjId).putU32(Attr.TARGET, target);
  return encodeMessage({ type: unsubscribe ? MsgType.UNSUBSCRIBE : MsgType.SUBSCRIBE, seq, peer: 0 }, w);
}

/** ubusd → an object's owner: whether it has subscribers now (ubus_notify_subscription). */
export function subscriptionState(seq: number, objId: number, active: boolean): Uint8Array {
  const w = new BlobWriter(32).putU32(Attr.OBJID, objId).putU8(Attr.ACTIVE, active ? 1 : 0);
  return encodeMessage({ type: MsgType.NOTIFY, seq, peer: 0 }, w);
}

/** ubusd → a subscriber whose target went away: UNSUBSCRIBE {OBJID = its object, TARGET}. */
export function unsubscribed(seq: number, subscriberObjId: number, target: number): Uint8Array {
  const w = new BlobWriter(32).putU32(Attr.OBJID, subscriberObjId).putU32(Attr.TARGET, target);
  return encodeMessage({ type: MsgType.UNSUBSCRIBE, seq, peer: 0 }, w);
}

/** An owner publishing to its subscribers: NOTIFY {OBJID, METHOD, DATA, NO_REPLY?} (ubus_notify_async). */
export function notify(seq: number, objId: number, type: string, data: DataArg, noReply: boolean): Uint8Array {
  const w = new BlobWriter(128).putU32(Attr.OBJID, objId).putString(Attr.METHOD, type);
  putData(w, data, true);
  if (noReply) w.putU8(Attr.NO_REPLY, 1);
  return encodeMessage({ type: MsgType.NOTIFY, seq, peer: objId }, w);
}

/** ubusd's answer to a NOTIFY that wants replies: STATUS {OBJID, SUBSCRIBERS, STATUS 0}. */
export function notifyStatus(seq: number, peer: number, objId: number, subscribers: readonly number[]): Uint8Array {
  const w = new BlobWriter(32 + 8 * subscribers.length).putU32(Attr.OBJID, objId);
  w.open(Attr.SUBSCRIBERS);
  for (const s of subscribers) w.putU32(0, s);
  w.close();
  w.putU32(Attr.STATUS, 0);
  return encodeMessage({ type: MsgType.STATUS, seq, peer }, w);
}

/** The payload of a writer's root attribute (what goes inside a nested message attribute). */
export function rootPayload(w: BlobWriter): Uint8Array {
  return w.finish().subarray(4);
}

/**
 * Reads a SIGNATURE payload back into methods. Like ubusd (ubusd_obj.c) it requires each method to
 * be a TABLE; argument values are read as INT32 types.
 */
export function parseSignature(payload: Uint8Array): MethodSignature[] {
  const out: MethodSignature[] = [];
  for (const m of parseAttrs(payload)) {
    const methodHead = splitElement(m);
    if (m.id !== BlobmsgType.TABLE) throw new BlobmsgError(`signature entry '${methodHead.name}' is not a table`);
    const args: Array<readonly [string, BlobmsgType]> = [];
    for (const a of parseAttrs(methodHead.value)) {
      const arg = splitElement(a);
      if (arg.value.length !== 4) throw new BlobmsgError(`signature argument '${arg.name}' is not an int32`);
      args.push([arg.name, readU32(arg.value) as BlobmsgType]);
    }
    out.push({ name: methodHead.name, args });
  }
  return out;
}
