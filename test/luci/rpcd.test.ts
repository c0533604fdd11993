// The pieces of the dev server that stand in for rpcd and LuCI's dispatcher, without a bus:
// fnmatch, SHA-crypt (vectors from glibc's crypt), ACL grants from acl.d groups, sessions with
// their timeouts and the null session, and the menu with its ACL depends.
import test from 'ava';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fnmatch } from '../../tools/luci-dev/fnmatch.js';
import { hashPassword, shaCrypt, verifyPassword } from '../../tools/luci-dev/sha-crypt.js';
import { grantsFor, loginHasPermission, SessionAcl, type AclFile } from '../../tools/luci-dev/rpcd-acl.js';
import { NULL_SESSION, SessionStore } from '../../tools/luci-dev/rpcd-session.js';
import { writeRpcdConfig } from '../../tools/luci-dev/lab-users.js';
import { findNode, loadMenu, nodeSpec, resolveNode } from '../../tools/luci-dev/menu.js';
import { Status } from '../../src/ubus/constants.js';
import type { UciSection } from '../../src/uci/index.js';
import { repoRoot } from './helpers.js';

const login = (read: string[], write: string[] = []): UciSection => ({
  type: 'login', name: 'cfg01', anonymous: true,
  options: [{ type: 'string', name: 'username', value: 'u' }, { type: 'list', name: 'read', values: read }, { type: 'list', name: 'write', values: write }],
});

test('fnmatch: *, ?, classes, ranges, negation; backslash escapes unless FNM_NOESCAPE', (t) => {
  t.true(fnmatch('nym-*', 'nym-vpn'));
  t.true(fnmatch('*', 'a/b'), 'no FNM_PATHNAME: * crosses /');
  t.true(fnmatch('n?m', 'nym'));
  t.false(fnmatch('n?m', 'nm'));
  t.true(fnmatch('[a-c]x', 'bx'));
  t.false(fnmatch('[!a-c]x', 'bx'));
  t.true(fnmatch('[^a-c]x', 'dx'));
  t.true(fnmatch('a[', 'a['), 'an unclosed [ is literal');
  t.true(fnmatch('a\\*', 'a*'));
  t.false(fnmatch('a\\*', 'ab'));
  t.true(fnmatch('a\\*', 'a\\bc', { noescape: true }));
  t.true(fnmatch('a.b', 'a.b'));
  t.false(fnmatch('a.b', 'axb'), '. is not a regex wildcard');
});

test('SHA-crypt: glibc vectors for $5$ and $6$, default and explicit rounds, salt cut at 16', (t) => {
  t.is(shaCrypt('Hello world!', '$5$saltstring'), '$5$saltstring$5B8vYYiY.CVt1RlTTf8KbXBH3hsxY/GNooZaBBGWEc5');
  t.is(shaCrypt('Hello world!', '$6$saltstring'), '$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1');
  t.is(shaCrypt('Hello world!', '$5$rounds=10000$saltstringsaltstring'), '$5$rounds=10000$saltstringsaltst$3xv.VbSHBb41AL9AvLeujZkZRBAwqFMz2.opqey6IcA');
  t.is(shaCrypt('Hello world!', '$6$rounds=10000$saltstringsaltstring'),
    '$6$rounds=10000$saltstringsaltst$OW1/O6BYHV6BcXZu8QVeXbDWra3Oeqh0sbHbbMCVNSnCM/UrjmM0Dp8vOuZeHBy/YTBmSK6H9qs/y3RnOaw5v.');
  t.is(shaCrypt('x', '$5$toolongsaltstringXX'), '$5$toolongsaltstrin$5HmNJgXuzoMFjHvwjTNI8Mc7HEWhS69Cp384XR7KDD3');
  t.is(shaCrypt('x', '$1$md5salt'), null, 'other schemes are not computed');
  const h = hashPassword('secret');
  t.regex(h, /^\$6\$[./0-9A-Za-z]{16}\$[./0-9A-Za-z]{86}$/);
  t.true(verifyPassword('secret', h));
  t.false(verifyPassword('Secret', h));
});

test('ACL: write implies read, "!" patterns deny first, only list options count, the null session gets "unauthenticated"', (t) => {
  t.true(loginHasPermission(login(['*']), 'read', 'luci-app-nym-vpn'));
  t.true(loginHasPermission(login([], ['luci-app-*']), 'read', 'luci-app-nym-vpn'), 'write implies read');
  t.false(loginHasPermission(login(['luci-app-nym-vpn']), 'write', 'luci-app-nym-vpn'));
  t.false(loginHasPermission(login(['!luci-app-nym-vpn', '*']), 'read', 'luci-app-nym-vpn'));
  t.true(loginHasPermission(login(['!  other', '*']), 'read', 'luci-app-nym-vpn'));
  const stringOption: UciSection = { ...login([]), options: [{ type: 'string', name: 'read', value: '*' }] };
  t.false(loginHasPermission(stringOption, 'read', 'x'), 'option read (not list) grants nothing, as in rpcd');
  t.true(loginHasPermission(null, 'read', 'unauthenticated'));
  t.false(loginHasPermission(null, 'read', 'luci-access'));
});

