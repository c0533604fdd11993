// The project's acl.d (luci-app/root/usr/share/rpcd/acl.d, generated from ubus-schema/) in the REAL rpcd,
// reached through the REAL uhttpd's /ubus JSON-RPC, with nym-vpnd on the real ubusd: sessions of an
// administrator (every group), a read-only login (OpenWrt's recipe: read '*', write nothing) and a login
// without NymVPN (luci-base only). What each may call on nym-vpn follows the schema's read/write classes;
// internal methods are refused to everyone; the UCI config follows the same split (rpcd's uci plugin).
import test from 'ava';
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BusProcess } from '../helpers/bus.js';
import { repoRoot } from './helpers.js';
import { realParts, REAL_LOGINS, startRealStack, type RealStack } from './real-luci.js';

const parts = await realParts();
const schema = JSON.parse(readFileSync(join(repoRoot, 'ubus-schema/nym-vpn.json'), 'utf8')) as { methods: Record<string, { class: 'read' | 'write'; internal?: boolean }> };
const methods = Object.entries(schema.methods);
const NULL_SID = '00000000000000000000000000000000';
const ACCESS_DENIED = -32002;

let bus: BusProcess;
let stack: RealStack;
const sid: Record<string, string> = {};
let id = 1;

async function rpc(method: string, params: unknown[]): Promise<{ result?: unknown[]; error?: { code: number; message: string } }> {
  const r = await fetch(`${stack.uhttpd}/ubus`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: id++, method, params }) });
  return await r.json() as { result?: unknown[]; error?: { code: number; message: string } };
}
const call = (user: string, object: string, fn: string, args: Record<string, unknown> = {}) => rpc('call', [sid[user] ?? NULL_SID, object, fn, args]);
async function access(user: string, object: string, fn: string): Promise<boolean> {
  // uhttpd puts the caller's own session into ubus_rpc_session, as LuCI's L.hasAcl… calls rely on.
  const r = await rpc('call', [sid[user], 'session', 'access', { scope: 'ubus', object, function: fn }]);
  if (r.result?.[0] !== 0) throw new Error(`session access for ${user}: ${JSON.stringify(r)}`);
  return (r.result[1] as { access: boolean }).access;
}

