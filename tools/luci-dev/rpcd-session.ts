// rpcd's `session` object (openwrt/rpcd session.c) for the lab: login against the `config login`
// sections of <root>/etc/config/rpcd, 32-hex session ids, a timeout (default 300 s) that every use
// of the session renews, ACLs from acl.d, session data, and the null session
// 00000000000000000000000000000000 that holds the "unauthenticated" groups and never expires.
// Expiry is checked when a session is looked up (rpcd uses a timer; what a client sees is the same).

import { randomBytes } from 'node:crypto';
import { Status } from '../../src/ubus/constants.js';
import { UbusError } from '../../src/ubus/errors.js';
import { findOption, loadUciConfig, UciError, type UciSection } from '../../src/uci/index.js';
import { grantsFor, loadAclFiles, SessionAcl } from './rpcd-acl.js';
import { verifyPassword } from './sha-crypt.js';

export const NULL_SESSION = '00000000000000000000000000000000';
export const DEFAULT_SESSION_TIMEOUT = 300;

export interface Session {
  readonly id: string;
  /** Seconds; 0 = never expires. */
  readonly timeout: number;
  expiresAt: number;
  readonly acl: SessionAcl;
  readonly data: Record<string, unknown>;
}

export interface SessionStoreOptions {
  /** Where `config login` sections are read from at each login (the router's /etc/config). */
  configDir: string;
  aclDirs: readonly string[];
  now?: () => number;
  warn?: (msg: string) => void;
  /** A session ended (destroyed or expired): rpcd's destroy callbacks, e.g. the uci object's pending changes. */
  onDestroy?: (id: string) => void;
}

export class SessionStore {
  private readonly sessions = new Map<string, Session>();
  private readonly now: () => number;

  constructor(private readonly opts: SessionStoreOptions) {
    this.now = opts.now ?? Date.now;
    const acl = new SessionAcl(grantsFor(null, loadAclFiles(opts.aclDirs, opts.warn)));
    this.sessions.set(NULL_SESSION, { id: NULL_SESSION, timeout: 0, expiresAt: Infinity, acl, data: {} });
  }

  /** rpc_session_get: the live session (its timeout renewed), or undefined. */
  get(id: string): Session | undefined {
    const s = this.sessions.get(id);
    if (!s) return undefined;
    if (this.now() >= s.expiresAt) {
      this.sessions.delete(id);
      this.opts.onDestroy?.(id);
      return undefined;
    }
    this.touch(s);
    return s;
  }

  private touch(s: Session): void {
    if (s.timeout > 0) s.expiresAt = this.now() + s.timeout * 1000;
  }

  /** session.login; PERMISSION_DENIED for an unknown user or a wrong password. */
  async login(username: string, password: string, timeout = DEFAULT_SESSION_TIMEOUT): Promise<Session> {
    const login = await this.findLogin(username, password);
    if (!login) throw new UbusError(Status.PERMISSION_DENIED);
    const id = randomBytes(16).toString('hex');
    const acl = new SessionAcl(grantsFor(login, loadAclFiles(this.opts.aclDirs, this.opts.warn)));
    const s: Session = { id, timeout, expiresAt: timeout > 0 ? 0 : Infinity, acl, data: { username } };
    this.touch(s);
    this.sessions.set(id, s);
    return s;
  }

  private async findLogin(username: string, password: string): Promise<UciSection | null> {
    let sections: UciSection[];
    try {
      sections = (await loadUciConfig(this.opts.configDir, 'rpcd')).sections;
    } catch (e) {
      if (e instanceof UciError) return null;
      throw e;
    }
    for (const s of sections) {
      if (s.type !== 'login') continue;
      const user = findOption(s, 'username');
      if (user?.type !== 'string' || user.value !== username) continue;
      const hash = findOption(s, 'password');
      if (hash?.type !== 'string') continue;
      if (passwordMatches(hash.value, password)) return s;
    }
    return null;
  }

  destroy(id: string): void {
    if (id === NULL_SESSION) throw new UbusError(Status.PERMISSION_DENIED);
    if (!this.get(id)) throw new UbusError(Status.NOT_FOUND);
    this.sessions.delete(id);
    this.opts.onDestroy?.(id);
  }

