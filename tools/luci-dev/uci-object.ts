// rpcd's `uci` object (openwrt/rpcd uci.c) over <root>/etc/config, through src/uci: each session
// keeps its own pending changes (rpcd's /tmp/.uci-<sid> delta dirs) until `commit` or `apply`
// writes them; reads see the file plus the session's changes. Access is checked in scope "uci":
// read for get/changes, write for the rest. `apply` commits every config the session changed and
// tells `onApplied` (procd's reload triggers on a router); with rollback it keeps the old files
// until `confirm`, and puts them back when the timeout passes first.

import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Status } from '../../src/ubus/constants.js';
import { UbusError } from '../../src/ubus/errors.js';
import {
  addListValue, deleteOption, deleteSection, findOption, findSection, loadUciConfig, setOption, setSection,
  UciError, writeUciConfig, type UciPackage, type UciSection,
} from '../../src/uci/index.js';
import { anonymousSectionName } from '../../src/uci/anonymous-name.js';

/** One line of a delta, as `uci changes` lists it. */
type Delta =
  | { op: 'set'; section: string; option?: string; value: string }
  | { op: 'list-add'; section: string; option: string; value: string }
  | { op: 'remove'; section: string; option?: string }
  | { op: 'add'; section: string; type: string };

export interface UciObjectOptions {
  configDir: string;
  /** rpc_session_access in scope "uci". */
  access: (sid: string, config: string, perm: 'read' | 'write') => boolean;
  /** A config was committed by `apply` (on a router: procd's reload trigger runs). */
  onApplied?: (config: string) => Promise<void> | void;
  /** Default rollback timeout of `apply`, seconds (rpcd's RPC_APPLY_TIMEOUT). */
  applyTimeout?: number;
}

const fail = (s: Status) => new UbusError(s);

export class UciObject {
  /** sid → config → pending changes. */
  private readonly deltas = new Map<string, Map<string, Delta[]>>();
  private rollback: { sid: string; files: Map<string, string | null>; timer: NodeJS.Timeout } | null = null;

  constructor(private readonly opts: UciObjectOptions) {}

  /** An apply with rollback is waiting for its confirm (its timer would restore the old files). */
  get rollbackPending(): boolean {
    return this.rollback !== null;
  }

  private pending(sid: string, config: string): Delta[] {
    let bySid = this.deltas.get(sid);
    if (!bySid) this.deltas.set(sid, (bySid = new Map()));
    let list = bySid.get(config);
    if (!list) bySid.set(config, (list = []));
    return list;
  }

  /** The config as this session sees it: the file with the session's changes applied. */
  private async load(sid: string, config: string): Promise<UciPackage> {
    let pkg: UciPackage;
    try {
      pkg = await loadUciConfig(this.opts.configDir, config);
    } catch (e) {
      if (e instanceof UciError) throw fail(e.code === 'NOTFOUND' ? Status.NOT_FOUND : e.code === 'INVAL' ? Status.INVALID_ARGUMENT : Status.UNKNOWN_ERROR);
      throw e;
    }
    for (const d of this.deltas.get(sid)?.get(config) ?? []) replay(pkg, d);
    return pkg;
  }

  /** Drops what a destroyed or expired session left behind. */
  forget(sid: string): void {
    this.deltas.delete(sid);
  }

  async call(method: string, args: Record<string, unknown>): Promise<Record<string, unknown> | undefined> {
    const sid = typeof args.ubus_rpc_session === 'string' ? args.ubus_rpc_session : undefined;
    if (sid === undefined) throw fail(Status.INVALID_ARGUMENT);
    const config = typeof args.config === 'string' ? args.config : undefined;
    const need = (perm: 'read' | 'write'): string => {
      if (config === undefined) throw fail(Status.INVALID_ARGUMENT);
      if (!this.opts.access(sid, config, perm)) throw fail(Status.PERMISSION_DENIED);
      return config;
    };
    const section = typeof args.section === 'string' ? args.section : undefined;
    switch (method) {
      case 'get': return this.get(sid, need('read'), section, typeof args.option === 'string' ? args.option : undefined);
      case 'set': return this.set(sid, need('write'), section, args.values);
      case 'add': return this.add(sid, need('write'), args.type, typeof args.name === 'string' ? args.name : undefined, args.values);
      case 'delete': return this.delete(sid, need('write'), section, args.option, args.options);
      case 'changes': return this.changes(sid, config);
      case 'revert': this.pending(sid, need('write')).length = 0; return undefined;
      case 'commit': await this.commit(sid, need('write')); return undefined;
      case 'apply': return this.apply(sid, args.rollback === true, typeof args.timeout === 'number' ? args.timeout : undefined);
      case 'confirm': return this.confirm(sid);
      case 'rollback': return this.doRollback(sid);
      default: throw fail(Status.METHOD_NOT_FOUND);
    }
  }