test('ACL: table and array notation, the access-group meta scope, fnmatch on object and function', (t) => {
  const file: AclFile = {
    g: { description: 'd', read: { ubus: { 'nym-*': ['status', 'info'] }, uci: ['nym-vpn'] }, write: { ubus: { 'nym-vpn': ['*'] } } },
  };
  const reader = new SessionAcl(grantsFor(login(['g']), [file]));
  t.true(reader.allowed('ubus', 'nym-vpn', 'status'));
  t.false(reader.allowed('ubus', 'nym-vpn', 'connect'));
  t.true(reader.allowed('uci', 'nym-vpn', 'read'));
  t.false(reader.allowed('uci', 'nym-vpn', 'write'));
  t.true(reader.allowed('access-group', 'g', 'read'));
  t.false(reader.allowed('access-group', 'g', 'write'));
  const writer = new SessionAcl(grantsFor(login([], ['g']), [file]));
  t.true(writer.allowed('ubus', 'nym-vpn', 'connect'));
  t.true(writer.allowed('ubus', 'nym-vpn', 'status'));
  t.deepEqual(writer.dump()['access-group'], { g: ['read', 'write'] });
  t.deepEqual(reader.dump().ubus, { 'nym-*': ['status', 'info'] });
});

async function store(now: () => number): Promise<{ s: SessionStore; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'nym-rpcd-'));
  mkdirSync(join(dir, 'etc/config'), { recursive: true });
  mkdirSync(join(dir, 'acl.d'));
  writeFileSync(join(dir, 'acl.d/a.json'), JSON.stringify({
    unauthenticated: { read: { ubus: { session: ['access', 'login'] } } },
    app: { read: { ubus: { 'nym-vpn': ['status'] } }, write: { ubus: { 'nym-vpn': ['connect'] } } },
  }));
  writeFileSync(join(dir, 'acl.d/broken.json'), '{ not json');
  await writeRpcdConfig(dir, [
    { username: 'root', password: 'pw', read: ['*'], write: ['*'] },
    { username: 'viewer', password: 'v', read: ['app'], write: [] },
  ]);
  const warnings: string[] = [];
  return { s: new SessionStore({ configDir: join(dir, 'etc/config'), aclDirs: [join(dir, 'acl.d')], now, warn: (m) => warnings.push(m) }), dir };
}

test('sessions: login checks the password, ids are 32 hex, ACLs per login, the null session may only log in', async (t) => {
  const { s, dir } = await store(() => 1_000_000);
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const err = await t.throwsAsync(s.login('root', 'wrong'));
  t.is((err as unknown as { status: number }).status, Status.PERMISSION_DENIED);
  await t.throwsAsync(s.login('nobody', 'pw'));
  const root = await s.login('root', 'pw');
  t.regex(root.id, /^[0-9a-f]{32}$/);
  const dump = s.dump(root);
  t.is(dump.timeout, 300);
  t.is(dump.expires, 300);
  t.deepEqual(dump.data, { username: 'root' });
  t.true(s.access(root.id, 'ubus', 'nym-vpn', 'connect'));
  const viewer = await s.login('viewer', 'v');
  t.true(s.access(viewer.id, 'ubus', 'nym-vpn', 'status'));
  t.false(s.access(viewer.id, 'ubus', 'nym-vpn', 'connect'));
  t.true(s.access(NULL_SESSION, 'ubus', 'session', 'login'));
  t.false(s.access(NULL_SESSION, 'ubus', 'nym-vpn', 'status'));
  t.deepEqual(await s.call('access', { ubus_rpc_session: viewer.id, object: 'nym-vpn', function: 'connect' }), { access: false });
  const acls = await s.call('access', { ubus_rpc_session: viewer.id }) as Record<string, unknown>;
  t.deepEqual(acls['access-group'], { app: ['read'] }, 'without object/function, access lists the ACLs');
  t.throws(() => s.destroy(NULL_SESSION));
  s.destroy(viewer.id);
  t.false(s.access(viewer.id, 'ubus', 'nym-vpn', 'status'));
});

test('sessions: expire after their timeout unless used; each use renews it; timeout 0 never expires', async (t) => {
  let now = 1_000_000;
  const { s, dir } = await store(() => now);
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const a = await s.login('root', 'pw');
  const b = await s.login('root', 'pw', 10);
  const forever = await s.login('root', 'pw', 0);
  now += 299_000;
  t.truthy(s.get(a.id), 'used at 299 s: renewed');
  now += 299_000;
  t.truthy(s.get(a.id));
  t.falsy(s.get(b.id), 'the 10 s session is gone');
  now += 300_000;
  t.falsy(s.get(a.id), '300 s unused: gone');
  t.truthy(s.get(forever.id));
  t.is(s.dump(forever).expires, 0);
});

test('menu: firstchild resolves to the first visible child; depends.acl hides or makes read-only; children inherit', (t) => {
  const menu = loadMenu([join(repoRoot, 'tools/luci-dev/menu.d'), join(repoRoot, 'luci-app/root/usr/share/luci/menu.d')]);
  const files: AclFile[] = [{ 'luci-app-nym-vpn': { read: { uci: ['nym-vpn'] }, write: { uci: ['nym-vpn'] } } }];
  const admin = new SessionAcl(grantsFor(login(['*'], ['*']), files));
  const viewer = new SessionAcl(grantsFor(login(['luci-app-nym-vpn']), files));
  const nobody = new SessionAcl(grantsFor(login(['other']), files));
  t.is(resolveNode(findNode(menu, 'admin')!, admin)?.path, 'admin/vpn/nym-vpn/status');
  const settings = findNode(menu, 'admin/vpn/nym-vpn/settings')!;
  t.deepEqual(settings.action, { type: 'view', path: 'nym-vpn/settings' });
  t.deepEqual(nodeSpec(settings, admin), { satisfied: true, readonly: false });
  t.deepEqual(nodeSpec(settings, viewer), { satisfied: true, readonly: true });
  t.false(nodeSpec(settings, nobody).satisfied);
  t.is(resolveNode(findNode(menu, 'admin')!, nobody), undefined);
  t.deepEqual(findNode(menu, 'admin/vpn/nym-vpn')!.children.map((c) => c.path.split('/').pop()), ['status', 'gateways', 'settings', 'account']);
});
