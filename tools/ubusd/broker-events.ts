// Events (ubusd_event.c): object 1 takes "register" {object, pattern} and "send" {id, data};
// a sent event goes, as an INVOKE with peer 0 that nobody answers, to every listening object whose
// pattern matches (exact, or prefix with a trailing `*`) — once per object, never back to the
// sender's own objects. ubusd itself announces `ubus.object.add` / `ubus.object.remove`.

import { BlobmsgType, Status, UBUS_SYSTEM_OBJECT_MAX } from '../../src/ubus/constants.js';
import { blobmsgData, blobmsgParse, blobmsgString, blobmsgU32 } from './broker-wire.js';
import { AclType, byKeyThenOrder, matchingEntries, type AclStore } from './broker-acl.js';
import { eventMsg, objectEventData } from './broker-replies.js';
import type { BrokerClient } from './broker-client.js';
import type { BusObject, EventSource, ObjectRegistry } from './broker-objects.js';

export interface EventOptions {
  /**
   * ubusd before the late-2025 fix let a listener register the bare pattern "*" without the listen
   * ACL; ubusd since then checks it like any other pattern. We check (the fixed behaviour).
   */
  checkWildcardListen: boolean;
}

const REGISTER_POLICY = [{ name: 'pattern', type: BlobmsgType.STRING }, { name: 'object', type: BlobmsgType.INT32 }];
const SEND_POLICY = [{ name: 'id', type: BlobmsgType.STRING }, { name: 'data', type: BlobmsgType.TABLE }];

export class EventHub {
  /** Every registered pattern, sorted by key (then registration order), like ubusd's pattern tree. */
  private sources: EventSource[] = [];
  private order = 0;
  private eventSeq = 0;
  private sendSeq = 1;

  constructor(
    private readonly objects: ObjectRegistry,
    private readonly acl: AclStore,
    private readonly deliver: (cl: BrokerClient, msg: Uint8Array) => void,
    private readonly opts: EventOptions = { checkWildcardListen: true },
  ) {}

  /** The handler of system object 1. */
  receive(cl: BrokerClient, method: string, data: Uint8Array | undefined): number {
    if (method === 'register') return this.register(cl, data);
    if (method === 'send') return this.forward(cl, data);
    return Status.INVALID_COMMAND;
  }

  private register(cl: BrokerClient, data: Uint8Array | undefined): number {
    if (!data) return Status.INVALID_ARGUMENT;
    const [patAttr, objAttr] = blobmsgParse(REGISTER_POLICY, data);
    if (!patAttr || !objAttr) return Status.INVALID_ARGUMENT;
    const id = blobmsgU32(objAttr);
    if (id < UBUS_SYSTEM_OBJECT_MAX) return Status.PERMISSION_DENIED;
    const obj = this.objects.objects.get(id);
    if (!obj) return Status.NOT_FOUND;
    if (obj.owner !== cl) return Status.PERMISSION_DENIED;
    let pattern = blobmsgString(patAttr);
    // An empty pattern made ubusd read before the string (CVE-2025-62526); it now refuses it.
    if (pattern.length === 0) return Status.INVALID_ARGUMENT;
    const partial = pattern.endsWith('*');
    if (partial) pattern = pattern.slice(0, -1);
    if ((pattern.length > 0 || this.opts.checkWildcardListen) && !this.acl.check(cl, pattern, null, AclType.LISTEN)) {
      return Status.PERMISSION_DENIED;
    }
    const ev: EventSource = { obj, key: pattern, partial, order: this.order++ };
    obj.events.unshift(ev);
    const at = upperBound(this.sources, ev);
    this.sources.splice(at, 0, ev);
    return Status.OK;
  }

  private forward(cl: BrokerClient, data: Uint8Array | undefined): number {
    if (!data) return Status.INVALID_ARGUMENT;
    const [idAttr, dataAttr] = blobmsgParse(SEND_POLICY, data);
    if (!idAttr || !dataAttr) return Status.INVALID_ARGUMENT;
    const id = blobmsgString(idAttr);
    if (id.startsWith('ubus.')) return Status.PERMISSION_DENIED;
    return this.send(cl, id, blobmsgData(dataAttr));
  }

  /** ubusd_send_event: `from` is null for ubusd's own events (no ACL, no loop-back rule). */
  send(from: BrokerClient | null, id: string, data: Uint8Array): number {
    if (!this.acl.check(from, id, null, AclType.SEND)) return Status.PERMISSION_DENIED;
    const round = ++this.sendSeq;
    for (const s of matchingEntries(this.sources, id)) {
      const obj = s.obj;
      if (!obj.owner || obj.owner === from) continue;
      if (obj.eventSeen === round) continue;
      obj.eventSeen = round;
      this.eventSeq = (this.eventSeq + 1) | 0;
      this.deliver(obj.owner, eventMsg(this.eventSeq & 0xffff, obj.id, id, data));
    }
    return Status.OK;
  }

  /** ubusd_send_obj_event. */
  objectEvent(obj: BusObject, add: boolean): void {
    if (obj.path === null) return;
    this.send(null, add ? 'ubus.object.add' : 'ubus.object.remove', objectEventData(obj.id, obj.path));
  }

  /** ubusd_event_cleanup_object: the object's patterns go with it. */
  cleanup(obj: BusObject): void {
    if (obj.events.length === 0) return;
    const gone = new Set(obj.events);
    this.sources = this.sources.filter((s) => !gone.has(s));
    obj.events.length = 0;
  }

  get patternCount(): number { return this.sources.length; }
}

function upperBound(sorted: readonly EventSource[], ev: EventSource): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (byKeyThenOrder(sorted[mid]!, ev) <= 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
