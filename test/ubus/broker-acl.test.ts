// ubusd's ACLs for a peer that is not root: the client runs as `nobody` (through a setpriv relay, so
// SO_PEERCRED says so) against ACL files in a temp folder.
import test from 'ava';
import { chmodSync, chownSync } from 'node:fs';
import { join } from 'node:path';
import { startBroker, type Harness } from './fixtures-broker/harness.js';
import type { RawClient } from './fixtures-broker/raw-client.js';
import * as proto from '../../src/ubus/proto.js';
import { decodeTable } from '../../src/ubus/blobmsg.js';
import { MsgType, Status } from '../../src/ubus/constants.js';
import { loadPeerCred } from '../../tools/ubusd/broker-credentials.js';

const m = (...names: string[]): proto.MethodSignature[] => names.map((name) => ({ name, args: [] }));

const ACL = {
  'nobody.json': {
    user: 'nobody',
    access: {
      'nym-vpn': { methods: ['status'] },
      'net.*': { methods: ['*'] },
      'nobody.*': { methods: [], acl: { level: 3 } },
      'starred': { methods: '*' }, // a string, not an array: ubusd ignores it
    },
    subscribe: ['nym-vpn'],
    publish: ['nobody.*'],
    listen: ['nym-vpn.*'],
    send: ['nym-vpn.cmd'],
  },
  'group.json': { group: 'nogroup', access: { grp: { methods: ['ok'] } } },
  'loose.json': { user: 'nobody', access: { secret: { methods: ['*'] } } },
};

async function setup(): Promise<{ h: Harness; root: RawClient; nobody: RawClient; ids: Record<string, number> }> {
  const h = await startBroker({}, ACL);
  // A rule file writable by others, or not owned by root, is ignored (ubusd_acl_load).
  chmodSync(join(h.aclDir, 'loose.json'), 0o666);
  h.broker.reloadAcl();
  const root = await h.connect();
  const ids: Record<string, number> = {};
  const objs: Array<[string, string[]]> = [['nym-vpn', ['status', 'connect']], ['net.a', ['x', 'y']], ['secret', ['m']], ['grp', ['ok', 'no']], ['starred', ['s']]];
  for (const [path, methods] of objs) {
    ids[path] = (await root.request(proto.addObject(root.nextSeq(), path, m(...methods)))).data[0]!.attrs.objid!;
  }
  const nobody = await h.connectAs('nobody', 'nogroup');
  return { h, root, nobody, ids };
}

const listing = async (c: RawClient) => {
  const r = await c.request(proto.lookup(c.nextSeq()));
  return Object.fromEntries(r.data.map((d) => [d.attrs.objpath!, proto.parseSignature(d.attrs.signature!).map((x) => x.name)]));
};

test('the nym_peercred addon is built (without it every peer would count as the broker\'s own user)', (t) => {
  t.not(loadPeerCred(), null, 'build/Release/nym_peercred.node missing: run npm rebuild');
});

test('LOOKUP shows a non-root peer only the methods it may call (objects with none are left out); root sees all', async (t) => {
  const { h, root, nobody } = await setup();
  try {
    t.deepEqual(await listing(nobody), { grp: ['ok'], 'net.a': ['x', 'y'], 'nym-vpn': ['status'] });
    t.deepEqual(Object.keys(await listing(root)), ['grp', 'net.a', 'nym-vpn', 'secret', 'starred']);
    t.true(h.log.some((l) => l.includes('loose.json') && l.includes('wrong permissions')));
  } finally { await h.close(); }
});

test('INVOKE: allowed methods are forwarded with USER nobody / GROUP nogroup, others get PERMISSION_DENIED', async (t) => {
  const { h, root, nobody, ids } = await setup();
  try {
    nobody.send(proto.invoke(1, ids['nym-vpn']!, 'status'));
    const fwd = await root.next((x) => x.type === MsgType.INVOKE);
    t.is(fwd.attrs.user, 'nobody');
    t.is(fwd.attrs.group, 'nogroup');
    t.is(fwd.peer, nobody.id);
    const st = async (obj: string, method: string) => (await nobody.request(proto.invoke(nobody.nextSeq() + 10, ids[obj]!, method))).status.attrs.status;
    t.is(await st('nym-vpn', 'connect'), Status.PERMISSION_DENIED);
    t.is(await st('secret', 'm'), Status.PERMISSION_DENIED);
    t.is(await st('starred', 's'), Status.PERMISSION_DENIED);
    t.is(await st('grp', 'no'), Status.PERMISSION_DENIED);
    nobody.send(proto.invoke(50, ids['grp']!, 'ok'));
    t.is((await root.next((x) => x.type === MsgType.INVOKE)).attrs.method, 'ok');
    nobody.send(proto.invoke(51, ids['net.a']!, 'y'));
    t.is((await root.next((x) => x.type === MsgType.INVOKE)).attrs.method, 'y');
    t.is((await nobody.request(proto.invoke(52, 3, 'add'))).status.attrs.status, Status.PERMISSION_DENIED, 'monitor is root-only');
  } finally { await h.close(); }
});

