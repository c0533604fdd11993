// The messages the broker builds itself, byte for byte as ubusd builds them (attribute order of
// ubusd_proto.c, ubusd_event.c, ubusd_monitor.c, ubusd_acl.c). Strings are the broker's byte-per-char
// (latin1) form so that whatever bytes a client sent come back unchanged. Pure functions.

import { Attr, BlobmsgType, MsgType } from '../../src/ubus/constants.js';
import { BlobWriter } from '../../src/ubus/blob.js';
import { nameHeader, putJson } from '../../src/ubus/blobmsg.js';
import { encodeMessage } from '../../src/ubus/message.js';
import { latin1Z, nameHeaderLatin1 } from './broker-wire.js';

export { status as statusMsg, hello as helloMsg, objectData as objectDataMsg } from '../../src/ubus/proto.js';
export { subscriptionState as subscriptionStateMsg, unsubscribed as unsubscribedMsg, notifyStatus as notifyStatusMsg } from '../../src/ubus/proto.js';

/** A method of an object type as ubusd keeps it: a blobmsg element (any type) with a name. */
export interface TypeMethod {
  name: string;
  type: number;
  /** The element's value bytes (after the name header), copied. */
  value: Uint8Array;
}

/** One LOOKUP answer (ubusd_send_obj): DATA {OBJPATH, OBJID, OBJTYPE, SIGNATURE (allowed methods)}. */
export function lookupDataMsg(seq: number, peer: number, path: string, id: number, typeId: number, methods: readonly TypeMethod[]): Uint8Array {
  const w = new BlobWriter(128).put(Attr.OBJPATH, latin1Z(path)).putU32(Attr.OBJID, id).putU32(Attr.OBJTYPE, typeId);
  w.open(Attr.SIGNATURE);
  // blobmsg_add_blob re-encodes each element: name cut at its NUL, padding zeroed.
  for (const m of methods) w.put(m.type, m.value, true, nameHeaderLatin1(m.name));
  w.close();
  return encodeMessage({ type: MsgType.DATA, seq, peer }, w);
}

export interface Forward {
  noReply?: boolean;
  objId: number;
  method: string;
  user: string;
  group: string;
  /** The DATA payload as received; absent when the request had none. */
  data?: Uint8Array;
}

/** An INVOKE as ubusd_forward_invoke delivers it (also the NOTIFY fan-out): {NO_REPLY?, OBJID, METHOD, USER, GROUP, DATA?}. */
export function forwardMsg(seq: number, peer: number, f: Forward): Uint8Array {
  const w = new BlobWriter(96 + (f.data?.length ?? 0));
  if (f.noReply) w.putU8(Attr.NO_REPLY, 1);
  w.putU32(Attr.OBJID, f.objId).put(Attr.METHOD, latin1Z(f.method));
  w.put(Attr.USER, latin1Z(f.user)).put(Attr.GROUP, latin1Z(f.group));
  if (f.data) w.put(Attr.DATA, f.data);
  return encodeMessage({ type: MsgType.INVOKE, seq, peer }, w);
}

/** An event delivery: INVOKE, peer 0, {OBJID = the listener, METHOD = the event type, DATA}. */
export function eventMsg(seq: number, listener: number, type: string, data: Uint8Array): Uint8Array {
  const w = new BlobWriter(64 + data.length).putU32(Attr.OBJID, listener).put(Attr.METHOD, latin1Z(type)).put(Attr.DATA, data);
  return encodeMessage({ type: MsgType.INVOKE, seq, peer: 0 }, w);
}

/** The DATA payload of `ubus.object.add` / `ubus.object.remove`: {id: INT32, path: STRING}. */
export function objectEventData(id: number, path: string): Uint8Array {
  const w = new BlobWriter(64);
  const v = new Uint8Array(4);
  new DataView(v.buffer).setUint32(0, id);
  w.put(BlobmsgType.INT32, v, true, nameHeader('id'));
  w.put(BlobmsgType.STRING, latin1Z(path), true, nameHeader('path'));
  return w.finish().subarray(4);
}

/** The DATA payload of `ubus.acl.sequence`: {sequence: INT32}. */
export function aclSequenceData(seq: number): Uint8Array {
  const w = new BlobWriter(32);
  const v = new Uint8Array(4);
  new DataView(v.buffer).setUint32(0, seq);
  w.put(BlobmsgType.INT32, v, true, nameHeader('sequence'));
  return w.finish().subarray(4);
}

// ubusmsg.h enum ubus_monitor_attr.
const MONITOR_CLIENT = 0;
const MONITOR_PEER = 1;
const MONITOR_SEND = 2;
const MONITOR_SEQ = 3;
const MONITOR_TYPE = 4;
const MONITOR_DATA = 5;

/** What a monitor receives for each message (ubusd_monitor_message); seq is the monitor's own counter. */
export function monitorMsg(seq: number, client: number, hdr: { peer: number; seq: number; type: number }, send: boolean, payload: Uint8Array): Uint8Array {
  const w = new BlobWriter(64 + payload.length)
    .putU32(MONITOR_CLIENT, client)
    .putU32(MONITOR_PEER, hdr.peer)
    .putU32(MONITOR_SEQ, hdr.seq)
    .putU32(MONITOR_TYPE, hdr.type)
    .putU8(MONITOR_SEND, send ? 1 : 0)
    .put(MONITOR_DATA, payload);
  return encodeMessage({ type: MsgType.MONITOR, seq, peer: 0 }, w);
}

/** Copies a received frame with another peer (ubusd_handle_response, the PING echo keeps the rest). */
export function withHeader(frame: Uint8Array, fields: { type?: number; peer?: number }): Uint8Array {
  const out = Buffer.from(frame);
  if (fields.type !== undefined) out[1] = fields.type;
  if (fields.peer !== undefined) out.writeUInt32BE(fields.peer >>> 0, 4);
  return out;
}

export interface AclQueryEntry { obj: string; user: string | null; group: string | null; acl: Record<string, unknown> }

/** The ACL object's "query" answer (ubusd_reply_query): DATA {OBJID, DATA {seq, acl: [{obj, user?, group?, acl}]}}. */
export function aclQueryMsg(seq: number, peer: number, objId: number, aclSeq: number, entries: readonly AclQueryEntry[]): Uint8Array {
  const w = new BlobWriter(128).putU32(Attr.OBJID, objId);
  w.open(Attr.DATA);
  const v = new Uint8Array(4);
  new DataView(v.buffer).setUint32(0, aclSeq);
  w.put(BlobmsgType.INT32, v, true, nameHeader('seq'));
  w.open(BlobmsgType.ARRAY, true, nameHeader('acl'));
  for (const e of entries) {
    w.open(BlobmsgType.TABLE, true, nameHeader(''));
    w.put(BlobmsgType.STRING, latin1Z(e.obj), true, nameHeader('obj'));
    if (e.user !== null) w.put(BlobmsgType.STRING, latin1Z(e.user), true, nameHeader('user'));
    if (e.group !== null) w.put(BlobmsgType.STRING, latin1Z(e.group), true, nameHeader('group'));
    putJson(w, 'acl', e.acl);
    w.close();
  }
  w.close();
  w.close();
  return encodeMessage({ type: MsgType.DATA, seq, peer }, w);
}