  /** What session.login / session.list reply: {ubus_rpc_session, timeout, expires, acls, data}. */
  dump(s: Session): Record<string, unknown> {
    const expires = s.expiresAt === Infinity ? 0 : Math.max(0, Math.floor((s.expiresAt - this.now()) / 1000));
    return { ubus_rpc_session: s.id, timeout: s.timeout, expires, acls: s.acl.dump(), data: { ...s.data } };
  }

  /** rpc_session_access for callers inside the server (uhttpd's check, the uci object). */
  access(id: string, scope: string, object: string, fn: string): boolean {
    return this.get(id)?.acl.allowed(scope, object, fn) ?? false;
  }

  /** The `session` object's methods as uhttpd forwards them (ubus_rpc_session already added). */
  async call(method: string, args: Record<string, unknown>): Promise<Record<string, unknown> | undefined> {
    const str = (k: string) => (typeof args[k] === 'string' ? (args[k] as string) : undefined);
    const sid = str('ubus_rpc_session');
    switch (method) {
      case 'login': {
        const username = str('username');
        const password = str('password');
        if (username === undefined || password === undefined) throw new UbusError(Status.INVALID_ARGUMENT);
        const t = typeof args.timeout === 'number' ? args.timeout : undefined;
        return this.dump(await this.login(username, password, t));
      }
      case 'access': {
        const s = this.requireSession(sid);
        const object = str('object');
        const fn = str('function');
        if (object === undefined || fn === undefined) return s.acl.dump();
        return { access: s.acl.allowed(str('scope') ?? 'ubus', object, fn) };
      }
      case 'list': {
        const s = sid === undefined ? undefined : this.get(sid);
        if (!s) throw new UbusError(Status.NOT_FOUND);
        return this.dump(s);
      }
      case 'get': {
        const s = this.requireSession(sid);
        const keys = Array.isArray(args.keys) ? args.keys.filter((k): k is string => typeof k === 'string') : Object.keys(s.data);
        return { values: Object.fromEntries(keys.filter((k) => k in s.data).map((k) => [k, s.data[k]])) };
      }
      case 'set': {
        const s = this.requireSession(sid);
        const values = args.values;
        if (typeof values !== 'object' || values === null || Array.isArray(values)) throw new UbusError(Status.INVALID_ARGUMENT);
        for (const [k, v] of Object.entries(values)) if (k) s.data[k] = v;
        return undefined;
      }
      case 'unset': {
        const s = this.requireSession(sid);
        const keys = Array.isArray(args.keys) ? args.keys.filter((k): k is string => typeof k === 'string') : Object.keys(s.data);
        for (const k of keys) delete s.data[k];
        return undefined;
      }
      case 'destroy':
        if (sid === undefined) throw new UbusError(Status.INVALID_ARGUMENT);
        this.destroy(sid);
        return undefined;
      default:
        throw new UbusError(Status.METHOD_NOT_FOUND);
    }
  }

  private requireSession(sid: string | undefined): Session {
    if (sid === undefined) throw new UbusError(Status.INVALID_ARGUMENT);
    const s = this.get(sid);
    if (!s) throw new UbusError(Status.NOT_FOUND);
    return s;
  }
}

/** rpc_login_test_password: no hash ('', '!', 'x') means no password; '$p$user' (system accounts) is not in the lab. */
function passwordMatches(hash: string, password: string): boolean {
  if (hash === '' || hash === '!' || hash === 'x') return true;
  if (hash.startsWith('$p$')) return false;
  return verifyPassword(password, hash);
}

/** Method signatures `list` shows for the session object (rpcd's policies). */
export const SESSION_SIGNATURE: Record<string, Record<string, string>> = {
  create: { timeout: 'number' },
  list: { ubus_rpc_session: 'string' },
  access: { ubus_rpc_session: 'string', scope: 'string', object: 'string', function: 'string' },
  set: { ubus_rpc_session: 'string', values: 'object' },
  get: { ubus_rpc_session: 'string', keys: 'array' },
  unset: { ubus_rpc_session: 'string', keys: 'array' },
  destroy: { ubus_rpc_session: 'string' },
  login: { username: 'string', password: 'string', timeout: 'number' },
};
