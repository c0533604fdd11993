// What the broker's parts share: the registries and the one way out to a client (which also feeds
// the monitors). Kept apart so each concern's file depends on this, not on the server.

import type { AclStore } from './broker-acl.js';
import type { BrokerClient } from './broker-client.js';
import type { EventHub } from './broker-events.js';
import type { MonitorHub } from './broker-monitor.js';
import type { ObjectRegistry } from './broker-objects.js';

export interface Bus {
  readonly registry: ObjectRegistry;
  readonly acl: AclStore;
  readonly events: EventHub;
  readonly monitor: MonitorHub;
  readonly clients: ReadonlyMap<number, BrokerClient>;
  /** ubus_msg_send: shows the message to the monitors, then queues it for the client. */
  send(cl: BrokerClient, msg: Uint8Array): void;
}
