// ubusd's access rules for non-root peers (ubusd_acl.c): JSON files in the ACL directory, each for
// one user or group, granting method access, publish, subscribe, listen and send on object paths
// or event types, exact or by prefix (a trailing `*`). Root (uid 0) passes every check.

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { toLatin1 } from './broker-wire.js';

export enum AclType { PUBLISH, SUBSCRIBE, ACCESS, LISTEN, SEND }

export interface AclPeer { uid: number; user: string; group: string }

interface AclEntry {
  /** The path or event prefix without its `*`. */
  key: string;
  partial: boolean;
  user: string | null;
  group: string | null;
  methods: string[] | null;
  /** The "acl" table of an access entry, reported by the ACL object's "query". */
  priv: Record<string, unknown> | null;
  publish: boolean;
  subscribe: boolean;
  listen: boolean;
  send: boolean;
  order: number;
}

export interface AclLoadReport {
  loaded: string[];
  skipped: Array<{ file: string; reason: string }>;
  /** False when the directory held no *.json at all: ubusd then keeps the rules it had. */
  replaced: boolean;
}

/** ubus_strmatch_len: how many leading chars match, and whether both strings end there. */
function strmatch(s: string, key: string): { full: boolean; len: number } {
  let i = 0;
  for (;;) {
    const a = i < s.length ? s.charCodeAt(i) : 0;
    const b = i < key.length ? key.charCodeAt(i) : 0;
    if (a !== b) return { full: false, len: i };
    if (a === 0) return { full: true, len: i };
    i++;
  }
}

/**
 * The entries matching `name`, walked like ubusd's sorted tree: in key order, stopping once the
 * matched length shrinks (nothing later can match then).
 */
export function* matchingEntries<T extends { key: string; partial: boolean }>(sorted: readonly T[], name: string, skip?: (e: T) => boolean): Generator<T> {
  let matchLen = 0;
  for (const e of sorted) {
    if (skip?.(e)) continue;
    const m = strmatch(name, e.key);
    if (m.len < matchLen) break;
    matchLen = m.len;
    if (!m.full && (!e.partial || matchLen !== e.key.length)) continue;
    yield e;
  }
}

export function byKeyThenOrder(a: { key: string; order: number }, b: { key: string; order: number }): number {
  return a.key < b.key ? -1 : a.key > b.key ? 1 : a.order - b.order;
}

export class AclStore {
  private entries: AclEntry[] = [];
  private order = 0;
  /** Bumped on every load, announced as `ubus.acl.sequence`, returned by "query". */
  seq = 0;

  /** ubusd_acl_check: true when allowed. Root, ubusd itself (no peer) and nameless objects always are. */
  check(peer: AclPeer | null, name: string | null, method: string | null, type: AclType): boolean {
    if (!peer || peer.uid === 0 || name === null) return true;
    for (const e of matchingEntries(this.entries, name)) {
      if (!((e.user !== null && e.user === peer.user) || (e.group !== null && e.group === peer.group))) continue;
      switch (type) {
        case AclType.PUBLISH: if (e.publish) return true; break;
        case AclType.SUBSCRIBE: if (e.subscribe) return true; break;
        case AclType.LISTEN: if (e.listen) return true; break;
        case AclType.SEND: if (e.send) return true; break;
        case AclType.ACCESS:
          if (e.methods?.some((m) => m === method || m === '*')) return true;
          break;
      }
    }
    return false;
  }

  /** The "acl" tables that apply to a path, for the ACL object's "query" (ubusd_reply_add). */
  privFor(path: string): Array<{ user: string | null; group: string | null; acl: Record<string, unknown> }> {
    const out: Array<{ user: string | null; group: string | null; acl: Record<string, unknown> }> = [];
    for (const e of matchingEntries(this.entries, path, (x) => x.priv === null)) out.push({ user: e.user, group: e.group, acl: e.priv! });
    return out;
  }

  /**
   * ubusd_acl_load: every DIR/*.json that is a regular file owned by root:root and not writable by
   * group or others (nor executable by others); a file that does not parse as a JSON object is skipped.
   */
  load(dir: string): AclLoadReport {
    const report: AclLoadReport = { loaded: [], skipped: [], replaced: false };
    let names: string[];
    try {
      names = readdirSync(dir).filter((n) => n.endsWith('.json') && !n.startsWith('.')).sort();
    } catch {
      return report;
    }
    if (names.length === 0) return report;
    const entries: AclEntry[] = [];
    for (const n of names) {
      const file = join(dir, n);
      const reason = this.unusable(file);
      if (reason) { report.skipped.push({ file, reason }); continue; }
      let doc: unknown;
      try { doc = JSON.parse(readFileSync(file, 'utf8')); } catch { doc = undefined; }
      if (!isTable(doc)) { report.skipped.push({ file, reason: 'not a JSON object' }); continue; }
      entries.push(...this.fileEntries(doc));
      report.loaded.push(file);
    }
    this.entries = entries.sort(byKeyThenOrder);
    this.seq++;
    report.replaced = true;
    return report;
  }

  private unusable(file: string): string | null {
    let st;
    try { st = statSync(file); } catch { return 'cannot stat'; }
    if (!st.isFile()) return 'not a regular file';
    if (st.uid !== 0 || st.gid !== 0) return 'wrong owner (must be root:root)';
    if (st.mode & 0o023) return 'wrong permissions (writable by group/others or executable by others)';
    return null;
  }

  /** ubusd_acl_file_add: "user" wins over "group"; a file with neither grants nothing. */
  private fileEntries(doc: Record<string, unknown>): AclEntry[] {
    const user = typeof doc.user === 'string' ? toLatin1(doc.user) : null;
    const group = user === null && typeof doc.group === 'string' ? toLatin1(doc.group) : null;
    if (user === null && group === null) return [];
    const out: AclEntry[] = [];
    const add = (name: string, set: Partial<AclEntry>) => {
      const raw = toLatin1(name);
      if (raw.length === 0) return; // an empty name would make ubusd read before the string
      const partial = raw.endsWith('*');
      out.push({
        key: partial ? raw.slice(0, -1) : raw, partial, user, group, methods: null, priv: null,
        publish: false, subscribe: false, listen: false, send: false, order: this.order++, ...set,
      });
    };
    if (isTable(doc.access)) {
      for (const [name, v] of Object.entries(doc.access)) {
        if (!isTable(v)) continue;
        const methods = Array.isArray(v.methods) ? v.methods.filter((m): m is string => typeof m === 'string').map(toLatin1) : null;
        const tags = Array.isArray(v.tags);
        const priv = isTable(v.acl) ? v.acl : null;
        if (methods === null && !tags && priv === null) continue;
        add(name, { methods, priv });
      }
    }
    const lists: Array<[string, keyof AclEntry]> = [['subscribe', 'subscribe'], ['publish', 'publish'], ['listen', 'listen'], ['send', 'send']];
    for (const [field, flag] of lists) {
      const list = doc[field];
      if (!Array.isArray(list)) continue;
      for (const name of list) if (typeof name === 'string') add(name, { [flag]: true });
    }
    return out;
  }
}

function isTable(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
