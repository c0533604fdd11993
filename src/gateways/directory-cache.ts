// The directory's last good answers on disk, so that a router that restarts while the API is
// unreachable can still choose gateways. One file per list (`gateways-vpn.json`, …) holding the
// body exactly as the API sent it: it is parsed again, strictly, when read back.
//
// Writes are atomic and skipped when nothing changed (routers keep state on flash; a refresh every
// few minutes must not rewrite it each time), except to refresh the timestamp every `rewriteAfterMs`.

import { createHash } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../fs/atomic-file.js';

export interface CacheRecord {
  url: string;
  /** When the API gave this answer (ms since the epoch). */
  fetchedAt: number;
  body: unknown;
}

const FORMAT = 1;
const KEY = /^[a-z0-9-]{1,64}$/;
const DEFAULT_REWRITE_AFTER_MS = 6 * 3600_000;

export class DirectoryCache {
  /** What is on disk per key: body hash and time, to skip rewriting the same answer. */
  private readonly written = new Map<string, { hash: string; fetchedAt: number }>();

  constructor(
    readonly dir: string,
    private readonly rewriteAfterMs = DEFAULT_REWRITE_AFTER_MS,
  ) {}

  private pathOf(key: string): string {
    if (!KEY.test(key)) throw new TypeError(`bad cache key ${JSON.stringify(key)}`);
    return join(this.dir, `${key}.json`);
  }

  /**
   * The record for key: undefined when there is none; an Error (not thrown) when the file is there
   * but unusable, so that the caller can say why the cache did not help.
   */
  async read(key: string): Promise<CacheRecord | undefined | Error> {
    let text: string;
    try {
      text = await readFile(this.pathOf(key), 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      return new Error(`cache ${this.pathOf(key)}: ${(error as Error).message}`);
    }
    let rec: unknown;
    try {
      rec = JSON.parse(text);
    } catch {
      return new Error(`cache ${this.pathOf(key)} is not JSON`);
    }
    const r = rec as { format?: unknown; url?: unknown; fetchedAt?: unknown; body?: unknown };
    if (typeof rec !== 'object' || rec === null || r.format !== FORMAT || typeof r.url !== 'string'
      || typeof r.fetchedAt !== 'number' || !Number.isFinite(r.fetchedAt) || !('body' in r)) {
      return new Error(`cache ${this.pathOf(key)} is not a directory cache record (format ${FORMAT})`);
    }
    this.written.set(key, { hash: hashOf(r.body), fetchedAt: r.fetchedAt });
    return { url: r.url, fetchedAt: r.fetchedAt, body: r.body };
  }

  /** Stores an answer unless the same body is already on disk and recent enough. Returns whether it wrote. */
  async write(key: string, record: CacheRecord): Promise<boolean> {
    const hash = hashOf(record.body);
    const prev = this.written.get(key);
    if (prev !== undefined && prev.hash === hash && record.fetchedAt - prev.fetchedAt < this.rewriteAfterMs) return false;
    await mkdir(this.dir, { recursive: true, mode: 0o755 });  // an existing dir keeps its mode
    const text = JSON.stringify({ format: FORMAT, url: record.url, fetchedAt: record.fetchedAt, body: record.body });
    await writeFileAtomic(this.pathOf(key), text, { mode: 0o644 });
    this.written.set(key, { hash, fetchedAt: record.fetchedAt });
    return true;
  }
}

function hashOf(body: unknown): string {
  return createHash('sha256').update(JSON.stringify(body)).digest('hex');
}
