// The router's zk-nym ticketbooks on disk, beside the account (/etc/nym-vpn/ticketbooks, 0700; files 0600).
//
// Upstream keeps them in SQLite (nymtech/nym common/credential-storage, table ecash_ticketbook: revision,
// type, the book's bytes, expiration date, epoch, total and used tickets). A router has no SQLite in Node and
// flash that wears, and holds a handful of books, so each book is two files:
//
//   <id>.book  JSON {format, revision, type, expiration_date, epoch_id, total_tickets, data (base64)}: written
//              once, atomically (temp, fsync, rename, fsync of the directory), never rewritten;
//   <id>.used  the count of tickets taken from it ("12\n"): the only file that changes, atomically.
//
// The id is the first 16 bytes of SHA-256 of the book's bytes (hex), so the same book is never stored twice
// (upstream: ticketbook_data UNIQUE). A ticket is taken by writing the new count durably *before* the index
// is handed out: a crash or power cut at any moment can lose at most the tickets being taken, never hand out
// an index twice. A book whose count file is missing or unreadable is not spent from (its count is unknown),
// and nothing unreadable is ever deleted: it stays for a person to look at.
import { createHash } from 'node:crypto';
import { readdir, rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import { ensureDir, overwriteAndRemove, removeStaleTemps, writeFileAtomic } from '../fs/atomic-file.js';
import { readSecretFile } from '../fs/secret-file.js';
import { isTicketType, type TicketType } from './ticket-type.js';
import { nextBookToSpend, type TicketbookInfo } from './ticket-policy.js';

export const TICKETBOOK_DIR = 'ticketbooks';
const FORMAT = 1;
/** A book is a few KiB; anything far larger is not one of ours. */
const MAX_BOOK_FILE = 1 << 20;
const MAX_BOOKS = 256;
const DATE = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/;

export class TicketbookStoreError extends Error {
  override name = 'TicketbookStoreError';
}

export interface NewTicketbook {
  type: TicketType;
  /** The issued ticketbook as upstream serialises it (opaque here). */
  data: Uint8Array;
  /** Upstream's serialisation revision of `data`. */
  revision: number;
  expirationDate: string;
  epochId: number;
  total: number;
}

export interface StoredTicketbook extends TicketbookInfo {
  revision: number;
  data: Uint8Array;
}

/** Tickets taken from a book: spend indexes first … first + count - 1 of that book. */
export interface TakenTickets {
  book: StoredTicketbook;
  firstIndex: number;
  count: number;
}

export interface UnusableBook {
  id: string;
  reason: string;
}

function check(cond: unknown, what: string): asserts cond {
  if (!cond) throw new TicketbookStoreError(what);
}

function checkNew(b: NewTicketbook): void {
  check(isTicketType(b.type), `unknown ticket type ${JSON.stringify(b.type)}`);
  check(b.data instanceof Uint8Array && b.data.length > 0 && b.data.length <= MAX_BOOK_FILE / 2, 'the ticketbook data is empty or too large');
  check(Number.isInteger(b.revision) && b.revision >= 0 && b.revision <= 255, 'the serialisation revision is not a u8');
  check(DATE.test(b.expirationDate), `expiration date ${JSON.stringify(b.expirationDate)} is not YYYY-MM-DD`);
  check(Number.isInteger(b.epochId) && b.epochId >= 0 && b.epochId <= 0xffffffff, 'the epoch id is not a u32');
  check(Number.isInteger(b.total) && b.total > 0 && b.total <= 0xffffffff, 'the ticket count is not a positive u32');
}

export class TicketbookStore {
  readonly dir: string;
  /** Every change goes through one queue: two takes never read the same count. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(stateDir: string) {
    this.dir = join(stateDir, TICKETBOOK_DIR);
  }

  private serial<T>(f: () => Promise<T>): Promise<T> {
    const run = this.queue.then(f, f);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async prepare(): Promise<void> {
    await ensureDir(this.dir, 0o700);
    await removeStaleTemps(this.dir);
  }

  /** Stores a new book (its count at 0); the same book again is a no-op returning its id. */
  add(book: NewTicketbook): Promise<string> {
    checkNew(book);
    const id = createHash('sha256').update(book.data).digest('hex').slice(0, 32);
    return this.serial(async () => {
      await this.prepare();
      const existing = await this.readAll();
      if (existing.books.some((b) => b.id === id) || existing.unusable.some((u) => u.id === id)) return id;
      check(existing.books.length + existing.unusable.length < MAX_BOOKS, `already ${MAX_BOOKS} ticketbooks stored`);
      // The count first: a book is never on disk without one (a crash between leaves a lone count, ignored).
      await writeFileAtomic(join(this.dir, `${id}.used`), '0\n', { mode: 0o600, dirMode: 0o700 });
      const record = {
        format: FORMAT,
        revision: book.revision,
        type: book.type,
        expiration_date: book.expirationDate,
        epoch_id: book.epochId,
        total_tickets: book.total,
        data: Buffer.from(book.data).toString('base64'),
      };
      await writeFileAtomic(join(this.dir, `${id}.book`), JSON.stringify(record) + '\n', { mode: 0o600, dirMode: 0o700 });
      return id;
    });
  }

  /** The books (without their secret bytes) and those that cannot be used, with why. */
  async list(): Promise<{ books: TicketbookInfo[]; unusable: UnusableBook[] }> {
    const all = await this.serial(() => this.readAll());
    return { books: all.books.map(({ data: _data, revision: _revision, ...info }) => info), unusable: all.unusable };
  }

  /**
   * Takes `count` tickets of `type` from the earliest-expiring book valid on `deadline`, and records that
   * durably before answering. Undefined when no book has them.
   */
  take(type: TicketType, deadline: string, count = 1): Promise<TakenTickets | undefined> {
    check(isTicketType(type), `unknown ticket type ${JSON.stringify(type)}`);
    check(Number.isInteger(count) && count >= 1 && count <= 0xffff, 'the ticket count is not a positive integer');
    return this.serial(async () => {
      const { books } = await this.readAll();
      const info = nextBookToSpend(books, type, deadline, count);
      if (!info) return undefined;
      const book = books.find((b) => b.id === info.id)!;
      const firstIndex = book.used;
      await writeFileAtomic(join(this.dir, `${book.id}.used`), `${firstIndex + count}\n`, { mode: 0o600, dirMode: 0o700 });
      return { book: { ...book, used: firstIndex + count }, firstIndex, count };
    });
  }

  /** Forgets every book (the account was forgotten): the bytes are overwritten before the files go. */
  removeAll(): Promise<number> {
    return this.serial(async () => {
      let names: string[];
      try {
        names = await readdir(this.dir);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return 0;
        throw e;
      }
      let books = 0;
      for (const name of names) {
        if (!/^[0-9a-f]{32}\.(book|used)$/.test(name) && !/^\..+\.tmp$/.test(name)) continue;
        if (await overwriteAndRemove(join(this.dir, name)) && name.endsWith('.book')) books++;
      }
      await rmdir(this.dir).catch(() => {}); // kept when something not ours is in it
      return books;
    });
  }

  private async readAll(): Promise<{ books: StoredTicketbook[]; unusable: UnusableBook[] }> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { books: [], unusable: [] };
      throw e;
    }
    const books: StoredTicketbook[] = [];
    const unusable: UnusableBook[] = [];
    for (const name of names.sort()) {
      const m = /^([0-9a-f]{32})\.book$/.exec(name);
      if (!m) continue;
      const id = m[1]!;
      try {
        books.push(await this.readBook(id));
      } catch (e) {
        unusable.push({ id, reason: (e as Error).message });
      }
    }
    return { books, unusable };
  }

  private async readBook(id: string): Promise<StoredTicketbook> {
    const text = await readSecretFile(join(this.dir, `${id}.book`), MAX_BOOK_FILE);
    check(text !== undefined, 'the book file vanished');
    let r: Record<string, unknown>;
    try {
      r = JSON.parse(text) as Record<string, unknown>;
    } catch {
      throw new TicketbookStoreError('the book file is not JSON');
    }
    check(r !== null && typeof r === 'object' && !Array.isArray(r), 'the book file is not an object');
    check(r.format === FORMAT, `unknown book format ${JSON.stringify(r.format)}`);
    check(typeof r.data === 'string' && /^[A-Za-z0-9+/]+={0,2}$/.test(r.data), 'the book data is not base64');
    const book: NewTicketbook = {
      type: r.type as TicketType,
      data: new Uint8Array(Buffer.from(r.data, 'base64')),
      revision: r.revision as number,
      expirationDate: r.expiration_date as string,
      epochId: r.epoch_id as number,
      total: r.total_tickets as number,
    };
    checkNew(book);
    check(createHash('sha256').update(book.data).digest('hex').slice(0, 32) === id, 'the book data does not match its name');
    const usedText = await readSecretFile(join(this.dir, `${id}.used`), 64);
    check(usedText !== undefined, 'its count of used tickets is missing: not spending from it, an index could repeat');
    check(/^\d{1,10}\n?$/.test(usedText), 'its count of used tickets is unreadable: not spending from it');
    const used = Number(usedText.trim());
    check(used <= book.total, `its count of used tickets (${used}) is above its ${book.total}`);
    return { id, type: book.type, expirationDate: book.expirationDate, epochId: book.epochId, total: book.total, used, revision: book.revision, data: book.data };
  }
}
