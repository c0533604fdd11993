// The dev server over HTTP, against a real nym-ubusd and nym-vpnd: uhttpd's /ubus JSON-RPC
// (login, access checks, result shapes, error codes, batches, list, the body limit), rpcd's uci
// object (per-session changes, apply with and without rollback, the daemon told to reload), and
// LuCI's pages (sysauth login, the cookie, the view page's environment, static files).
import test from 'ava';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { BusProcess, waitFor } from '../helpers/bus.js';
import { UbusClient } from '../../src/ubus/client.js';
import { startLuciDevServer, type LuciDevServer } from '../../tools/luci-dev/server.js';
import { NULL_SESSION } from '../../tools/luci-dev/rpcd-session.js';
import { callMsg, postUbus, repoRoot } from './helpers.js';

let bus: BusProcess;
let daemon: ChildProcess & { log?: () => string };
let luci: LuciDevServer;
let base: string;
let slow: UbusClient;
const configFile = () => join(bus.dir, 'etc/config/nym-vpn');

type Reply = { jsonrpc: string; id: unknown; result?: unknown[] | Record<string, unknown>; error?: { code: number; message: string } };
const post = async (body: unknown) => (await postUbus(base, body)) as Reply;
const call = (sid: string, object: string, method: string, args: Record<string, unknown> = {}) => post(callMsg(sid, object, method, args));

async function sessionOf(username: string, password: string): Promise<string> {
  const r = await call(NULL_SESSION, 'session', 'login', { username, password });
  return ((r.result as unknown[])[1] as { ubus_rpc_session: string }).ubus_rpc_session;
}

/** How far the session store's clock is ahead of the wall clock. */
let clockAhead = 0;

test.before(async () => {
  bus = new BusProcess();
  await bus.start();
  mkdirSync(join(bus.dir, 'etc/config'), { recursive: true });
  copyFileSync(join(repoRoot, 'files/etc/config/nym-vpn'), configFile());
  daemon = await bus.startDaemon(bus.dir);
  // An object that never answers, and an ACL group that lets the administrator call it.
  slow = await UbusClient.connect({ socket: bus.socket });
  await slow.addObject('lab.slow', { hang: { args: [], handler: () => new Promise(() => {}) } });
  mkdirSync(join(bus.dir, 'acl.d'));
  writeFileSync(join(bus.dir, 'acl.d/lab-test.json'), JSON.stringify({ 'lab-test': { read: { ubus: { 'lab.slow': ['*'] } } } }));
  luci = await startLuciDevServer({ socket: bus.socket, root: bus.dir, log: () => {}, scriptTimeout: 1, extraAclDirs: [join(bus.dir, 'acl.d')], now: () => Date.now() + clockAhead });
  base = new URL(luci.url).origin;
});

test.after.always(async () => {
  slow?.close();
  await luci?.stop();
  await bus?.close();
});

test('session.login: the null session may log in; a session of 32 hex, 300 s, its ACLs and user', async (t) => {
  const r = await call(NULL_SESSION, 'session', 'login', { username: 'root', password: 'nym-lab-admin' });
  t.is(r.jsonrpc, '2.0');
  t.is(r.id, 1);
  const [status, data] = r.result as [number, Record<string, unknown>];
  t.is(status, 0);
  t.regex(data.ubus_rpc_session as string, /^[0-9a-f]{32}$/);
  t.is(data.timeout, 300);
  // rpcd answers the remaining milliseconds divided by 1000, truncated (session.c,
  // uloop_timeout_remaining64 / 1000): 300 only when the reply is built within the same
  // millisecond as the login, otherwise 299.
  t.true(data.expires === 300 || data.expires === 299, `expires ${String(data.expires)}`);
  t.deepEqual(data.data, { username: 'root' });
  t.deepEqual((data.acls as Record<string, Record<string, string[]>>)['access-group']!['luci-app-nym-vpn'], ['read', 'write']);
  t.deepEqual((await call(NULL_SESSION, 'session', 'login', { username: 'root', password: 'nope' })).result, [6], 'wrong password: PERMISSION_DENIED');
  t.deepEqual((await call(NULL_SESSION, 'session', 'login', { username: 'root' })).result, [2], 'no password: INVALID_ARGUMENT');
});