  private async get(sid: string, config: string, section?: string, option?: string): Promise<Record<string, unknown>> {
    const pkg = await this.load(sid, config);
    if (section === undefined) {
      return { values: Object.fromEntries(pkg.sections.map((s, i) => [s.name, dumpSection(s, i)])) };
    }
    const s = resolveSection(pkg, section);
    if (!s) throw fail(Status.NOT_FOUND);
    if (option === undefined) return { values: dumpSection(s, -1) };
    const o = findOption(s, option);
    if (!o) throw fail(Status.NOT_FOUND);
    return { value: o.type === 'list' ? [...o.values] : o.value };
  }

  private async set(sid: string, config: string, section: string | undefined, values: unknown): Promise<undefined> {
    if (section === undefined || !isTable(values)) throw fail(Status.INVALID_ARGUMENT);
    const pkg = await this.load(sid, config);
    const s = resolveSection(pkg, section);
    if (!s) throw fail(Status.NOT_FOUND);
    const out = this.pending(sid, config);
    for (const [name, v] of Object.entries(values)) {
      const cur = findOption(s, name);
      const push = (d: Delta) => { out.push(d); replay(pkg, d); };
      // rpc_uci_merge_set: an array replaces the option by a list; a scalar replaces a list, or
      // changes a string only when it differs. Empty strings are skipped, like rpcd.
      if (Array.isArray(v)) {
        if (cur) push({ op: 'remove', section: s.name, option: name });
        for (const item of v) {
          const str = formatValue(item);
          if (str !== null) push({ op: 'list-add', section: s.name, option: name, value: str });
        }
        continue;
      }
      const str = formatValue(v);
      if (cur?.type === 'list') {
        push({ op: 'remove', section: s.name, option: name });
        if (str !== null) push({ op: 'set', section: s.name, option: name, value: str });
      } else if (str !== null && (!cur || cur.value !== str)) push({ op: 'set', section: s.name, option: name, value: str });
    }
    return undefined;
  }

  private async add(sid: string, config: string, type: unknown, name: string | undefined, values: unknown): Promise<Record<string, unknown>> {
    if (typeof type !== 'string') throw fail(Status.INVALID_ARGUMENT);
    const pkg = await this.load(sid, config);
    const out = this.pending(sid, config);
    let sectionName: string;
    if (name !== undefined) {
      const d: Delta = { op: 'set', section: name, value: type };
      try { replay(pkg, d); } catch { throw fail(Status.INVALID_ARGUMENT); }
      out.push(d);
      sectionName = name;
    } else {
      sectionName = anonymousSectionName(pkg.sectionCounter + 1, type);
      const d: Delta = { op: 'add', section: sectionName, type };
      replay(pkg, d);
      out.push(d);
    }
    if (isTable(values)) await this.set(sid, config, sectionName, values);
    return { section: sectionName };
  }

  private async delete(sid: string, config: string, section: string | undefined, option: unknown, options: unknown): Promise<undefined> {
    if (section === undefined) throw fail(Status.INVALID_ARGUMENT);
    const pkg = await this.load(sid, config);
    const s = resolveSection(pkg, section);
    if (!s) throw fail(Status.NOT_FOUND);
    const out = this.pending(sid, config);
    const names = typeof option === 'string' ? [option] : Array.isArray(options) ? options.filter((o): o is string => typeof o === 'string') : null;
    if (names === null) out.push({ op: 'remove', section: s.name });
    else for (const n of names) if (findOption(s, n)) out.push({ op: 'remove', section: s.name, option: n });
    return undefined;
  }

  private changes(sid: string, config?: string): Record<string, unknown> {
    const show = (d: Delta): string[] => {
      switch (d.op) {
        case 'add': return ['add', d.section, d.type];
        case 'remove': return d.option === undefined ? ['remove', d.section] : ['remove', d.section, d.option];
        case 'list-add': return ['list-add', d.section, d.option, d.value];
        case 'set': return d.option === undefined ? ['set', d.section, d.value] : ['set', d.section, d.option, d.value];
      }
    };
    const bySid = this.deltas.get(sid) ?? new Map<string, Delta[]>();
    if (config !== undefined) {
      if (!this.opts.access(sid, config, 'read')) throw fail(Status.PERMISSION_DENIED);
      return { changes: (bySid.get(config) ?? []).map(show) };
    }
    const all: Record<string, string[][]> = {};
    for (const [c, list] of bySid) if (list.length && this.opts.access(sid, c, 'read')) all[c] = list.map(show);
    return { changes: all };
  }

  /** uci commit: the session's changes replayed on the file as it is now, written atomically. */
  private async commit(sid: string, config: string): Promise<void> {
    const pkg = await this.load(sid, config);
    await writeUciConfig(this.opts.configDir, pkg);
    this.deltas.get(sid)?.delete(config);
  }

