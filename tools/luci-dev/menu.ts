// LuCI's menu (usr/share/luci/menu.d/*.json) as its dispatcher uses it: nodes by path, children by
// `order`, `depends.acl` checked against the session's "access-group" grants (a node needs read or
// write on every group it names, and is read-only unless it has write on all of them; children
// inherit their parents' requirements), "firstchild" resolved to the first visible child.

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SessionAcl } from './rpcd-acl.js';

export interface MenuAction {
  type: string;
  path?: string;
}

export interface MenuNode {
  path: string;
  title: string;
  order: number;
  action?: MenuAction;
  acl: string[];
  children: MenuNode[];
}

export interface NodeSpec {
  satisfied: boolean;
  readonly: boolean;
}

interface RawNode {
  title?: string;
  order?: number;
  action?: MenuAction;
  depends?: { acl?: string[] };
}

export function loadMenu(dirs: readonly string[]): MenuNode {
  const raw = new Map<string, RawNode>();
  for (const dir of dirs) {
    let names: string[];
    try {
      names = readdirSync(dir).filter((n) => n.endsWith('.json')).sort();
    } catch {
      continue;
    }
    for (const n of names) {
      const doc = JSON.parse(readFileSync(join(dir, n), 'utf8')) as Record<string, RawNode>;
      for (const [path, node] of Object.entries(doc)) raw.set(path.replace(/\/+$/, ''), { ...raw.get(path), ...node });
    }
  }
  const root: MenuNode = { path: '', title: '', order: 0, acl: [], children: [] };
  const byPath = new Map<string, MenuNode>([['', root]]);
  const ensure = (path: string): MenuNode => {
    let node = byPath.get(path);
    if (node) return node;
    const parentPath = path.includes('/') ? path.slice(0, path.lastIndexOf('/')) : '';
    const parent = ensure(parentPath);
    node = { path, title: '', order: 1000, acl: [...parent.acl], children: [] };
    parent.children.push(node);
    byPath.set(path, node);
    return node;
  };
  for (const path of [...raw.keys()].sort((a, b) => a.split('/').length - b.split('/').length)) {
    const r = raw.get(path)!;
    const node = ensure(path);
    node.title = r.title ?? '';
    node.order = r.order ?? 1000;
    if (r.action) node.action = r.action;
    node.acl = [...node.acl, ...(r.depends?.acl ?? [])];
  }
  const sort = (n: MenuNode) => { n.children.sort((a, b) => a.order - b.order); n.children.forEach(sort); };
  sort(root);
  return root;
}

export function findNode(root: MenuNode, path: string): MenuNode | undefined {
  if (path === '') return root;
  let node: MenuNode | undefined = root;
  let at = '';
  for (const part of path.split('/')) {
    at = at ? `${at}/${part}` : part;
    node = node?.children.find((c) => c.path === at);
    if (!node) return undefined;
  }
  return node;
}

export function nodeSpec(node: MenuNode, acl: SessionAcl): NodeSpec {
  let readonly = false;
  for (const group of node.acl) {
    const write = acl.allowed('access-group', group, 'write');
    if (!write && !acl.allowed('access-group', group, 'read')) return { satisfied: false, readonly: true };
    if (!write) readonly = true;
  }
  return { satisfied: true, readonly };
}

/** The node a request ends up on: "firstchild" goes down to the first visible child. */
export function resolveNode(node: MenuNode, acl: SessionAcl): MenuNode | undefined {
  let n: MenuNode | undefined = node;
  while (n && (n.action?.type ?? 'firstchild') === 'firstchild') {
    n = n.children.find((c) => nodeSpec(c, acl).satisfied && c.title !== '');
  }
  return n;
}

/** The visible children of a node (its tabs, or the entries of a menu). */
export function visibleChildren(node: MenuNode, acl: SessionAcl): MenuNode[] {
  return node.children.filter((c) => c.title !== '' && nodeSpec(c, acl).satisfied && (c.action || c.children.length > 0));
}
