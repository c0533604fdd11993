// Puts the daemon on the bus: registers `nym-vpn` with the signature from ubus-schema/, checks
// every call's arguments against the schema before a handler sees them, and publishes state
// changes both as NOTIFY `state` (ubus subscribe) and as the event `nym-vpn.state` (ubus listen).

import type { UbusClient } from '../ubus/client.js';
import type { LocalObject, InvokeContext, ObjectDefinition } from '../ubus/local-object.js';
import { checkArgs, signatureOf, type Schema } from '../ubus/schema.js';
import type { BlobmsgValue } from '../ubus/blobmsg.js';
import type { Logger } from './log.js';

export type Handler = (args: Record<string, BlobmsgValue>, ctx: InvokeContext) => Promise<Record<string, unknown>> | Record<string, unknown>;

export const STATE_EVENT = 'nym-vpn.state';
export const STATE_NOTIFICATION = 'state';

export async function registerObject(
  client: UbusClient,
  schema: Schema,
  handlers: Record<string, Handler>,
  log: Logger,
): Promise<LocalObject> {
  const def: ObjectDefinition = {};
  for (const sig of signatureOf(schema)) {
    const m = schema.methods[sig.name]!;
    const h = handlers[m.name];
    if (!h) throw new Error(`no handler for ${schema.object}.${m.name}`);
    def[m.name] = {
      args: sig.args,
      handler: async (ctx) => {
        const args = checkArgs(m, ctx.entries);
        log.debug(`call ${m.name} from ${ctx.user ?? '?'}`);
        return h(args, ctx);
      },
    };
  }
  // Taken by another client (a previous daemon not yet gone, a squatter): wait for the name, never exit.
  return client.addObject(schema.object, def, { keepTrying: true });
}

/** Publishes one state change to subscribers and listeners; failures are logged, never thrown. */
export function publishState(client: UbusClient, obj: LocalObject, status: Record<string, unknown>, log: Logger): void {
  obj.notify(STATE_NOTIFICATION, status);
  client.sendEvent(STATE_EVENT, status).catch((e: Error) => log.warn(`event ${STATE_EVENT} not sent: ${e.message}`));
}
