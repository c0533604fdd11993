// Subscriptions (ubusd_proto.c add/remove watch, notify; ubusd_obj.c subscribe/unsubscribe): a
// client's object watches another client's object; the owner learns with NOTIFY {ACTIVE} whether
// anyone watches, publishes with NOTIFY, and each watcher gets it as an INVOKE of its own object.
// When a watched object goes away, each watcher is sent UNSUBSCRIBE.

import { Attr, Status } from '../../src/ubus/constants.js';
import { AclType } from './broker-acl.js';
import { attrData, getCString, getU32, getU8, type AttrRef, type Frame } from './broker-wire.js';
import { forwardMsg, notifyStatusMsg, subscriptionStateMsg, unsubscribedMsg } from './broker-replies.js';
import type { Bus } from './broker-context.js';
import type { BrokerClient } from './broker-client.js';
import type { BusObject, Subscription } from './broker-objects.js';

type Attrs = Array<AttrRef | undefined>;

/** SUBSCRIBE {OBJID = the watcher's object, TARGET = the watched object}. */
export function handleSubscribe(bus: Bus, cl: BrokerClient, tb: Attrs): number {
  if (!tb[Attr.OBJID] || !tb[Attr.TARGET]) return Status.INVALID_ARGUMENT;
  const obj = bus.registry.objects.get(getU32(tb[Attr.OBJID]));
  if (!obj) return Status.NOT_FOUND;
  if (obj.owner !== cl) return Status.INVALID_ARGUMENT;
  const target = bus.registry.objects.get(getU32(tb[Attr.TARGET]));
  if (!target || !target.owner) return Status.NOT_FOUND;
  if (target.owner === cl) return Status.INVALID_ARGUMENT;
  if (target.path === null) {
    // An anonymous object may be watched only by a peer of the same user or group.
    if (target.owner.user !== cl.user && target.owner.group !== cl.group) return Status.NOT_FOUND;
  } else if (!bus.acl.check(cl, target.path, null, AclType.SUBSCRIBE)) {
    return Status.NOT_FOUND;
  }
  subscribe(bus, obj, target);
  return Status.OK;
}

/** UNSUBSCRIBE {OBJID, TARGET}: drops the newest matching subscription of that object. */
export function handleUnsubscribe(bus: Bus, cl: BrokerClient, tb: Attrs): number {
  if (!tb[Attr.OBJID] || !tb[Attr.TARGET]) return Status.INVALID_ARGUMENT;
  const obj = bus.registry.objects.get(getU32(tb[Attr.OBJID]));
  if (!obj) return Status.NOT_FOUND;
  if (obj.owner !== cl) return Status.INVALID_ARGUMENT;
  const targetId = getU32(tb[Attr.TARGET]);
  const s = obj.targets.find((x) => x.target.id === targetId);
  if (!s) return Status.NOT_FOUND;
  unsubscribe(bus, s);
  return Status.OK;
}

/**
 * NOTIFY {OBJID, METHOD, DATA?, NO_REPLY?} from an object's owner: unless NO_REPLY, the owner first
 * gets STATUS {OBJID, SUBSCRIBERS, STATUS 0}; then every watcher gets the INVOKE (with the owner's
 * seq and client id, so that watchers' answers find their way back). Never answered otherwise.
 */
export function handleNotify(bus: Bus, cl: BrokerClient, f: Frame, tb: Attrs): number {
  if (!tb[Attr.METHOD] || !tb[Attr.OBJID]) return Status.INVALID_ARGUMENT;
  const noReply = tb[Attr.NO_REPLY] ? getU8(tb[Attr.NO_REPLY]) !== 0 : false;
  const obj = bus.registry.objects.get(getU32(tb[Attr.OBJID]));
  if (!obj) return Status.NOT_FOUND;
  if (obj.owner !== cl) return Status.PERMISSION_DENIED;
  if (!noReply) bus.send(cl, notifyStatusMsg(f.seq, f.peer, obj.id, obj.subscribers.map((s) => s.subscriber.id)));
  const method = getCString(tb[Attr.METHOD]);
  const data = tb[Attr.DATA] ? attrData(tb[Attr.DATA]) : undefined;
  for (const s of [...obj.subscribers]) {
    const owner = s.subscriber.owner;
    if (!owner) continue;
    bus.send(owner, forwardMsg(f.seq, cl.id, { noReply, objId: s.subscriber.id, method, user: cl.user, group: cl.group, data }));
  }
  return -1;
}

export function subscribe(bus: Bus, obj: BusObject, target: BusObject): void {
  const first = target.subscribers.length === 0;
  const s: Subscription = { subscriber: obj, target };
  target.subscribers.unshift(s);
  obj.targets.unshift(s);
  if (first) notifySubscription(bus, target);
}

export function unsubscribe(bus: Bus, s: Subscription): void {
  remove(s.target.subscribers, s);
  remove(s.subscriber.targets, s);
  if (s.target.subscribers.length === 0) notifySubscription(bus, s.target);
}

/** The watched object is going away: tell the watcher, then drop the subscription. */
export function notifyUnsubscribe(bus: Bus, s: Subscription): void {
  const sub = s.subscriber;
  if (sub.owner) {
    sub.invokeSeq = (sub.invokeSeq + 1) >>> 0;
    bus.send(sub.owner, unsubscribedMsg(sub.invokeSeq, sub.id, s.target.id));
  }
  unsubscribe(bus, s);
}

/** ubus_notify_subscription: NOTIFY {OBJID, ACTIVE} to the owner, peer 0, the object's own seq. */
function notifySubscription(bus: Bus, obj: BusObject): void {
  if (!obj.owner) return;
  obj.invokeSeq = (obj.invokeSeq + 1) >>> 0;
  bus.send(obj.owner, subscriptionStateMsg(obj.invokeSeq, obj.id, obj.subscribers.length > 0));
}

function remove<T>(list: T[], item: T): void {
  const i = list.indexOf(item);
  if (i >= 0) list.splice(i, 1);
}
