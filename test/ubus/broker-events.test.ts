// Events through the broker: "register" with exact and prefix patterns, "send" fan-out (once per
// object, never back to the sender), refusals, and ubusd's own ubus.object.add / ubus.object.remove.
import anyTest from 'ava';
import { startBroker } from './fixtures-broker/harness.js';
import { captured, hex, attr, cstr, cat, rawFrame, be32 } from './fixtures-broker/bytes.js';
import type { RawClient, Msg } from './fixtures-broker/raw-client.js';
import * as proto from '../../src/ubus/proto.js';
import { decodeTable } from '../../src/ubus/blobmsg.js';
import { BlobmsgType, MsgType, Status } from '../../src/ubus/constants.js';
import { capturesMissing } from './captures.js';

// The captured frames come from ../shared/docs; a clone without it skips these, saying why.
const test = (capturesMissing ? anyTest.skip : anyTest) as typeof anyTest;
if (capturesMissing) anyTest('frames captured from the real ubusd', (t) => { t.log(`skipped: ${capturesMissing}`); t.pass(); });

async function listener(c: RawClient, ...patterns: string[]): Promise<number> {
  const obj = (await c.request(proto.addObject(c.nextSeq()))).data[0]!.attrs.objid!;
  for (const pattern of patterns) {
    const r = await c.request(proto.invoke(c.nextSeq(), 1, 'register', { object: obj | 0, pattern }));
    if (r.status.attrs.status !== 0) throw new Error(`register ${pattern}: status ${r.status.attrs.status}`);
  }
  return obj;
}

const isEvent = (m: Msg) => m.type === MsgType.INVOKE && m.peer === 0;

test('a sent event reaches each matching listener once, as INVOKE peer 0 {OBJID, METHOD, DATA}; the sender gets capture B\'s STATUS', async (t) => {
  const h = await startBroker();
  try {
    const a = await h.connect();
    const objA = await listener(a, 'nym-vpn.*', 'nym-vpn.state'); // both match: still one delivery
    const b = await h.connect();
    const objB = await listener(b, 'nym-vpn.state');
    const c = await h.connect();
    await listener(c, 'other', 'nym-vpn.stat'); // neither matches
    const d = await h.connect();
    const objD = await listener(d, '*');
    const sender = await h.connect();
    const status = await sender.request(captured(24));
    t.is(hex(status.status.bytes), hex(captured(25)));
    for (const [cl, obj] of [[a, objA], [b, objB], [d, objD]] as const) {
      const ev = await cl.next(isEvent);
      t.is(ev.attrs.objid, obj);
      t.is(ev.attrs.method, 'nym-vpn.state');
      t.deepEqual(decodeTable(ev.attrs.data!), { state: 'connected', ok: true });
      const expected = proto.forwardedInvoke(ev.seq, 0, { objId: obj, method: 'nym-vpn.state', data: ev.attrs.data! });
      t.is(hex(ev.bytes), hex(expected));
    }
    t.true(await a.nothing(isEvent), 'only one copy per object');
    t.true(await c.nothing(isEvent, 10));
  } finally { await h.close(); }
});

test('events never loop back to the sender\'s own objects; ubus.* cannot be sent; bad register/send arguments', async (t) => {
  const h = await startBroker();
  try {
    const a = await h.connect();
    const obj = await listener(a, 'loop');
    t.is((await a.request(proto.invoke(a.nextSeq(), 1, 'send', { id: 'loop', data: {} }))).status.attrs.status, 0);
    t.true(await a.nothing(isEvent));
    const st = async (method: string, data?: Record<string, unknown>) =>
      (await a.request(data === undefined
        ? rawFrame(MsgType.INVOKE, a.nextSeq(), 1, cat(attr(3, be32(1)), attr(4, cstr(method))))
        : proto.invoke(a.nextSeq(), 1, method, data))).status.attrs.status;
    t.is(await st('send', { id: 'ubus.object.add', data: {} }), Status.PERMISSION_DENIED);
    t.is(await st('send', { id: 'x' }), Status.INVALID_ARGUMENT);
    t.is(await st('send', { id: 'x', data: 'not a table' }), Status.INVALID_ARGUMENT);
    t.is(await st('send'), Status.INVALID_ARGUMENT);
    t.is(await st('register'), Status.INVALID_ARGUMENT);
    t.is(await st('register', { object: obj | 0 }), Status.INVALID_ARGUMENT);
    t.is(await st('register', { object: 3, pattern: 'x' }), Status.PERMISSION_DENIED);
    t.is(await st('register', { object: 0x7ffffff0, pattern: 'x' }), Status.NOT_FOUND);
    t.is(await st('register', { object: obj | 0, pattern: '' }), Status.INVALID_ARGUMENT);
    t.is(await st('other', {}), Status.INVALID_COMMAND);
    const b = await h.connect();
    const st2 = await b.request(proto.invoke(b.nextSeq(), 1, 'register', { object: obj | 0, pattern: 'x' }));
    t.is(st2.status.attrs.status, Status.PERMISSION_DENIED, 'someone else\'s object');
  } finally { await h.close(); }
});

test('ubus.object.add / ubus.object.remove {id, path} for named objects only, also when the owner disconnects', async (t) => {
  const h = await startBroker();
  try {
    const l = await h.connect();
    const lobj = await listener(l, 'ubus.object.*');
    const o = await h.connect();
    const added = await o.request(proto.addObject(o.nextSeq(), 'nym-vpn', [{ name: 'status', args: [] }]));
    const id = added.data[0]!.attrs.objid!;
    await o.request(proto.addObject(o.nextSeq())); // anonymous: no event
    const add = await l.next(isEvent);
    t.is(add.attrs.method, 'ubus.object.add');
    t.is(add.attrs.objid, lobj);
    t.deepEqual(decodeTable(add.attrs.data!), { id: id | 0, path: 'nym-vpn' });
    // The id is an INT32 element (blobmsg_add_u32), then the path string.
    t.is(add.attrs.data![0], 0x80 | BlobmsgType.INT32);
    t.true(await l.nothing(isEvent));
    o.close();
    const rm = await l.next(isEvent);
    t.is(rm.attrs.method, 'ubus.object.remove');
    t.deepEqual(decodeTable(rm.attrs.data!), { id: id | 0, path: 'nym-vpn' });
    t.true(rm.seq !== add.seq);
  } finally { await h.close(); }
});

test('a client hears the add event of its own object (ubusd sends it before the object has an owner), before the ADD_OBJECT answer', async (t) => {
  const h = await startBroker();
  try {
    const c = await h.connect();
    await listener(c, 'ubus.object.add');
    const seq = c.nextSeq();
    c.send(proto.addObject(seq, 'mine', [{ name: 'm', args: [] }]));
    const first = await c.next((m) => isEvent(m) || m.seq === seq);
    t.true(isEvent(first));
    t.is((await c.next((m) => m.seq === seq)).type, MsgType.DATA);
  } finally { await h.close(); }
});

test('a listener\'s patterns go with its object', async (t) => {
  const h = await startBroker();
  try {
    const l = await h.connect();
    const obj = await listener(l, 'gone', 'gone.*');
    t.is(h.broker.stats().patterns, 2);
    await l.request(proto.removeObject(l.nextSeq(), obj));
    t.is(h.broker.stats().patterns, 0);
    const s = await h.connect();
    await s.request(proto.invoke(s.nextSeq(), 1, 'send', { id: 'gone', data: {} }));
    t.true(await l.nothing(isEvent));
  } finally { await h.close(); }
});