test('calls: the admin reaches nym-vpn, the viewer only its read methods, the null session nothing', async (t) => {
  const admin = await sessionOf('root', 'nym-lab-admin');
  const viewer = await sessionOf('viewer', 'nym-lab-viewer');
  const st = (await call(admin, 'nym-vpn', 'status')).result as [number, { state: string }];
  t.is(st[0], 0);
  t.is(st[1].state, 'disconnected');
  t.is(((await call(viewer, 'nym-vpn', 'status')).result as unknown[])[0], 0);
  t.deepEqual((await call(viewer, 'nym-vpn', 'connect')).error, { code: -32002, message: 'Access denied' });
  t.deepEqual((await call(viewer, 'nym-vpn', 'account_forget')).error?.code, -32002);
  t.deepEqual((await call(NULL_SESSION, 'nym-vpn', 'status')).error?.code, -32002);
  t.deepEqual((await call('0123456789abcdef0123456789abcdef', 'nym-vpn', 'status')).error?.code, -32002, 'an unknown session fails the access check');
  t.deepEqual((await call(NULL_SESSION, 'no.such.object', 'x')).error, { code: -32000, message: 'Object not found' }, 'the object is looked up first');
  t.deepEqual((await call(admin, 'nym-vpn', 'network_event', { interface: 'wan', action: 'ifup' })).error?.code, -32002, 'the internal method is in no LuCI ACL');
});

test('a failed call keeps what the object said: [status, {error}]', async (t) => {
  const admin = await sessionOf('root', 'nym-lab-admin');
  const r = (await call(admin, 'nym-vpn', 'connect', { entry_country: 'XYZ' })).result as [number, { error: string }];
  t.is(r[0], 2);
  t.regex(r[1].error, /entry_country/);
});

test('JSON-RPC errors: client-sent ubus_rpc_session, parse errors, bad frames and params, unknown methods', async (t) => {
  const admin = await sessionOf('root', 'nym-lab-admin');
  t.deepEqual((await call(admin, 'nym-vpn', 'status', { ubus_rpc_session: admin })).error, { code: -32602, message: 'Invalid parameters' });
  t.deepEqual(await post('{"jsonrpc": "2.0", '), { jsonrpc: '2.0', id: null, error: { code: -32700, message: 'Parse error' } });
  t.is((await post({ jsonrpc: '1.0', id: 7, method: 'call', params: [admin, 'nym-vpn', 'status', {}] })).error?.code, -32700);
  t.is((await post({ jsonrpc: '2.0', id: 7, method: 'call', params: [admin, 'nym-vpn', 'status', []] })).error?.code, -32700, 'args must be an object');
  t.is((await post({ jsonrpc: '2.0', id: 7, method: 'call', params: [admin, 'nym-vpn', 'status'] })).error?.code, -32700, 'args are required');
  const unknown = await post({ jsonrpc: '2.0', id: 'x', method: 'frobnicate' });
  t.deepEqual(unknown, { jsonrpc: '2.0', id: 'x', error: { code: -32601, message: 'Method not found' } });
});

test('a call that outlives the script timeout is -32003', async (t) => {
  const admin = await sessionOf('root', 'nym-lab-admin');
  const started = Date.now();
  t.deepEqual((await call(admin, 'lab.slow', 'hang')).error, { code: -32003, message: 'ubus request timed out' });
  t.true(Date.now() - started >= 900);
});

test('a batch is answered in order, each element on its own', async (t) => {
  const admin = await sessionOf('root', 'nym-lab-admin');
  const r = (await post([callMsg(admin, 'nym-vpn', 'info', {}, 1), 42, callMsg(NULL_SESSION, 'nym-vpn', 'status', {}, 3)])) as unknown as Reply[];
  t.is(r.length, 3);
  t.is(r[0]!.id, 1);
  t.is((r[0]!.result as unknown[])[0], 0);
  t.is(r[1]!.error?.code, -32700);
  t.is(r[2]!.id, 3);
  t.is(r[2]!.error?.code, -32002);
  t.deepEqual(await post([]), []);
});

