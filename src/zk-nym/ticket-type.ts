// The four zk-nym ticket types and what one ticket of each is worth, as upstream defines them
// (nymtech/nym common/credentials-interface TicketType; common/network-defaults/src/ecash.rs: the ticket
// sizes and TICKETBOOK_SIZE, commit daed9cd15bc0).

export const TICKET_TYPES = ['v1-wireguard-entry', 'v1-wireguard-exit', 'v1-mixnet-entry', 'v1-mixnet-exit'] as const;
export type TicketType = (typeof TICKET_TYPES)[number];

/** Bytes of bandwidth one ticket buys (ecash.rs: 500 MB, 500 MB, 200 MB, 100 MB; decimal megabytes). */
export const TICKET_BANDWIDTH_BYTES: Readonly<Record<TicketType, number>> = {
  'v1-wireguard-entry': 500_000_000,
  'v1-wireguard-exit': 500_000_000,
  'v1-mixnet-entry': 200_000_000,
  'v1-mixnet-exit': 100_000_000,
};

/** Tickets in one ticketbook (TICKETBOOK_SIZE). */
export const TICKETBOOK_SIZE = 50;

export function isTicketType(v: unknown): v is TicketType {
  return typeof v === 'string' && (TICKET_TYPES as readonly string[]).includes(v);
}

export function noTickets(): Record<TicketType, number> {
  return { 'v1-wireguard-entry': 0, 'v1-wireguard-exit': 0, 'v1-mixnet-entry': 0, 'v1-mixnet-exit': 0 };
}
