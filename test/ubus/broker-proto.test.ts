// The broker against raw peers, message type by message type, with byte-level checks against the
// frames captured from the real ubusd (ids aside, which are random in both).
import anyTest from 'ava';
import { startBroker } from './fixtures-broker/harness.js';
import { captured, swapIds, hex, u32, rawFrame, attr, be32, cstr, cat } from './fixtures-broker/bytes.js';
import * as proto from '../../src/ubus/proto.js';
import { Attr, BlobmsgType, MsgType, Status } from '../../src/ubus/constants.js';
import { capturesMissing } from './captures.js';

// The captured frames come from ../shared/docs; a clone without it skips these, saying why.
const test = (capturesMissing ? anyTest.skip : anyTest) as typeof anyTest;
if (capturesMissing) anyTest('frames captured from the real ubusd', (t) => { t.log(`skipped: ${capturesMissing}`); t.pass(); });

const TEST_METHODS: proto.MethodSignature[] = [
  { name: 'hello', args: [['id', BlobmsgType.INT32], ['msg', BlobmsgType.STRING]] },
];

test('HELLO: 12 bytes, peer = a random client id ≥ 1024, distinct per client', async (t) => {
  const h = await startBroker();
  try {
    const a = await h.connect();
    const b = await h.connect();
    t.true(a.id >= 1024 && b.id >= 1024);
    t.not(a.id, b.id);
    t.is(hex(proto.hello(a.id)), `00000000${a.id.toString(16).padStart(8, '0')}00000004`);
  } finally { await h.close(); }
});

test('capture A: ADD_OBJECT answers DATA {OBJID, OBJTYPE} then STATUS 0, byte for byte; anonymous gets DATA {OBJID}', async (t) => {
  const h = await startBroker();
  try {
    const c = await h.connect();
    const { data, status } = await c.request(captured(1));
    t.is(data.length, 1);
    const objId = data[0]!.attrs.objid!;
    const typeId = data[0]!.attrs.objtype!;
    t.is(hex(data[0]!.bytes), hex(swapIds(captured(2), [[0x56cba23b, objId], [0xb7ca5474, typeId]])));
    t.is(hex(status.bytes), hex(captured(3)));
    const anon = await c.request(captured(4));
    t.is(hex(anon.data[0]!.bytes), hex(swapIds(captured(5), [[0xaac9d2cc, anon.data[0]!.attrs.objid!]])));
    t.is(hex(anon.status.bytes), hex(captured(6)));
  } finally { await h.close(); }
});

test('capture B: LOOKUP answers the captured DATA (ids aside) then STATUS; INVOKE is forwarded as captured and the replies come back as captured', async (t) => {
  const h = await startBroker();
  try {
    const owner = await h.connect();
    const add = await owner.request(captured(1));
    const objId = add.data[0]!.attrs.objid!;
    const typeId = add.data[0]!.attrs.objtype!;
    const cli = await h.connect();
    const look = await cli.request(captured(11));
    t.is(look.data.length, 1);
    t.is(hex(look.data[0]!.bytes), hex(swapIds(captured(12), [[0x9721e946, objId], [0xb72c1d30, typeId]])));
    t.is(hex(look.status.bytes), hex(captured(13)));

    cli.send(swapIds(captured(14), [[0x9721e946, objId]]));
    const fwd = await owner.next((m) => m.type === MsgType.INVOKE);
    t.is(hex(fwd.bytes), hex(swapIds(captured(7), [[0x56734e50, cli.id], [0x56cba23b, objId]])));
    // The owner answers exactly as libubus did in capture A; the caller sees exactly capture B.
    owner.send(swapIds(captured(8), [[0x56734e50, cli.id], [0x56cba23b, objId]]));
    owner.send(swapIds(captured(9), [[0x56734e50, cli.id], [0x56cba23b, objId]]));
    const reply = await cli.next((m) => m.type === MsgType.DATA);
    const done = await cli.next((m) => m.type === MsgType.STATUS);
    t.is(hex(reply.bytes), hex(swapIds(captured(15), [[0x9721e946, objId]])));
    t.is(hex(done.bytes), hex(swapIds(captured(16), [[0x9721e946, objId]])));

    // The second CLI session: a method the object lacks; libubus answers METHOD_NOT_FOUND through us.
    cli.send(swapIds(captured(21), [[0x9721e946, objId]]));
    const fwd2 = await owner.next((m) => m.type === MsgType.INVOKE);
    t.is(fwd2.attrs.method, 'nosuch');
    t.is(fwd2.attrs.data?.length, 0);
    owner.send(proto.replyStatus(fwd2.seq, fwd2.peer, objId, Status.METHOD_NOT_FOUND));
    const nf = await cli.next((m) => m.type === MsgType.STATUS);
    t.is(hex(nf.bytes), hex(swapIds(captured(22), [[0x9721e946, objId]])));
  } finally { await h.close(); }
});

