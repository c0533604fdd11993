// A stored ticketbook opened for spending: the WASM's export (ImportableTicketBook) parsed, checked against
// what the store says it is, with the master key and the two signature sets a spend needs, in the order a
// spend takes them. Upstream keeps the key and the sets per epoch in its credential storage
// (nym-vpn-account-controller request_zknym.rs import_zk_nym); here they travel inside each book, where the
// WASM put them, so a book is spendable on its own.
import { ecashUnixTimestamp, formatEcashDate } from './ecash-date.js';
import { EcashError } from './errors.js';
import type { Signature } from './payment.js';
import { checkCoinIndexSignature, checkExpirationDateSignature } from './signature-sets.js';
import { coinIndexSignaturesFromBincode, coinSignaturesByIndex, expirationDateSignaturesFromBincode, spendingDateSignatures } from './signature-sets-bincode.js';
import { parseImportableTicketbook, type IssuedTicketbook } from './ticketbook.js';
import type { VerificationKey } from './verification-key.js';
import type { TicketType } from './ticket-type.js';

export interface SpendableBook {
  readonly book: IssuedTicketbook;
  readonly masterKey: VerificationKey;
  /** One per valid spending day, oldest first. */
  readonly dateSignatures: readonly Signature[];
  /** One per coin index. */
  readonly coinSignatures: readonly Signature[];
}

/** What the store recorded for the book; the bytes must say the same. */
export interface BookLabel {
  type: TicketType;
  expirationDate: string;
  epochId: number;
}

export function openSpendableBook(data: Uint8Array, label: BookLabel): SpendableBook {
  const book = parseImportableTicketbook(data);
  const what = 'ticketbook';
  if (book.ticketType !== label.type) throw new EcashError('value', what, `holds ${book.ticketType} tickets, stored as ${label.type}`);
  if (formatEcashDate(book.expirationDate) !== label.expirationDate) throw new EcashError('value', what, `expires ${formatEcashDate(book.expirationDate)}, stored as ${label.expirationDate}`);
  if (book.epochId !== BigInt(label.epochId)) throw new EcashError('value', what, `of epoch ${book.epochId}, stored as ${label.epochId}`);
  if (!book.masterKey) throw new EcashError('value', what, 'carries no master verification key');
  if (book.masterKey.epochId !== book.epochId) throw new EcashError('value', what, `its master key is of epoch ${book.masterKey.epochId}`);
  if (!book.expirationDateSignaturesRaw) throw new EcashError('value', what, 'carries no expiration date signatures');
  if (!book.coinIndexSignaturesRaw) throw new EcashError('value', what, 'carries no coin index signatures');
  const epoch = label.epochId;
  return {
    book,
    masterKey: book.masterKey.key,
    dateSignatures: spendingDateSignatures(expirationDateSignaturesFromBincode(book.expirationDateSignaturesRaw), book.expirationDate, epoch),
    coinSignatures: coinSignaturesByIndex(coinIndexSignaturesFromBincode(book.coinIndexSignaturesRaw), epoch),
  };
}

/**
 * Checks every signature of both sets against the book's master key: 57 pairings, about 1.4 s on a desktop
 * core and several times that on a router, so the daemon runs it in the issuance worker (issuance-worker.ts),
 * never on its own thread. The WASM copies the sets without checking them; a spend with a bad one would only
 * be refused by the gateway, with the ticket gone.
 */
export function verifySpendableBook(b: SpendableBook): void {
  const exp = ecashUnixTimestamp(b.book.expirationDate);
  b.dateSignatures.forEach((sig, i) => checkExpirationDateSignature(b.masterKey, sig, i, exp));
  b.coinSignatures.forEach((sig, i) => checkCoinIndexSignature(b.masterKey, b.masterKey, sig, i));
}
