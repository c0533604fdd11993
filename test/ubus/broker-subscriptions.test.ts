// Subscribe / notify / unsubscribe through the broker, including the watched object going away.
import test from 'ava';
import { startBroker } from './fixtures-broker/harness.js';
import { hex } from './fixtures-broker/bytes.js';
import type { RawClient, Msg } from './fixtures-broker/raw-client.js';
import * as proto from '../../src/ubus/proto.js';
import { decodeTable } from '../../src/ubus/blobmsg.js';
import { MsgType, Status } from '../../src/ubus/constants.js';

const anon = async (c: RawClient) => (await c.request(proto.addObject(c.nextSeq()))).data[0]!.attrs.objid!;
const isActive = (m: Msg) => m.type === MsgType.NOTIFY && m.peer === 0;

async function setup() {
  const h = await startBroker();
  const owner = await h.connect();
  const target = (await owner.request(proto.addObject(owner.nextSeq(), 'nym-vpn', [{ name: 'status', args: [] }]))).data[0]!.attrs.objid!;
  return { h, owner, target };
}

test('the first subscriber makes the owner get NOTIFY {OBJID, ACTIVE 1}; NOTIFY fans out as INVOKE; replies reach the owner; the last one leaving sends ACTIVE 0', async (t) => {
  const { h, owner, target } = await setup();
  try {
    const s1 = await h.connect();
    const o1 = await anon(s1);
    t.is((await s1.request(proto.subscribe(s1.nextSeq(), o1, target))).status.attrs.status, 0);
    const on = await owner.next(isActive);
    t.is(hex(on.bytes), hex(proto.subscriptionState(on.seq, target, true)));
    const s2 = await h.connect();
    const o2 = await anon(s2);
    t.is((await s2.request(proto.subscribe(s2.nextSeq(), o2, target))).status.attrs.status, 0);
    t.true(await owner.nothing(isActive), 'only the first subscriber activates');

    const seq = owner.nextSeq();
    owner.send(proto.notify(seq, target, 'state', { state: 'up' }, false));
    const st = await owner.next((m) => m.seq === seq);
    t.is(hex(st.bytes), hex(proto.notifyStatus(seq, target, target, [o2, o1])), 'newest subscriber first');
    for (const [s, o] of [[s1, o1], [s2, o2]] as const) {
      const inv = await s.next((m) => m.type === MsgType.INVOKE);
      t.is(inv.seq, seq);
      t.is(inv.peer, owner.id);
      t.is(hex(inv.bytes), hex(proto.forwardedInvoke(seq, owner.id, { objId: o, method: 'state', user: 'root', group: 'root', data: inv.attrs.data! })));
      t.deepEqual(decodeTable(inv.attrs.data!), { state: 'up' });
      s.send(proto.replyStatus(inv.seq, inv.peer, o, 0));
    }
    const replies = [await owner.next((m) => m.type === MsgType.STATUS), await owner.next((m) => m.type === MsgType.STATUS)];
    t.deepEqual(replies.map((r) => r.peer).sort(), [o1, o2].sort());

    const seq2 = owner.nextSeq();
    owner.send(proto.notify(seq2, target, 'quiet', {}, true));
    const q = await s1.next((m) => m.type === MsgType.INVOKE);
    t.is(q.attrs.noReply, 1);
    t.is(q.bytes[12], 10, 'NO_REPLY (attribute 10) comes first');
    t.true(await owner.nothing((m) => m.seq === seq2), 'no STATUS with NO_REPLY');

    t.is((await s2.request(proto.subscribe(s2.nextSeq(), o2, target, true))).status.attrs.status, 0);
    t.true(await owner.nothing(isActive));
    t.is((await s1.request(proto.subscribe(s1.nextSeq(), o1, target, true))).status.attrs.status, 0);
    const off = await owner.next(isActive);
    t.is(hex(off.bytes), hex(proto.subscriptionState(off.seq, target, false)));
    t.is(off.seq, on.seq + 1, 'the object\'s own counter');
    t.is((await s1.request(proto.subscribe(s1.nextSeq(), o1, target, true))).status.attrs.status, Status.NOT_FOUND);
  } finally { await h.close(); }
});

test('subscribe refusals: own object, someone else\'s object as subscriber, no target, system object; notify by a non-owner', async (t) => {
  const { h, owner, target } = await setup();
  try {
    const ownAnon = await anon(owner);
    t.is((await owner.request(proto.subscribe(owner.nextSeq(), ownAnon, target))).status.attrs.status, Status.INVALID_ARGUMENT);
    const s = await h.connect();
    const o = await anon(s);
    t.is((await s.request(proto.subscribe(s.nextSeq(), ownAnon, target))).status.attrs.status, Status.INVALID_ARGUMENT);
    t.is((await s.request(proto.subscribe(s.nextSeq(), o, 0x7ffffff1))).status.attrs.status, Status.NOT_FOUND);
    t.is((await s.request(proto.subscribe(s.nextSeq(), o, 1))).status.attrs.status, Status.NOT_FOUND);
    t.is((await s.request(proto.subscribe(s.nextSeq(), 0x7ffffff1, target))).status.attrs.status, Status.NOT_FOUND);
    t.is((await s.request(proto.notify(s.nextSeq(), target, 'x', {}, false))).status.attrs.status, Status.PERMISSION_DENIED);
    t.is((await s.request(proto.notify(s.nextSeq(), 0x7ffffff1, 'x', {}, false))).status.attrs.status, Status.NOT_FOUND);
  } finally { await h.close(); }
});

test('when the watched object goes away each subscriber gets UNSUBSCRIBE {OBJID = its object, TARGET}; removal by the owner interleaves as ubusd', async (t) => {
  const { h, owner, target } = await setup();
  try {
    const s = await h.connect();
    const o = await anon(s);
    await s.request(proto.subscribe(s.nextSeq(), o, target));
    await owner.next(isActive);
    const rm = await owner.request(proto.removeObject(owner.nextSeq(), target));
    t.is(rm.data.length, 1);
    const gone = await s.next((m) => m.type === MsgType.UNSUBSCRIBE);
    t.is(hex(gone.bytes), hex(proto.unsubscribed(gone.seq, o, target)));
    // ubusd also tells the owner its (now removed) object lost its last subscriber.
    const off = await owner.next(isActive);
    t.is(off.attrs.active, 0);

    // The owner disconnecting does the same.
    const owner2 = await h.connect();
    const target2 = (await owner2.request(proto.addObject(owner2.nextSeq(), 'svc2', [{ name: 'x', args: [] }]))).data[0]!.attrs.objid!;
    await s.request(proto.subscribe(s.nextSeq(), o, target2));
    owner2.close();
    const gone2 = await s.next((m) => m.type === MsgType.UNSUBSCRIBE);
    t.is(gone2.attrs.objid, o);
    t.is(gone2.attrs.target, target2);
  } finally { await h.close(); }
});

test('a subscriber going away makes the owner get ACTIVE 0', async (t) => {
  const { h, owner, target } = await setup();
  try {
    const s = await h.connect();
    const o = await anon(s);
    await s.request(proto.subscribe(s.nextSeq(), o, target));
    t.is((await owner.next(isActive)).attrs.active, 1);
    s.close();
    t.is((await owner.next(isActive)).attrs.active, 0);
  } finally { await h.close(); }
});