test('PING comes back as DATA with the same header and body, then STATUS 0', async (t) => {
  const h = await startBroker();
  try {
    const c = await h.connect();
    const ping = rawFrame(MsgType.PING, 9, 77, attr(Attr.DATA, [1, 2, 3]));
    const r = await c.request(ping);
    t.is(hex(r.data[0]!.bytes), hex(cat(Uint8Array.of(0, MsgType.DATA), ping.subarray(2))));
    t.is(hex(r.status.bytes), hex(proto.status(9, 77, 0)));
  } finally { await h.close(); }
});

test('LOOKUP: exact, prefix, all, not found, empty path; objects without a type are not listed', async (t) => {
  const h = await startBroker();
  try {
    const c = await h.connect();
    const ids: Record<string, number> = {};
    for (const p of ['net.a', 'net.b', 'nym-vpn', 'zz']) {
      const r = await c.request(proto.addObject(c.nextSeq(), p, TEST_METHODS));
      ids[p] = r.data[0]!.attrs.objid!;
    }
    await c.request(proto.addObject(c.nextSeq(), 'typeless'));
    const paths = async (path?: string) => {
      const r = await c.request(proto.lookup(c.nextSeq(), path));
      return { paths: r.data.map((m) => m.attrs.objpath), status: r.status.attrs.status };
    };
    t.deepEqual(await paths('nym-vpn'), { paths: ['nym-vpn'], status: 0 });
    t.deepEqual(await paths('net*'), { paths: ['net.a', 'net.b'], status: 0 });
    t.deepEqual(await paths(), { paths: ['net.a', 'net.b', 'nym-vpn', 'zz'], status: 0 });
    t.deepEqual(await paths('nosuch'), { paths: [], status: Status.NOT_FOUND });
    t.deepEqual(await paths('q*'), { paths: [], status: Status.NOT_FOUND });
    t.deepEqual(await paths(''), { paths: [], status: Status.INVALID_ARGUMENT });
    t.deepEqual(await paths('typeless'), { paths: [], status: 0 });
    t.deepEqual(await paths('*'), { paths: ['net.a', 'net.b', 'nym-vpn', 'zz'], status: 0 });
  } finally { await h.close(); }
});

test('ADD_OBJECT: a taken path is refused; OBJTYPE reuses a type; REMOVE_OBJECT reports the type only when it goes', async (t) => {
  const h = await startBroker();
  try {
    const c = await h.connect();
    const first = await c.request(proto.addObject(c.nextSeq(), 'one', TEST_METHODS));
    const typeId = first.data[0]!.attrs.objtype!;
    t.is((await c.request(proto.addObject(c.nextSeq(), 'one', TEST_METHODS))).status.attrs.status, Status.INVALID_ARGUMENT);
    const w = cat(attr(Attr.OBJPATH, cstr('two')), attr(Attr.OBJTYPE, be32(typeId)));
    const second = await c.request(rawFrame(MsgType.ADD_OBJECT, c.nextSeq(), 0, w));
    t.is(second.data[0]!.attrs.objtype, undefined);
    const look = await c.request(proto.lookup(c.nextSeq(), 'two'));
    t.is(look.data[0]!.attrs.objtype, typeId);
    t.is(hex(look.data[0]!.attrs.signature!), hex(proto.signaturePayload(TEST_METHODS)));
    const rm1 = await c.request(proto.removeObject(c.nextSeq(), first.data[0]!.attrs.objid!));
    t.is(hex(rm1.data[0]!.bytes), hex(proto.objectData(rm1.data[0]!.seq, 0, first.data[0]!.attrs.objid!)));
    const rm2 = await c.request(proto.removeObject(c.nextSeq(), second.data[0]!.attrs.objid!));
    t.is(rm2.data[0]!.attrs.objtype, typeId);
    t.is(h.broker.stats().types, 0);
    t.is((await c.request(proto.removeObject(c.nextSeq(), second.data[0]!.attrs.objid!))).status.attrs.status, Status.NOT_FOUND);
    t.is((await c.request(proto.removeObject(c.nextSeq(), 1))).status.attrs.status, Status.PERMISSION_DENIED);
    t.is((await c.request(rawFrame(MsgType.REMOVE_OBJECT, c.nextSeq(), 0, new Uint8Array(0)))).status.attrs.status, Status.INVALID_ARGUMENT);
    // Another client may not remove it.
    const mine = await c.request(proto.addObject(c.nextSeq(), 'mine', TEST_METHODS));
    const other = await h.connect();
    t.is((await other.request(proto.removeObject(other.nextSeq(), mine.data[0]!.attrs.objid!))).status.attrs.status, Status.PERMISSION_DENIED);
  } finally { await h.close(); }
});

