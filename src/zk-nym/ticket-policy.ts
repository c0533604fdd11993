// Which ticketbook pays next, how many tickets are left, and when to ask for more: upstream's rules, pure.
// nymtech/nym-vpn-client nym-vpn-account-controller/src/ticketbooks.rs (TICKET_NUMBER_THRESHOLD 30; a book
// expiring today counts as expired; v1-mixnet-exit is never requested, the client does not use it) and
// nymtech/nym common/credential-storage/src/backends/sqlite.rs get_next_unspent_ticketbook (the earliest
// expiring book that still has the tickets and has not expired).
import { TICKET_TYPES, noTickets, type TicketType } from './ticket-type.js';

export const TICKET_NUMBER_THRESHOLD = 30;

export interface TicketbookInfo {
  id: string;
  type: TicketType;
  /** The last day (UTC, YYYY-MM-DD) the book may be spent from, as the issuers signed it. */
  expirationDate: string;
  epochId: number;
  total: number;
  used: number;
}

/** ISO dates compare as strings. A book whose date is today or earlier no longer counts (has_expired). */
export function hasExpired(book: Pick<TicketbookInfo, 'expirationDate'>, today: string): boolean {
  return book.expirationDate <= today;
}

export function remainingTickets(books: readonly TicketbookInfo[], today: string): Record<TicketType, number> {
  const left = noTickets();
  for (const b of books) if (!hasExpired(b, today)) left[b.type] += Math.max(0, b.total - b.used);
  return left;
}

/** The types to request a ticketbook for now (at or below the threshold), never v1-mixnet-exit. */
export function ticketTypesRunningLow(books: readonly TicketbookInfo[], today: string, threshold = TICKET_NUMBER_THRESHOLD): TicketType[] {
  const left = remainingTickets(books, today);
  return TICKET_TYPES.filter((t) => t !== 'v1-mixnet-exit' && left[t] <= threshold);
}

/** The book to spend `n` tickets of `type` from: unexpired (by the deadline), enough left, earliest expiry. */
export function nextBookToSpend(books: readonly TicketbookInfo[], type: TicketType, deadline: string, n = 1): TicketbookInfo | undefined {
  return books
    .filter((b) => b.type === type && b.used + n <= b.total && b.expirationDate >= deadline)
    .sort((a, b) => (a.expirationDate < b.expirationDate ? -1 : a.expirationDate > b.expirationDate ? 1 : a.id < b.id ? -1 : 1))[0];
}

/** Today's date in UTC as upstream's ecash_today gives it (YYYY-MM-DD). */
export function ecashToday(nowMs: number): string {
  return new Date(nowMs).toISOString().slice(0, 10);
}
