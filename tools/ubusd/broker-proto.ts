// The broker's answer to each message type (ubusd_proto.c): objects come and go, LOOKUP lists them,
// INVOKE is forwarded to the owner with the caller's identity, the owner's DATA/STATUS go back to
// the caller. A handler returns the status to send, -1 when nothing (more) is to be sent, -2 when
// the request waits (a LOOKUP paced behind a client that is not reading).

import { Attr, MsgType, Status, UBUS_MAX_MSGLEN, UBUS_MSG_HDR_LEN } from '../../src/ubus/constants.js';
import { AclType } from './broker-acl.js';
import { attrData, getCString, getU32, parseUbusdAttrs, type AttrRef, type Frame } from './broker-wire.js';
import { forwardMsg, lookupDataMsg, objectDataMsg, statusMsg, withHeader } from './broker-replies.js';
import { handleNotify, handleSubscribe, handleUnsubscribe, notifyUnsubscribe, unsubscribe } from './broker-subscriptions.js';
import type { Bus } from './broker-context.js';
import type { BrokerClient, PendingLookup } from './broker-client.js';
import type { BusObject } from './broker-objects.js';

type Attrs = Array<AttrRef | undefined>;
const NO_REPLY = -1;
const QUEUED = -2;

/** ubusd_proto_receive_message: runs the handler, then sends STATUS {STATUS} unless told not to. */
export function receiveMessage(bus: Bus, cl: BrokerClient, f: Frame): void {
  const tb = parseUbusdAttrs(f);
  let ret: number;
  switch (f.type) {
    case MsgType.PING: ret = ping(bus, cl, f); break;
    case MsgType.ADD_OBJECT: ret = addObject(bus, cl, f, tb); break;
    case MsgType.REMOVE_OBJECT: ret = removeObject(bus, cl, f, tb); break;
    case MsgType.LOOKUP: ret = lookup(bus, cl, f, tb); break;
    case MsgType.INVOKE: ret = invoke(bus, cl, f, tb); break;
    case MsgType.STATUS:
    case MsgType.DATA: ret = relayResponse(bus, cl, f, tb); break;
    case MsgType.SUBSCRIBE: ret = handleSubscribe(bus, cl, tb); break;
    case MsgType.UNSUBSCRIBE: ret = handleUnsubscribe(bus, cl, tb); break;
    case MsgType.NOTIFY: ret = handleNotify(bus, cl, f, tb); break;
    default: ret = Status.INVALID_COMMAND; // HELLO, MONITOR and unknown types
  }
  if (ret === NO_REPLY || ret === QUEUED) return;
  bus.send(cl, statusMsg(f.seq, f.peer, ret));
}

/** PING: the message comes back as DATA (header and body as sent), then STATUS 0. */
function ping(bus: Bus, cl: BrokerClient, f: Frame): number {
  bus.send(cl, withHeader(f.bytes, { type: MsgType.DATA }));
  return Status.OK;
}

/**
 * ADD_OBJECT {OBJPATH?, SIGNATURE? | OBJTYPE?}: a type from OBJTYPE (an unknown one gives an object
 * without type) or a new one from SIGNATURE; a path needs the publish ACL and must be free.
 */
function addObject(bus: Bus, cl: BrokerClient, f: Frame, tb: Attrs): number {
  const reg = bus.registry;
  let type = null;
  if (tb[Attr.OBJTYPE]) type = reg.refType(getU32(tb[Attr.OBJTYPE]));
  else if (tb[Attr.SIGNATURE]) type = reg.createType(attrData(tb[Attr.SIGNATURE]));
  const obj = reg.newObject(type);
  if (type) reg.unrefType(type);
  if (tb[Attr.OBJPATH]) {
    const path = getCString(tb[Attr.OBJPATH]);
    if (!bus.acl.check(cl, path, null, AclType.PUBLISH) || !reg.addPath(obj, path)) {
      freeObject(bus, obj);
      return Status.INVALID_ARGUMENT;
    }
    // Announced before the object has an owner: ubusd's listeners hear it even from its own client.
    bus.events.objectEvent(obj, true);
  }
  obj.owner = cl;
  cl.objects.unshift(obj);
  bus.send(cl, objectDataMsg(f.seq, f.peer, obj.id, tb[Attr.SIGNATURE] && obj.type ? obj.type.id : undefined));
  return Status.OK;
}

/** REMOVE_OBJECT {OBJID}: DATA {OBJID, OBJTYPE when the type goes too}, then the object goes, then STATUS. */
function removeObject(bus: Bus, cl: BrokerClient, f: Frame, tb: Attrs): number {
  if (!tb[Attr.OBJID]) return Status.INVALID_ARGUMENT;
  const obj = bus.registry.objects.get(getU32(tb[Attr.OBJID]));
  if (!obj) return Status.NOT_FOUND;
  if (obj.owner !== cl) return Status.PERMISSION_DENIED;
  bus.send(cl, objectDataMsg(f.seq, f.peer, obj.id, obj.type && obj.type.refcount === 1 ? obj.type.id : undefined));
  freeObject(bus, obj);
  return Status.OK;
}

/** ubusd_free_object: subscriptions both ways, event patterns, the remove event, the path, the id. */
export function freeObject(bus: Bus, obj: BusObject): void {
  for (const s of [...obj.targets]) unsubscribe(bus, s);
  for (const s of [...obj.subscribers]) notifyUnsubscribe(bus, s);
  bus.events.cleanup(obj);
  if (obj.path !== null) {
    bus.events.objectEvent(obj, false);
    bus.registry.removePath(obj);
  }
  if (obj.owner) {
    const i = obj.owner.objects.indexOf(obj);
    if (i >= 0) obj.owner.objects.splice(i, 1);
  }
  bus.registry.forget(obj);
}