test('a signature element without a name leaves the object without a type (listed nowhere), as ubusd', async (t) => {
  const h = await startBroker();
  try {
    const c = await h.connect();
    const badSig = attr(Attr.SIGNATURE, attr(BlobmsgType.TABLE, [0, 0, 0, 0], { extended: true }));
    const r = await c.request(rawFrame(MsgType.ADD_OBJECT, 1, 0, cat(attr(Attr.OBJPATH, cstr('odd')), badSig)));
    t.is(r.status.attrs.status, 0);
    t.is(r.data[0]!.attrs.objtype, undefined);
    t.is((await c.request(proto.lookup(2, 'odd'))).data.length, 0);
  } finally { await h.close(); }
});

test('INVOKE: missing object, missing method attribute; without DATA nothing is made up; a system object answers itself', async (t) => {
  const h = await startBroker();
  try {
    const owner = await h.connect();
    const objId = (await owner.request(proto.addObject(1, 'svc', TEST_METHODS))).data[0]!.attrs.objid!;
    const c = await h.connect();
    t.is((await c.request(proto.invoke(1, 0x12345678, 'x'))).status.attrs.status, Status.NOT_FOUND);
    t.is((await c.request(rawFrame(MsgType.INVOKE, 2, objId, attr(Attr.OBJID, be32(objId))))).status.attrs.status, Status.INVALID_ARGUMENT);
    c.send(rawFrame(MsgType.INVOKE, 3, objId, cat(attr(Attr.OBJID, be32(objId)), attr(Attr.METHOD, cstr('bare')))));
    const fwd = await owner.next((m) => m.type === MsgType.INVOKE);
    t.is(fwd.attrs.data, undefined);
    t.is(fwd.attrs.user, 'root');
    t.is(fwd.attrs.group, 'root');
    t.is(fwd.peer, c.id);
    t.is(fwd.seq, 3);
    t.is((await c.request(proto.invoke(4, 1, 'nosuch'))).status.attrs.status, Status.INVALID_COMMAND);
    t.is((await c.request(proto.invoke(5, 3, 'nosuch'))).status.attrs.status, Status.METHOD_NOT_FOUND);
  } finally { await h.close(); }
});

test('DATA/STATUS from an owner are dropped without OBJID, for a foreign object, a non-owner, an unknown peer, or missing STATUS/DATA', async (t) => {
  const h = await startBroker();
  try {
    const owner = await h.connect();
    const objId = (await owner.request(proto.addObject(1, 'svc', TEST_METHODS))).data[0]!.attrs.objid!;
    const other = await h.connect();
    const otherObj = (await other.request(proto.addObject(1, 'svc2', TEST_METHODS))).data[0]!.attrs.objid!;
    const caller = await h.connect();
    owner.send(proto.status(5, caller.id, 0)); // no OBJID
    owner.send(proto.replyStatus(5, caller.id, otherObj, 0)); // not its object
    other.send(proto.replyStatus(5, caller.id, objId, 0)); // not the owner
    owner.send(proto.replyStatus(5, 0x7fffffff, objId, 0)); // no such client
    owner.send(rawFrame(MsgType.STATUS, 5, caller.id, attr(Attr.OBJID, be32(objId)))); // no STATUS
    owner.send(rawFrame(MsgType.DATA, 5, caller.id, attr(Attr.OBJID, be32(objId)))); // no DATA
    t.true(await caller.nothing(() => true, 200));
    t.true(await owner.nothing((m) => m.type === MsgType.STATUS, 10));
    owner.send(proto.replyStatus(6, caller.id, objId, 0));
    const ok = await caller.next();
    t.is(ok.peer, objId);
    t.is(ok.seq, 6);
  } finally { await h.close(); }
});

