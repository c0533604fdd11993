// The ticketbook the WASM's NymIssuedTicketbook.serialise() returns — { serialisationRevision, bs58EncodedData }
// — parsed into what a spend needs. Ported from common/credentials/src/ecash/bandwidth (importable.rs,
// issued.rs, serialiser/mod.rs, serialiser/keys.rs) at nymtech/nym 2ca7c7a252a8 (the WASM's commit).
//
// bs58EncodedData is bincode (big-endian, varint: make_current_storable_bincode_serializer) of
// ImportableTicketBook (revision 1):
//   serialised_ticketbook               VersionSerialised { data: Vec<u8>, revision: u8 }  — IssuedTicketBook, rev 1
//   serialised_expiration_date_signatures Option<VersionSerialised>                      — rev 2
//   serialised_coin_index_signatures    Option<VersionSerialised>                        — rev 2
//   serialised_master_verification_key  Option<VersionSerialised>                        — EpochVerificationKey, rev 2
// IssuedTicketBook (serde derive, in order): signatures_wallet WalletSignatures { sig {h, s}, v: Scalar,
// expiration_date_timestamp: u32, t_type: u8 }, spent_tickets u64, epoch_id u64, ecash_secret_key
// SecretKeyUser { sk: Scalar }, expiration_date time::Date (i32, u16), ticketbook_type TicketType (variant
// index). EpochVerificationKey: epoch_id u64, key VerificationKeyAuth { alpha: G2, beta_g1: Vec<G1>,
// beta_g2: Vec<G2> }. The two signature sets are kept as their raw VersionSerialised bytes here (not decoded).
import { BincodeReader } from '../codec/bincode.js';
import { decodeBase58Large } from './base58-large.js';
import { fromOrdinal, type EcashDate } from './ecash-date.js';
import { EcashError } from './errors.js';
import { G1_BYTES, G2_BYTES, SCALAR_BYTES, g1FromBytes, g2FromBytes, scalarFromBytes } from './group-elements.js';
import { asEcashError, type Signature } from './payment.js';
import { TICKET_TYPES, type TicketType } from './ticket-type.js';
import type { VerificationKey } from './verification-key.js';

export interface WalletSignatures {
  readonly sig: Signature;
  readonly v: bigint;
  readonly expirationTimestamp: number; // u32 unix seconds (UTC midnight)
  readonly tType: number;
}

export interface IssuedTicketbook {
  readonly wallet: WalletSignatures;
  readonly spentTickets: bigint;
  readonly epochId: bigint;
  readonly secretKey: bigint; // the ecash secret key (SecretKeyUser.sk)
  readonly expirationDate: EcashDate;
  readonly ticketType: TicketType;
  readonly masterKey?: { epochId: bigint; key: VerificationKey };
  readonly expirationDateSignaturesRaw?: { revision: number; data: Uint8Array };
  readonly coinIndexSignaturesRaw?: { revision: number; data: Uint8Array };
}

const MAX_BLOB = 1 << 20;
/** A ticketbook with both signature sets and the master key is about 9 kB, ~12,000 base58 characters. */
const MAX_TICKETBOOK_CHARS = 64 * 1024;
const MAX_BETAS = 16;

function exact(r: BincodeReader, size: number, what: string): Uint8Array {
  const b = r.bytes(r.remaining, what);
  if (b.length !== size) throw new EcashError('length', what, `${b.length} bytes, wants ${size}`);
  return b;
}

const g1 = (r: BincodeReader, what: string) => g1FromBytes(exact(r, G1_BYTES, what), what);
const g2 = (r: BincodeReader, what: string) => g2FromBytes(exact(r, G2_BYTES, what), what);
const scalar = (r: BincodeReader, what: string) => scalarFromBytes(exact(r, SCALAR_BYTES, what), what);

function versioned(r: BincodeReader, what: string): { data: Uint8Array; revision: number } {
  const data = r.bytes(MAX_BLOB, `${what}.data`).slice();
  const revision = r.u8(`${what}.revision`);
  return { data, revision };
}