test('list: object names, or method signatures with uhttpd\'s type words', async (t) => {
  const names = (await post({ jsonrpc: '2.0', id: 1, method: 'list' })).result as string[];
  for (const n of ['nym-vpn', 'session', 'uci']) t.true(names.includes(n), n);
  const sig = (await post({ jsonrpc: '2.0', id: 1, method: 'list', params: ['nym-vpn'] })).result as Record<string, Record<string, Record<string, string>>>;
  t.deepEqual(sig['nym-vpn']!.status, {});
  t.is(sig['nym-vpn']!.connect!.entry_country, 'string');
  t.is(sig['nym-vpn']!.connect!.entry_random, 'boolean');
  t.is(sig['nym-vpn']!.connect!.timeout, 'number');
  t.is(sig['nym-vpn']!.connect!.dns, 'array');
});

test('a body over 64 KiB is a parse error and the connection closes', async (t) => {
  const admin = await sessionOf('root', 'nym-lab-admin');
  const big = JSON.stringify(callMsg(admin, 'nym-vpn', 'status', { pad: 'x'.repeat(70_000) }));
  const r = await fetch(`${base}/ubus`, { method: 'POST', body: big });
  t.is(r.headers.get('connection'), 'close');
  t.deepEqual(await r.json(), { jsonrpc: '2.0', id: null, error: { code: -32700, message: 'Parse error' } });
  const fits = JSON.stringify(callMsg(admin, 'nym-vpn', 'status', {})).padEnd(65_000, ' ');
  t.is(((await post(fits)).result as unknown[])[0], 0, 'just under the limit is fine');
});

test('sessions expire when unused for their timeout', async (t) => {
  const r = await call(NULL_SESSION, 'session', 'login', { username: 'root', password: 'nym-lab-admin', timeout: 1 });
  const sid = ((r.result as unknown[])[1] as { ubus_rpc_session: string }).ubus_rpc_session;
  t.is(((await call(sid, 'nym-vpn', 'status')).result as unknown[])[0], 0);
  clockAhead += 1300; // the session store's clock, moved instead of waited for
  t.is((await call(sid, 'nym-vpn', 'status')).error?.code, -32002);
});

test.serial('uci: changes stay in the session until apply; apply writes the file and the daemon reloads', async (t) => {
  const admin = await sessionOf('root', 'nym-lab-admin');
  const other = await sessionOf('root', 'nym-lab-admin');
  const viewer = await sessionOf('viewer', 'nym-lab-viewer');
  const before = readFileSync(configFile(), 'utf8');
  const values = ((await call(viewer, 'uci', 'get', { config: 'nym-vpn' })).result as [number, { values: Record<string, Record<string, unknown>> }])[1].values;
  t.like(values.main, { '.type': 'nym-vpn', '.name': 'main', '.anonymous': false, mtu: '1340' });
  t.deepEqual(values.monitor!.target, ['8.8.8.8', '2001:4860:4860::8888']);
  t.is((await call(viewer, 'uci', 'set', { config: 'nym-vpn', section: 'main', values: { mtu: '1400' } })).error?.code, -32002, 'the viewer may not write');

  t.deepEqual((await call(admin, 'uci', 'set', { config: 'nym-vpn', section: 'main', values: { mtu: '1300', dns: ['9.9.9.9'] } })).result, [0]);
  t.deepEqual((await call(admin, 'uci', 'get', { config: 'nym-vpn', section: 'main', option: 'mtu' })).result, [0, { value: '1300' }]);
  t.deepEqual((await call(other, 'uci', 'get', { config: 'nym-vpn', section: 'main', option: 'mtu' })).result, [0, { value: '1340' }], 'another session does not see them');
  const changes = ((await call(admin, 'uci', 'changes')).result as [number, { changes: Record<string, string[][]> }])[1].changes;
  t.deepEqual(changes['nym-vpn'], [['set', 'main', 'mtu', '1300'], ['remove', 'main', 'dns'], ['list-add', 'main', 'dns', '9.9.9.9']]);
  t.is(readFileSync(configFile(), 'utf8'), before, 'nothing written yet');

  t.deepEqual((await call(admin, 'uci', 'apply', { rollback: false })).result, [0]);
  const after = readFileSync(configFile(), 'utf8');
  t.regex(after, /option mtu '1300'/);
  t.regex(after, /list dns '9\.9\.9\.9'/);
  t.notRegex(after, /1\.1\.1\.1/);
  t.true(await waitFor(() => /config reloaded: (?=.*main\.mtu)(?=.*main\.dns)/.test(daemon.log?.() ?? ''), 5000), daemon.log?.());
  t.deepEqual((await call(admin, 'uci', 'apply', { rollback: false })).result, [5], 'nothing left to apply: NO_DATA');
});