test('publish, subscribe, listen and send follow the rules; "*" alone needs the listen ACL too', async (t) => {
  const { h, root, nobody, ids } = await setup();
  try {
    const add = async (path?: string) => (await nobody.request(proto.addObject(nobody.nextSeq(), path, path ? m('a') : undefined))).status.attrs.status;
    t.is(await add('nobody.svc'), 0);
    t.is(await add('other'), Status.INVALID_ARGUMENT);
    const anonR = await nobody.request(proto.addObject(nobody.nextSeq()));
    const anon = anonR.data[0]!.attrs.objid!;
    const sub = async (target: number) => (await nobody.request(proto.subscribe(nobody.nextSeq(), anon, target))).status.attrs.status;
    t.is(await sub(ids['nym-vpn']!), 0);
    t.is(await sub(ids['secret']!), Status.NOT_FOUND);
    const rootAnon = (await root.request(proto.addObject(root.nextSeq()))).data[0]!.attrs.objid!;
    t.is(await sub(rootAnon), Status.NOT_FOUND, 'anonymous object of another user and group');
    const reg = async (pattern: string) => (await nobody.request(proto.invoke(nobody.nextSeq(), 1, 'register', { object: anon | 0, pattern }))).status.attrs.status;
    t.is(await reg('nym-vpn.*'), 0);
    t.is(await reg('nym-vpn.state'), 0);
    t.is(await reg('other'), Status.PERMISSION_DENIED);
    t.is(await reg('*'), Status.PERMISSION_DENIED);
    const send = async (id: string) => (await nobody.request(proto.invoke(nobody.nextSeq(), 1, 'send', { id, data: {} }))).status.attrs.status;
    t.is(await send('nym-vpn.cmd'), 0);
    t.is(await send('nym-vpn.other'), Status.PERMISSION_DENIED);
    // Root's events reach the nobody listener.
    await root.request(proto.invoke(root.nextSeq(), 1, 'send', { id: 'nym-vpn.state', data: { up: true } }));
    const ev = await nobody.next((x) => x.type === MsgType.INVOKE && x.peer === 0);
    t.deepEqual(decodeTable(ev.attrs.data!), { up: true });
  } finally { await h.close(); }
});

test('reloading the ACL folder takes effect at once and announces ubus.acl.sequence; "query" reports the acl tables', async (t) => {
  const { h, root, nobody, ids } = await setup();
  try {
    const l = (await root.request(proto.addObject(root.nextSeq()))).data[0]!.attrs.objid!;
    await root.request(proto.invoke(root.nextSeq(), 1, 'register', { object: l | 0, pattern: 'ubus.acl.sequence' }));
    t.is((await nobody.request(proto.invoke(1, ids['secret']!, 'm'))).status.attrs.status, Status.PERMISSION_DENIED);
    h.writeAcl('more.json', { user: 'nobody', access: { secret: { methods: ['m'] } } });
    const seqBefore = h.broker.acl.seq;
    h.broker.reloadAcl();
    const ev = await root.next((x) => x.type === MsgType.INVOKE && x.peer === 0);
    t.deepEqual(decodeTable(ev.attrs.data!), { sequence: seqBefore + 1 });
    nobody.send(proto.invoke(2, ids['secret']!, 'm'));
    t.is((await root.next((x) => x.type === MsgType.INVOKE && x.peer === nobody.id)).attrs.method, 'm');

    await nobody.request(proto.addObject(nobody.nextSeq(), 'nobody.svc', m('a')));
    const q = await nobody.request(proto.invoke(nobody.nextSeq(), 2, 'query'));
    t.is(q.data[0]!.attrs.objid, 2);
    t.deepEqual(decodeTable(q.data[0]!.attrs.data!), { seq: h.broker.acl.seq, acl: [{ obj: 'nobody.svc', user: 'nobody', acl: { level: 3 } }] });
    t.is((await nobody.request(proto.invoke(nobody.nextSeq(), 2, 'other'))).status.attrs.status, Status.INVALID_COMMAND);
  } finally { await h.close(); }
});

test('a rule file not owned by root is ignored', async (t) => {
  const h = await startBroker({}, { 'n.json': { user: 'nobody', access: { svc: { methods: ['*'] } } } });
  try {
    chownSync(join(h.aclDir, 'n.json'), 65534, 65534);
    const r = h.broker.reloadAcl();
    t.deepEqual(r.loaded, []);
    t.regex(r.skipped[0]!.reason, /owner/);
  } finally { await h.close(); }
});
