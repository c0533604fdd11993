// The LuCI app against ubus-schema/: every rpc.declare in its JavaScript names a nym-vpn method and
// parameters the schema has (never an internal one), and the rpcd ACL — generated from the schema
// by scripts/gen-luci-acl.mjs — grants exactly what the views use: read methods under read, write
// methods under write, the UCI config they edit, nothing more. Also the menu's ACL dependency and
// the modules the views require.
import test from 'ava';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import vm from 'node:vm';
import { loadSchema } from '../../src/ubus/schema.js';
import { repoRoot } from './helpers.js';

const htdocs = join(repoRoot, 'luci-app/htdocs/luci-static/resources');
const aclPath = join(repoRoot, 'luci-app/root/usr/share/rpcd/acl.d/luci-app-nym-vpn.json');
const menuPath = join(repoRoot, 'luci-app/root/usr/share/luci/menu.d/luci-app-nym-vpn.json');
const schema = loadSchema(join(repoRoot, 'ubus-schema/nym-vpn.json'));
/** Modules of luci-base a view may require on a real router. */
const LUCI_MODULES = new Set(['baseclass', 'dom', 'form', 'fs', 'network', 'poll', 'request', 'rpc', 'uci', 'ui', 'view', 'validation']);

function jsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? jsFiles(p) : n.endsWith('.js') ? [p] : [];
  });
}

interface Require { name: string; as: string }

function requires(text: string): Require[] {
  const out: Require[] = [];
  for (const m of text.matchAll(/^\s*'require\s+([\w.-]+)(?:\s+as\s+(\w+))?';?\s*$/gm)) out.push({ name: m[1]!, as: m[2] ?? m[1]!.replace(/.*\./, '') });
  return out;
}

interface Declared { file: string; object?: string; method?: string; params?: string[] }

/** Runs a module's top level with stub dependencies and records what it passes to rpc.declare. */
function declaredIn(file: string): Declared[] {
  const text = readFileSync(file, 'utf8');
  const found: Declared[] = [];
  const any: unknown = new Proxy(function () { return any; }, { get: (_t, k) => (k === 'extend' ? (p: unknown) => p : any), apply: () => any, construct: () => any as object });
  const rpc = { declare: (o: Declared) => { found.push({ ...o, file: relative(repoRoot, file) }); return () => Promise.resolve(); }, getStatusText: String };
  const deps = requires(text);
  const ctx = vm.createContext({ _: (s: string) => s, N_: (_n: number, s: string) => s, E: () => any, L: any, window: any, document: any, navigator: {} });
  const fn = vm.runInContext(`(function(${deps.map((d) => d.as).join(',')}) {\n${text}\n})`, ctx, { filename: file }) as (...a: unknown[]) => unknown;
  fn(...deps.map((d) => (d.name === 'rpc' ? rpc : any)));
  return found;
}

const files = jsFiles(htdocs);
const declared = files.flatMap(declaredIn);
const acl = JSON.parse(readFileSync(aclPath, 'utf8')) as Record<string, { read: { ubus: Record<string, string[]>; uci: string[] }; write: { ubus: Record<string, string[]>; uci: string[] } }>;

test('the views and their module exist where LuCI looks for them', (t) => {
  const rel = files.map((f) => relative(htdocs, f)).sort();
  t.deepEqual(rel, ['nymvpn/common.js', 'view/nym-vpn/account.js', 'view/nym-vpn/gateways.js', 'view/nym-vpn/settings.js', 'view/nym-vpn/status.js']);
  for (const f of files) {
    const text = readFileSync(f, 'utf8');
    t.regex(text, /^'use strict';\n/, `${relative(htdocs, f)} starts like a LuCI module`);
    for (const r of requires(text)) {
      const own = `${r.name.replace(/\./g, '/')}.js`;
      t.true(LUCI_MODULES.has(r.name) || rel.includes(own), `${relative(htdocs, f)} requires '${r.name}', which is neither luci-base's nor ours`);
    }
  }
});

test('every rpc.declare names a nym-vpn method and parameters of ubus-schema/ (no internal methods)', (t) => {
  t.true(declared.length >= 10, `found ${declared.length} declarations`);
  for (const d of declared) {
    const where = `${d.file}: ${d.object}.${d.method}`;
    t.is(d.object, schema.object, where);
    const m = schema.methods[d.method ?? ''];
    t.truthy(m, `${where}: no such method in the schema`);
    if (!m) continue;
    t.false(m.internal, `${where}: internal methods are not for LuCI`);
    for (const p of d.params ?? []) t.true(p in m.args, `${where}: parameter '${p}' is not in the schema (${Object.keys(m.args).join(', ') || 'none'})`);
    t.false((d.params ?? []).includes('ubus_rpc_session'), `${where}: uhttpd adds ubus_rpc_session itself`);
  }
});

test('the ACL file is what scripts/gen-luci-acl.mjs makes of the schema', async (t) => {
  const gen = (await import(pathToFileURL(join(repoRoot, 'scripts/gen-luci-acl.mjs')).href)) as { generate: () => string };
  t.is(readFileSync(aclPath, 'utf8'), gen.generate());
});

test('the ACL grants exactly what the views use: read methods to read, write methods to write, their UCI config', (t) => {
  t.deepEqual(Object.keys(acl), ['luci-app-nym-vpn']);
  const group = acl['luci-app-nym-vpn']!;
  const used = [...new Set(declared.map((d) => d.method!))];
  const ofClass = (c: 'read' | 'write') => used.filter((m) => schema.methods[m]?.class === c).sort();
  t.deepEqual(Object.keys(group.read.ubus), [schema.object]);
  t.deepEqual(Object.keys(group.write.ubus), [schema.object]);
  t.deepEqual([...group.read.ubus[schema.object]!].sort(), ofClass('read'));
  t.deepEqual([...group.write.ubus[schema.object]!].sort(), ofClass('write'));
  const everyPublic = Object.values(schema.methods).filter((m) => !m.internal).map((m) => m.name).sort();
  t.deepEqual(used.sort(), everyPublic, 'the views use every public method (else the ACL would grant one they do not)');
  // UCI: the configs the views load or edit, and nothing else.
  const configs = new Set<string>();
  for (const f of files) {
    for (const m of readFileSync(f, 'utf8').matchAll(/(?:form\.Map|uci\.(?:load|get|set|unset|sections|add|remove|get_first))\(\s*'([^']+)'/g)) configs.add(m[1]!);
  }
  t.deepEqual([...configs], ['nym-vpn']);
  t.deepEqual(group.read.uci, ['nym-vpn']);
  t.deepEqual(group.write.uci, ['nym-vpn']);
});

test('the menu: admin/vpn/nym-vpn depends on the ACL group; its four children are views that exist', (t) => {
  const menu = JSON.parse(readFileSync(menuPath, 'utf8')) as Record<string, { action: { type: string; path?: string }; depends?: { acl: string[] } }>;
  t.deepEqual(menu['admin/vpn/nym-vpn']?.depends?.acl, Object.keys(acl));
  const children = Object.keys(menu).filter((k) => k.startsWith('admin/vpn/nym-vpn/'));
  t.deepEqual(children, ['status', 'gateways', 'settings', 'account'].map((v) => `admin/vpn/nym-vpn/${v}`));
  for (const c of children) {
    const a = menu[c]!.action;
    t.is(a.type, 'view');
    t.true(files.includes(join(htdocs, 'view', `${a.path}.js`)), `${c} → view/${a.path}.js`);
  }
});