test.serial('uci apply with rollback: confirmed it stays, unconfirmed the old file comes back', async (t) => {
  const admin = await sessionOf('root', 'nym-lab-admin');
  const before = readFileSync(configFile(), 'utf8');
  await call(admin, 'uci', 'set', { config: 'nym-vpn', section: 'monitor', values: { interval: '7' } });
  t.deepEqual((await call(admin, 'uci', 'apply', { rollback: true, timeout: 1 })).result, [0]);
  t.regex(readFileSync(configFile(), 'utf8'), /option interval '7'/);
  t.true(await waitFor(() => readFileSync(configFile(), 'utf8') === before, 4000), 'rolled back after 1 s without confirm');
  t.deepEqual((await call(admin, 'uci', 'confirm')).result, [5], 'nothing to confirm any more');

  await call(admin, 'uci', 'set', { config: 'nym-vpn', section: 'monitor', values: { interval: '8' } });
  t.deepEqual((await call(admin, 'uci', 'apply', { rollback: true, timeout: 1 })).result, [0]);
  t.deepEqual((await call(admin, 'uci', 'confirm')).result, [0]);
  t.false(luci.uci.rollbackPending, 'confirmed: no rollback is left to happen');
  t.regex(readFileSync(configFile(), 'utf8'), /option interval '8'/);
});

test('pages: login form, wrong password, the sysauth cookie, the view page and its environment', async (t) => {
  const page = `${base}/cgi-bin/luci/admin/vpn/nym-vpn/status`;
  const anon = await fetch(page, { redirect: 'manual' });
  t.is(anon.status, 403);
  t.regex(await anon.text(), /name="luci_username"/);
  const bad = await fetch(page, { method: 'POST', body: new URLSearchParams({ luci_username: 'root', luci_password: 'x' }), redirect: 'manual' });
  t.is(bad.status, 403);
  t.regex(await bad.text(), /Invalid username and\/or password/);
  const good = await fetch(page, { method: 'POST', body: new URLSearchParams({ luci_username: 'viewer', luci_password: 'nym-lab-viewer' }), redirect: 'manual' });
  t.is(good.status, 302);
  const cookie = /sysauth_http=([0-9a-f]{32})/.exec(good.headers.get('set-cookie') ?? '')?.[1];
  t.truthy(cookie);
  const top = await fetch(`${base}/cgi-bin/luci/`, { headers: { cookie: `sysauth_http=${cookie}` }, redirect: 'manual' });
  t.is(top.headers.get('location'), '/cgi-bin/luci/admin/vpn/nym-vpn/status', 'firstchild down to the status view');
  const html = await (await fetch(page, { headers: { cookie: `sysauth_http=${cookie}` } })).text();
  const env = JSON.parse(/new LuCI\((\{.*?\})\);/.exec(html)![1]!) as Record<string, unknown>;
  t.is(env.sessionid, cookie);
  t.deepEqual(env.nodespec, { satisfied: true, readonly: true, title: 'Status', action: { type: 'view', path: 'nym-vpn/status' } });
  t.regex(html, /ui\.instantiateView\("nym-vpn\/status"\)/);
  t.is((await fetch(`${base}/luci-static/resources/view/nym-vpn/status.js`)).status, 200);
  t.is((await fetch(`${base}/luci-static/resources/form.js`)).status, 200);
  t.is((await fetch(`${base}/luci-static/resources/..%2f..%2f..%2fpackage.json`)).status, 404);
});
