// Ticketbook types: upstream's TicketType (credentials-interface/src/lib.rs, serde kebab-case names) and its
// numeric form TicketTypeRepr (common/network-defaults/src/ecash.rs), which is the `t_type` attribute.
import { EcashError } from './errors.js';

export const TICKET_TYPES = ['v1-mixnet-entry', 'v1-mixnet-exit', 'v1-wireguard-entry', 'v1-wireguard-exit'] as const;
export type TicketType = (typeof TICKET_TYPES)[number];

/** Tickets in one ticketbook (network-defaults TICKETBOOK_SIZE). */
export const TICKETBOOK_SIZE = 50;
/** Days a ticketbook stays spendable (network-defaults TICKETBOOK_VALIDITY_DAYS). */
export const TICKETBOOK_VALIDITY_DAYS = 7;

export function encodeTicketType(t: TicketType): number {
  const i = TICKET_TYPES.indexOf(t);
  if (i < 0) throw new EcashError('value', 'ticket type', `unknown ${String(t)}`);
  return i;
}

export function decodeTicketType(n: number): TicketType {
  const t = TICKET_TYPES[n];
  if (t === undefined) throw new EcashError('value', 'ticket type', `unknown encoded type ${n}`);
  return t;
}
