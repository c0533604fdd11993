// Monitors (ubusd_monitor.c): a root client that invokes "add" on object 3 receives a MONITOR message
// for every message any client sends to the broker and the broker sends to any client.

import { Status } from '../../src/ubus/constants.js';
import { monitorMsg } from './broker-replies.js';
import type { BrokerClient } from './broker-client.js';

interface Monitor { cl: BrokerClient; seq: number }

export class MonitorHub {
  /** Newest first, the order ubusd delivers in. */
  private monitors: Monitor[] = [];

  get active(): boolean { return this.monitors.length > 0; }

  /** The handler of system object 3; only uid 0 with gid 0 may monitor. */
  receive(cl: BrokerClient, method: string): number {
    if (cl.uid !== 0 || cl.gid !== 0) return Status.PERMISSION_DENIED;
    if (method === 'add') {
      this.disconnect(cl);
      this.monitors.unshift({ cl, seq: 0 });
      return Status.OK;
    }
    if (method === 'remove') {
      this.disconnect(cl);
      return Status.OK;
    }
    return Status.METHOD_NOT_FOUND;
  }

  disconnect(cl: BrokerClient): void {
    this.monitors = this.monitors.filter((m) => m.cl !== cl);
  }

  /** One message seen: `cl` is its sender (send = false) or its receiver (send = true). */
  observe(cl: BrokerClient, frame: Uint8Array, send: boolean): void {
    if (this.monitors.length === 0) return;
    const dv = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
    const hdr = { type: frame[1]!, seq: dv.getUint16(2), peer: dv.getUint32(4) };
    const payload = frame.subarray(12);
    for (const m of this.monitors) {
      m.seq = (m.seq + 1) >>> 0;
      m.cl.write(monitorMsg(m.seq, cl.id, hdr, send, payload));
    }
  }
}