test('unknown message types (HELLO, MONITOR, 12, 200) get INVALID_COMMAND; a bad version byte is not checked, as in ubusd', async (t) => {
  const h = await startBroker();
  try {
    const c = await h.connect();
    for (const type of [MsgType.HELLO, MsgType.MONITOR, 12, 200]) {
      const r = await c.request(rawFrame(type, 7, 3, new Uint8Array(0)));
      t.is(hex(r.status.bytes), hex(proto.status(7, 3, Status.INVALID_COMMAND)));
    }
    const r = await c.request(rawFrame(MsgType.PING, 8, 0, new Uint8Array(0), { version: 5 }));
    t.is(r.data[0]!.bytes[0], 5);
    t.is(r.status.attrs.status, 0);
  } finally { await h.close(); }
});

test('a stream with a root length below 4 or over 1 MiB gets the client dropped; others carry on', async (t) => {
  const h = await startBroker();
  try {
    const good = await h.connect();
    for (const rootLen of [0, 3, 1048577, 0xffffff]) {
      const bad = await h.connect();
      bad.send(proto.ping(1));
      bad.send(rawFrame(MsgType.PING, 2, 0, new Uint8Array(0), { rootLen }));
      t.true(await bad.waitClosed(), `root length ${rootLen}`);
      t.true(bad.inbox.some((m) => m.seq === 1 && m.type === MsgType.STATUS), 'the frame before it was answered');
    }
    // Exactly 1 MiB padded is still fine.
    const big = await h.connect();
    const body = attr(Attr.DATA, new Uint8Array(1048576 - 4 - 4));
    const r = await big.request(rawFrame(MsgType.PING, 3, 0, body));
    t.is(r.data[0]!.bytes.length, 8 + 1048576);
    t.is((await good.request(proto.ping(9))).status.attrs.status, 0);
  } finally { await h.close(); }
});

test('a client that goes away takes its objects with it', async (t) => {
  const h = await startBroker();
  try {
    const owner = await h.connect();
    await owner.request(proto.addObject(1, 'transient', TEST_METHODS));
    const c = await h.connect();
    t.is((await c.request(proto.lookup(1, 'transient'))).data.length, 1);
    owner.close();
    for (let i = 0; i < 50 && h.broker.stats().objects > 0; i++) await new Promise((r) => setTimeout(r, 10));
    t.is((await c.request(proto.lookup(2, 'transient'))).status.attrs.status, Status.NOT_FOUND);
    t.is(h.broker.stats().clients, 1);
  } finally { await h.close(); }
});

test('two brokers on different sockets keep separate buses', async (t) => {
  const a = await startBroker();
  const b = await startBroker();
  try {
    const ca = await a.connect();
    const cb = await b.connect();
    await ca.request(proto.addObject(1, 'only-on-a', TEST_METHODS));
    t.is((await cb.request(proto.lookup(1, 'only-on-a'))).status.attrs.status, Status.NOT_FOUND);
    t.is((await ca.request(proto.lookup(2, 'only-on-a'))).status.attrs.status, 0);
  } finally { await a.close(); await b.close(); }
});

test('MONITOR: a root monitor sees what a client sends and receives', async (t) => {
  const h = await startBroker();
  try {
    const mon = await h.connect();
    t.is((await mon.request(proto.invoke(1, 3, 'add'))).status.attrs.status, 0);
    const c = await h.connect();
    await c.request(proto.ping(42));
    // The monitor also sees its own "add" answer and the new client's HELLO; look at the PING's traffic.
    const seen = [];
    const ofPing = (m: { type: number; bytes: Uint8Array }) => m.type === MsgType.MONITOR && u32(m.bytes, 16) === c.id && u32(m.bytes, 32) === 42;
    for (let i = 0; i < 3; i++) seen.push(await mon.next(ofPing));
    // CLIENT 0, PEER 1, SEND 2, SEQ 3, TYPE 4, DATA 5 (ubusmsg.h); attribute order CLIENT, PEER, SEQ, TYPE, SEND, DATA.
    const fields = seen.map((m) => ({ client: u32(m.bytes, 16), seq: u32(m.bytes, 32), type: u32(m.bytes, 40), send: m.bytes[48] }));
    t.deepEqual(fields, [
      { client: c.id, seq: 42, type: MsgType.PING, send: 0 },
      { client: c.id, seq: 42, type: MsgType.DATA, send: 1 },
      { client: c.id, seq: 42, type: MsgType.STATUS, send: 1 },
    ]);
    t.deepEqual(seen.map((m) => m.seq), [seen[0]!.seq, seen[0]!.seq + 1, seen[0]!.seq + 2]);
    t.is((await mon.request(proto.invoke(2, 3, 'remove'))).status.attrs.status, 0);
  } finally { await h.close(); }
});