/** LOOKUP {OBJPATH?}: waits behind unread output like ubusd's command queue, else answers now. */
function lookup(bus: Bus, cl: BrokerClient, f: Frame, tb: Attrs): number {
  const path = tb[Attr.OBJPATH] ? getCString(tb[Attr.OBJPATH]) : null;
  const cmd: PendingLookup = { seq: f.seq, peer: f.peer, path, resumeAt: null, started: false };
  if (cl.backlog > 0 || cl.lookups.length > 0) {
    cl.lookups.push(cmd);
    cl.whenFlushed(() => resumeLookups(bus, cl));
    return QUEUED;
  }
  const ret = runLookup(bus, cl, cmd);
  if (ret === QUEUED) {
    cl.lookups.push(cmd);
    cl.whenFlushed(() => resumeLookups(bus, cl));
  }
  return ret;
}

function resumeLookups(bus: Bus, cl: BrokerClient): void {
  while (cl.lookups.length > 0) {
    const cmd = cl.lookups[0]!;
    const ret = runLookup(bus, cl, cmd);
    if (ret === QUEUED) { cl.whenFlushed(() => resumeLookups(bus, cl)); return; }
    cl.lookups.shift();
    bus.send(cl, statusMsg(cmd.seq, cmd.peer, ret));
  }
}

/** __ubusd_handle_lookup: all objects (paced), one exact path, or a prefix ending in `*`. */
function runLookup(bus: Bus, cl: BrokerClient, cmd: PendingLookup): number {
  const reg = bus.registry;
  if (cmd.path === null) {
    for (const obj of reg.pathsFrom(cmd.started ? cmd.resumeAt : null)) {
      if (cl.backlog > 0) { cmd.started = true; cmd.resumeAt = obj.path; return QUEUED; }
      sendObject(bus, cl, cmd, obj);
    }
    return Status.OK;
  }
  if (cmd.path.length === 0) return Status.INVALID_ARGUMENT;
  if (!cmd.path.endsWith('*')) {
    const obj = reg.byExactPath(cmd.path);
    if (!obj) return Status.NOT_FOUND;
    sendObject(bus, cl, cmd, obj);
    return Status.OK;
  }
  const prefix = cmd.path.slice(0, -1);
  let found = false;
  for (const obj of reg.pathsFrom(prefix)) {
    if (!obj.path!.startsWith(prefix)) break;
    found = true;
    sendObject(bus, cl, cmd, obj);
  }
  return found ? Status.OK : Status.NOT_FOUND;
}

/** ubusd_send_obj: objects without a type are never listed; methods the ACL hides are left out. */
function sendObject(bus: Bus, cl: BrokerClient, cmd: PendingLookup, obj: BusObject): void {
  if (!obj.type) return;
  const all = obj.type.methods;
  const allowed = all.filter((m) => bus.acl.check(cl, obj.path, m.name, AclType.ACCESS));
  if (allowed.length === 0 && all.length > 0) return;
  bus.send(cl, lookupDataMsg(cmd.seq, cmd.peer, obj.path!, obj.id, obj.type.id, allowed));
}

/** INVOKE {OBJID, METHOD, DATA?}: the access ACL, then a system object answers or the owner gets it. */
function invoke(bus: Bus, cl: BrokerClient, f: Frame, tb: Attrs): number {
  if (!tb[Attr.METHOD] || !tb[Attr.OBJID]) return Status.INVALID_ARGUMENT;
  const obj = bus.registry.objects.get(getU32(tb[Attr.OBJID]));
  if (!obj) return Status.NOT_FOUND;
  const method = getCString(tb[Attr.METHOD]);
  if (!bus.acl.check(cl, obj.path, method, AclType.ACCESS)) return Status.PERMISSION_DENIED;
  const data = tb[Attr.DATA] ? attrData(tb[Attr.DATA]) : undefined;
  if (!obj.owner) return obj.system ? obj.system(cl, method, data, { seq: f.seq, peer: f.peer, objid: obj.id }) : Status.NOT_FOUND;
  const fwd = forwardMsg(f.seq, cl.id, { objId: obj.id, method, user: cl.user, group: cl.group, data });
  // The forwarded message carries more than the caller sent (user, group): one that no longer fits is the
  // caller's problem, not a reason for the owner's client library to drop its connection.
  if (fwd.length - UBUS_MSG_HDR_LEN > UBUS_MAX_MSGLEN) return Status.INVALID_ARGUMENT;
  bus.send(obj.owner, fwd);
  return NO_REPLY;
}

/**
 * DATA / STATUS from an object's owner (ubusd_handle_response): needs OBJID of an object of the
 * sender, STATUS needs STATUS, DATA needs DATA; goes as is to the client named by peer, with peer
 * set to the object. Anything else is dropped without an answer.
 */
function relayResponse(bus: Bus, cl: BrokerClient, f: Frame, tb: Attrs): number {
  const objAttr = tb[Attr.OBJID];
  if (!objAttr || (f.type === MsgType.STATUS && !tb[Attr.STATUS]) || (f.type === MsgType.DATA && !tb[Attr.DATA])) return NO_REPLY;
  const objId = getU32(objAttr);
  const obj = bus.registry.objects.get(objId);
  if (!obj || obj.owner !== cl) return NO_REPLY;
  const caller = bus.clients.get(f.peer);
  if (!caller) return NO_REPLY;
  bus.send(caller, withHeader(f.bytes, { peer: objId }));
  return NO_REPLY;
}