if ('skip' in parts) {
  test('rpcd sessions and ACLs through uhttpd', (t) => { t.log(`skipped: ${parts.skip}`); t.pass(); });
}
else {
  test.before(async () => {
    bus = new BusProcess({ ubusd: parts.ubusd });
    await bus.start();
    mkdirSync(join(bus.dir, 'etc/config'), { recursive: true });
    copyFileSync(join(repoRoot, 'files/etc/config/nym-vpn'), join(bus.dir, 'etc/config/nym-vpn'));
    await bus.startDaemon(bus.dir);
    stack = await startRealStack(parts, { uciDir: join(bus.dir, 'etc/config'), socket: bus.socket, ubusdRunning: true });
    for (const l of REAL_LOGINS) {
      const r = await call('-', 'session', 'login', { username: l.username, password: l.password });
      if (r.result?.[0] !== 0) throw new Error(`login ${l.username}: ${JSON.stringify(r)}\n${stack.log('rpcd')}`);
      sid[l.username] = (r.result[1] as { ubus_rpc_session: string }).ubus_rpc_session;
    }
  });

  test.after.always(async () => {
    await stack?.stop();
    await bus?.close();
  });

  test('a wrong password gets no session; the null session may only log in', async (t) => {
    const r = await call('-', 'session', 'login', { username: 'root', password: 'wrong' });
    t.deepEqual(r.result, [6]);  // UBUS_STATUS_PERMISSION_DENIED
    t.is((await call('-', 'nym-vpn', 'status')).error?.code, ACCESS_DENIED);
    t.is((await rpc('call', [NULL_SID, 'nym-vpn', 'status', {}])).error?.message, 'Access denied');
  });

  test('uhttpd lists nym-vpn with its methods', async (t) => {
    const r = await rpc('list', ['nym-vpn']);
    const sig = (r.result as unknown as Record<string, Record<string, unknown>>)['nym-vpn']!;
    t.deepEqual(Object.keys(sig).sort(), methods.map(([m]) => m).sort());
  });

  test('session grants follow the acl.d groups: admin everything, viewer reads, nobody nothing of NymVPN', async (t) => {
    for (const [m, spec] of methods) {
      const admin = await access('root', 'nym-vpn', m);
      const viewer = await access('viewer', 'nym-vpn', m);
      const nobody = await access('nobody', 'nym-vpn', m);
      t.is(admin, spec.internal !== true, `root ${m}`);
      t.is(viewer, spec.internal !== true && spec.class === 'read', `viewer ${m}`);
      t.false(nobody, `nobody ${m}`);
    }
  });

  test('read methods answer the admin and the viewer and refuse the login without NymVPN', async (t) => {
    for (const user of ['root', 'viewer']) {
      const st = await call(user, 'nym-vpn', 'status');
      t.is(st.result?.[0], 0, `${user} status: ${JSON.stringify(st)}`);
      t.is((st.result?.[1] as { state: string }).state, 'disconnected');
      const info = await call(user, 'nym-vpn', 'info');
      t.is((info.result?.[1] as { version: string }).version, '0.1.0');
    }
    t.deepEqual((await call('nobody', 'nym-vpn', 'status')).error, { code: ACCESS_DENIED, message: 'Access denied' });
  });

  test('write methods run for the admin only', async (t) => {
    const d = await call('root', 'nym-vpn', 'disconnect');
    t.is(d.result?.[0], 0, JSON.stringify(d));
    for (const user of ['viewer', 'nobody']) {
      for (const m of ['disconnect', 'connect', 'account_forget', 'reload']) t.is((await call(user, 'nym-vpn', m)).error?.code, ACCESS_DENIED, `${user} ${m}`);
    }
  });

  test('internal methods are refused through uhttpd to everyone, the admin included', async (t) => {
    for (const [m] of methods.filter(([, s]) => s.internal)) {
      for (const user of ['root', 'viewer', 'nobody']) t.is((await call(user, 'nym-vpn', m, { nonce: '0'.repeat(64) })).error?.code, ACCESS_DENIED, `${user} ${m}`);
    }
  });

  test('UCI through rpcd: the viewer reads nym-vpn and may not change it; nobody may not read it', async (t) => {
    const got = await call('viewer', 'uci', 'get', { config: 'nym-vpn', section: 'main', option: 'enabled' });
    t.deepEqual(got.result, [0, { value: '1' }]);
    t.is((await call('viewer', 'uci', 'set', { config: 'nym-vpn', section: 'main', values: { mtu: '1300' } })).error?.code, ACCESS_DENIED);
    // nobody passes uhttpd's ubus check (luci-base grants uci get/set) but rpcd's uci plugin checks the config.
    t.deepEqual((await call('nobody', 'uci', 'get', { config: 'nym-vpn' })).result, [6]);
    t.deepEqual((await call('nobody', 'uci', 'set', { config: 'nym-vpn', section: 'main', values: { mtu: '1300' } })).result, [6]);
    // The admin's change is staged in its session; LuCI's way to the file is apply with rollback, then confirm
    // (no acl.d group grants `uci commit` through /ubus, not even luci-base's).
    const set = await call('root', 'uci', 'set', { config: 'nym-vpn', section: 'main', values: { mtu: '1320' } });
    t.deepEqual(set.result, [0], JSON.stringify(set));
    t.deepEqual((await call('root', 'uci', 'changes', { config: 'nym-vpn' })).result, [0, { changes: [['set', 'main', 'mtu', '1320']] }]);
    t.is((await call('root', 'uci', 'commit', { config: 'nym-vpn' })).error?.code, ACCESS_DENIED);
    t.deepEqual((await call('root', 'uci', 'apply', { rollback: true, timeout: 10 })).result, [0]);
    t.deepEqual((await call('root', 'uci', 'confirm')).result, [0]);
    t.regex(readFileSync(join(bus.dir, 'etc/config/nym-vpn'), 'utf8'), /option mtu '1320'/);
    // Nothing left to apply: rpcd answers 5 (no data), which LuCI's Save & Connect must take as success.
    t.deepEqual((await call('root', 'uci', 'apply', { rollback: true, timeout: 10 })).result, [5]);
  });
}