  private async apply(sid: string, rollback: boolean, timeout?: number): Promise<undefined> {
    if (this.rollback && rollback) throw fail(Status.PERMISSION_DENIED);
    const configs = [...(this.deltas.get(sid) ?? new Map<string, Delta[]>())].filter(([, l]) => l.length > 0).map(([c]) => c);
    if (configs.length === 0) throw fail(Status.NO_DATA);
    for (const c of configs) if (!this.opts.access(sid, c, 'write')) throw fail(Status.PERMISSION_DENIED);
    if (this.rollback) return undefined;
    const before = new Map<string, string | null>();
    for (const c of configs) before.set(c, await readFile(join(this.opts.configDir, c), 'utf8').catch(() => null));
    for (const c of configs) {
      await this.commit(sid, c);
      await this.opts.onApplied?.(c);
    }
    if (rollback) {
      const seconds = timeout ?? this.opts.applyTimeout ?? 30;
      const timer = setTimeout(() => void this.restore(), seconds * 1000);
      timer.unref();
      this.rollback = { sid, files: before, timer };
    }
    return undefined;
  }

  private confirm(sid: string): undefined {
    if (!this.rollback) throw fail(Status.NO_DATA);
    if (this.rollback.sid !== sid) throw fail(Status.PERMISSION_DENIED);
    clearTimeout(this.rollback.timer);
    this.rollback = null;
    return undefined;
  }

  private async doRollback(sid: string): Promise<undefined> {
    if (!this.rollback) throw fail(Status.NO_DATA);
    if (this.rollback.sid !== sid) throw fail(Status.PERMISSION_DENIED);
    await this.restore();
    return undefined;
  }

  /** The apply was never confirmed: the files as they were, and the services told again. */
  private async restore(): Promise<void> {
    const r = this.rollback;
    if (!r) return;
    clearTimeout(r.timer);
    this.rollback = null;
    for (const [c, text] of r.files) {
      if (text !== null) await writeFile(join(this.opts.configDir, c), text);
      await this.opts.onApplied?.(c);
    }
  }

  close(): void {
    if (this.rollback) clearTimeout(this.rollback.timer);
    this.rollback = null;
  }
}

function isTable(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** rpc_uci_format_blob: strings (not empty), integers, booleans as 0/1; anything else is skipped. */
function formatValue(v: unknown): string | null {
  if (typeof v === 'string') return v === '' ? null : v;
  if (typeof v === 'number' && Number.isInteger(v)) return String(v);
  if (typeof v === 'boolean') return v ? '1' : '0';
  return null;
}

/** A section by name, or by `@type[n]` as rpcd's extended lookup allows. */
function resolveSection(pkg: UciPackage, name: string): UciSection | undefined {
  const m = /^@([^[\]]+)\[(-?\d+)\]$/.exec(name);
  if (!m) return findSection(pkg, name);
  const ofType = pkg.sections.filter((s) => s.type === m[1]);
  const i = Number(m[2]);
  return ofType[i < 0 ? ofType.length + i : i];
}

function dumpSection(s: UciSection, index: number): Record<string, unknown> {
  const out: Record<string, unknown> = { '.anonymous': s.anonymous, '.type': s.type, '.name': s.name };
  if (index >= 0) out['.index'] = index;
  for (const o of s.options) out[o.name] = o.type === 'list' ? [...o.values] : o.value;
  return out;
}

function replay(pkg: UciPackage, d: Delta): void {
  switch (d.op) {
    case 'add':
      pkg.sectionCounter += 1;
      pkg.sections.push({ type: d.type, name: d.section, anonymous: true, options: [] });
      return;
    case 'set': {
      if (d.option === undefined) { setSection(pkg, d.section, d.value); return; }
      const s = findSection(pkg, d.section);
      if (s) setOption(s, d.option, d.value);
      return;
    }
    case 'list-add': {
      const s = findSection(pkg, d.section);
      if (s) addListValue(s, d.option, d.value);
      return;
    }
    case 'remove': {
      if (d.option === undefined) { deleteSection(pkg, d.section); return; }
      const s = findSection(pkg, d.section);
      if (s) deleteOption(s, d.option);
    }
  }
}

/** Method signatures `list` shows for the uci object. */
export const UCI_SIGNATURE: Record<string, Record<string, string>> = {
  configs: {},
  get: { config: 'string', section: 'string', option: 'string', type: 'string', match: 'object', ubus_rpc_session: 'string' },
  add: { config: 'string', type: 'string', name: 'string', values: 'object', ubus_rpc_session: 'string' },
  set: { config: 'string', section: 'string', type: 'string', match: 'object', values: 'object', ubus_rpc_session: 'string' },
  delete: { config: 'string', section: 'string', type: 'string', match: 'object', option: 'string', options: 'array', ubus_rpc_session: 'string' },
  changes: { config: 'string', ubus_rpc_session: 'string' },
  revert: { config: 'string', ubus_rpc_session: 'string' },
  commit: { config: 'string', ubus_rpc_session: 'string' },
  apply: { rollback: 'boolean', timeout: 'number', ubus_rpc_session: 'string' },
  confirm: { ubus_rpc_session: 'string' },
  rollback: { ubus_rpc_session: 'string' },
};