function expectRevision(v: { revision: number }, want: number, what: string): void {
  if (v.revision !== want) throw new EcashError('format', what, `serialisation revision ${v.revision}, this parser knows ${want}`);
}

function parseIssued(data: Uint8Array): Omit<IssuedTicketbook, 'masterKey' | 'expirationDateSignaturesRaw' | 'coinIndexSignaturesRaw'> {
  const r = new BincodeReader(data);
  const w = 'ticketbook';
  const wallet: WalletSignatures = {
    sig: { h: g1(r, `${w}.sig.h`), s: g1(r, `${w}.sig.s`) },
    v: scalar(r, `${w}.v`),
    expirationTimestamp: r.u32(`${w}.expiration_date_timestamp`),
    tType: r.u8(`${w}.t_type`),
  };
  const spentTickets = r.u64(`${w}.spent_tickets`);
  const epochId = r.u64(`${w}.epoch_id`);
  const secretKey = scalar(r, `${w}.ecash_secret_key`);
  const year = Number(r.signed(32, `${w}.expiration_date.year`));
  const expirationDate = fromOrdinal(year, r.u16(`${w}.expiration_date.ordinal`), `${w}.expiration_date`);
  const ticketType = TICKET_TYPES[r.variant(TICKET_TYPES.length, `${w}.ticketbook_type`)]!;
  r.end(w);
  if (TICKET_TYPES[wallet.tType] !== ticketType) throw new EcashError('value', w, `wallet type ${wallet.tType} but ticketbook type ${ticketType}`);
  return { wallet, spentTickets, epochId, secretKey, expirationDate, ticketType };
}

function parseEpochKey(data: Uint8Array): { epochId: bigint; key: VerificationKey } {
  const r = new BincodeReader(data);
  const w = 'master verification key';
  const epochId = r.u64(`${w}.epoch_id`);
  const alpha = g2(r, `${w}.alpha`);
  const betaG1 = r.seq(MAX_BETAS, (rr) => g1(rr, `${w}.beta_g1`), `${w}.beta_g1`);
  const betaG2 = r.seq(MAX_BETAS, (rr) => g2(rr, `${w}.beta_g2`), `${w}.beta_g2`);
  r.end(w);
  if (betaG1.length !== betaG2.length) throw new EcashError('value', w, 'beta_g1 and beta_g2 differ in length');
  return { epochId, key: { alpha, betaG1, betaG2 } };
}

export function parseSerialisedTicketbook(t: { serialisationRevision: number; bs58EncodedData: string }): IssuedTicketbook {
  if (t.serialisationRevision !== 1) throw new EcashError('format', 'ticketbook', `serialisation revision ${t.serialisationRevision}, this parser knows 1`);
  if (typeof t.bs58EncodedData !== 'string') throw new EcashError('format', 'ticketbook', 'bs58EncodedData is not a string');
  return parseImportableTicketbook(decodeBase58Large(t.bs58EncodedData, MAX_TICKETBOOK_CHARS, 'ticketbook'));
}

/** The ImportableTicketBook bytes themselves (bs58EncodedData decoded; what the router stores). */
export function parseImportableTicketbook(bytes: Uint8Array): IssuedTicketbook {
  return asEcashError(() => {
    const r = new BincodeReader(bytes);
    const book = versioned(r, 'ticketbook');
    const dates = r.option((rr) => versioned(rr, 'expiration date signatures'), 'expiration date signatures');
    const coins = r.option((rr) => versioned(rr, 'coin index signatures'), 'coin index signatures');
    const master = r.option((rr) => versioned(rr, 'master verification key'), 'master verification key');
    r.end('importable ticketbook');
    expectRevision(book, 1, 'ticketbook');
    const out: IssuedTicketbook = { ...parseIssued(book.data) };
    if (master) {
      expectRevision(master, 2, 'master verification key');
      Object.assign(out, { masterKey: parseEpochKey(master.data) });
    }
    if (dates) Object.assign(out, { expirationDateSignaturesRaw: dates });
    if (coins) Object.assign(out, { coinIndexSignaturesRaw: coins });
    return out;
  });
}
