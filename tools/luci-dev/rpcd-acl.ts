// rpcd's ACL groups (/usr/share/rpcd/acl.d/*.json) and the grants a login gets from them
// (openwrt/rpcd session.c): a login section's `list read` / `list write` name groups by fnmatch
// pattern ('!' patterns deny first), write on a group implies read on it, the null session gets the
// groups named "unauthenticated", and each granted permission also lands in the meta scope
// "access-group" as <group> → <read|write>. Grants are (scope, object, function) patterns matched
// with fnmatch(FNM_NOESCAPE).

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { UciSection } from '../../src/uci/index.js';
import { fnmatch } from './fnmatch.js';

export type Permission = 'read' | 'write';
/** One acl.d file: group → { description, read?: {scope: …}, write?: {scope: …} }. */
export type AclFile = Record<string, Record<string, unknown>>;

export interface Grant {
  scope: string;
  object: string;
  function: string;
}

/** The acl.d files of every directory, each directory in glob order (sorted by name). */
export function loadAclFiles(dirs: readonly string[], warn: (msg: string) => void = () => {}): AclFile[] {
  const out: AclFile[] = [];
  for (const dir of dirs) {
    let names: string[];
    try {
      names = readdirSync(dir).filter((n) => n.endsWith('.json')).sort();
    } catch {
      continue;
    }
    for (const name of names) {
      try {
        const doc = JSON.parse(readFileSync(join(dir, name), 'utf8')) as unknown;
        if (typeof doc === 'object' && doc !== null && !Array.isArray(doc)) out.push(doc as AclFile);
        else warn(`${join(dir, name)}: not a JSON object`);
      } catch (e) {
        // rpcd prints "Failed to parse" and goes on with the other files.
        warn(`Failed to parse ${join(dir, name)}: ${(e as Error).message}`);
      }
    }
  }
  return out;
}

/** The values of `list <perm>` in a login section (string options do not count, as in rpcd). */
function listValues(login: UciSection, perm: Permission): string[][] {
  return login.options.filter((o) => o.type === 'list' && o.name === perm).map((o) => (o.type === 'list' ? o.values : []));
}

/** rpc_login_test_permission: may this login (null = the null session) use `perm` of `group`? */
export function loginHasPermission(login: UciSection | null, perm: Permission, group: string): boolean {
  if (login === null) return group === 'unauthenticated';
  for (const values of listValues(login, perm)) {
    for (const v of values) {
      if (!v.startsWith('!')) continue;
      const p = v.slice(1).trimStart();
      if (p && fnmatch(p, group)) return false;
    }
    for (const v of values) if (v && !v.startsWith('!') && fnmatch(v, group)) return true;
  }
  return perm === 'read' ? loginHasPermission(login, 'write', group) : false;
}

/** Every grant a login gets from these files, in file and group order. */
export function grantsFor(login: UciSection | null, files: readonly AclFile[]): Grant[] {
  const grants: Grant[] = [];
  for (const file of files) {
    for (const [group, def] of Object.entries(file)) {
      if (typeof def !== 'object' || def === null) continue;
      for (const [perm, scopes] of Object.entries(def)) {
        if (perm !== 'read' && perm !== 'write') continue;
        if (typeof scopes !== 'object' || scopes === null || Array.isArray(scopes)) continue;
        if (!loginHasPermission(login, perm, group)) continue;
        for (const [scope, spec] of Object.entries(scopes as Record<string, unknown>)) {
          grants.push(...scopeGrants(scope, spec, perm));
          grants.push({ scope: 'access-group', object: group, function: perm });
        }
      }
    }
  }
  return grants;
}

/** Table notation {object: [functions]}; array notation [objects] grants the permission name as function. */
function scopeGrants(scope: string, spec: unknown, perm: Permission): Grant[] {
  if (Array.isArray(spec)) return spec.filter((o): o is string => typeof o === 'string').map((object) => ({ scope, object, function: perm }));
  if (typeof spec !== 'object' || spec === null) return [];
  const out: Grant[] = [];
  for (const [object, fns] of Object.entries(spec as Record<string, unknown>)) {
    if (!Array.isArray(fns)) continue;
    for (const f of fns) if (typeof f === 'string') out.push({ scope, object, function: f });
  }
  return out;
}

/** A session's ACL: deduplicated grants, matched by fnmatch on object and function. */
export class SessionAcl {
  private readonly byScope = new Map<string, Grant[]>();

  constructor(grants: readonly Grant[] = []) {
    for (const g of grants) this.grant(g);
  }

  grant(g: Grant): void {
    const list = this.byScope.get(g.scope) ?? [];
    if (!list.some((x) => x.object === g.object && x.function === g.function)) list.push({ ...g });
    this.byScope.set(g.scope, list);
  }

  allowed(scope: string, object: string, fn: string): boolean {
    return (this.byScope.get(scope) ?? []).some((g) => fnmatch(g.object, object, { noescape: true }) && fnmatch(g.function, fn, { noescape: true }));
  }

  /** The `acls` table of session replies: {scope: {object: [functions]}}, sorted like rpcd's AVL trees. */
  dump(): Record<string, Record<string, string[]>> {
    const out: Record<string, Record<string, string[]>> = {};
    for (const scope of [...this.byScope.keys()].sort()) {
      const objs: Record<string, string[]> = {};
      const grants = [...this.byScope.get(scope)!].sort((a, b) => (a.object < b.object ? -1 : a.object > b.object ? 1 : 0));
      for (const g of grants) (objs[g.object] ??= []).push(g.function);
      out[scope] = objs;
    }
    return out;
  }
}
