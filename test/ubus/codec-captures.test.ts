import anyTest from 'ava';
import { decodeMessage, parseMsgAttrs, frameLength } from '../../src/ubus/message.js';
import { MsgType } from '../../src/ubus/constants.js';
import { decodeTable } from '../../src/ubus/blobmsg.js';
import * as proto from '../../src/ubus/proto.js';
import { capturesMissing, loadCapturedFrames } from './captures.js';

// The captured frames come from ../shared/docs; a clone without it skips these, saying why.
const test = (capturesMissing ? anyTest.skip : anyTest) as typeof anyTest;
if (capturesMissing) anyTest('frames captured from the real ubusd', (t) => { t.log(`skipped: ${capturesMissing}`); t.pass(); });

const frames = capturesMissing ? [] : loadCapturedFrames();

test('the captures hold the messages the document describes', (t) => {
  // A: 7 frames (hello, add, data, status, add anon, data+status, invoke, reply data+status) — count by direction
  t.true(frames.length >= 20);
  t.true(frames.every((f) => frameLength(f.bytes) === f.bytes.length));
});

/** Rebuilds a captured frame from its decoded meaning with our builders. */
function rebuild(dir: '<' | '>', bytes: Uint8Array): Uint8Array {
  const m = decodeMessage(bytes);
  const a = parseMsgAttrs(m.body);
  const { seq, peer } = m;
  switch (m.type) {
    case MsgType.HELLO: return proto.hello(peer);
    case MsgType.ADD_OBJECT:
      return proto.addObject(seq, a.objpath, a.signature ? proto.parseSignature(a.signature) : undefined);
    case MsgType.LOOKUP: return proto.lookup(seq, a.objpath);
    case MsgType.INVOKE:
      if (dir === '>') return proto.invoke(seq, a.objid!, a.method!, decodeTable(a.data!));
      return proto.forwardedInvoke(seq, peer, {
        objId: a.objid!, method: a.method!, user: a.user, group: a.group, data: a.data, noReply: a.noReply === 1,
      });
    case MsgType.DATA:
      if (a.objpath !== undefined) {
        // Re-encode the signature from its meaning, not from the raw bytes.
        const sig = proto.signaturePayload(proto.parseSignature(a.signature!));
        return proto.lookupData(seq, peer, { path: a.objpath, id: a.objid!, typeId: a.objtype!, signature: sig });
      }
      if (a.data !== undefined) return proto.replyData(seq, peer, a.objid!, decodeTable(a.data));
      return proto.objectData(seq, peer, a.objid!, a.objtype);
    case MsgType.STATUS:
      if (a.objid !== undefined) return proto.replyStatus(seq, peer, a.objid, a.status!);
      return proto.status(seq, peer, a.status!);
    default:
      throw new Error(`no builder for type ${m.type}`);
  }
}

for (const f of frames) {
  const type = MsgType[f.bytes[1]!];
  test(`capture ${f.section}#${f.index} ${f.dir} ${type} rebuilds byte for byte`, (t) => {
    t.deepEqual(Buffer.from(rebuild(f.dir, f.bytes)).toString('hex'), Buffer.from(f.bytes).toString('hex'));
  });
}

test('capture B: the CLI call carries {"id":7,"msg":"hi"} as INT32 and STRING', (t) => {
  const inv = frames.find((f) => f.section === 'B' && f.dir === '>' && f.bytes[1] === MsgType.INVOKE)!;
  const a = parseMsgAttrs(decodeMessage(inv.bytes).body);
  t.is(a.method, 'hello');
  t.deepEqual(decodeTable(a.data!), { id: 7, msg: 'hi' });
});

test('capture B: the event send carries nested data with a boolean as INT8', (t) => {
  const send = frames.filter((f) => f.section === 'B' && f.dir === '>' && f.bytes[1] === MsgType.INVOKE).pop()!;
  const a = parseMsgAttrs(decodeMessage(send.bytes).body);
  t.is(a.objid, 1);
  t.is(a.method, 'send');
  t.deepEqual(decodeTable(a.data!), { id: 'nym-vpn.state', data: { state: 'connected', ok: true } });
  t.deepEqual(proto.invoke(decodeMessage(send.bytes).seq, 1, 'send', { id: 'nym-vpn.state', data: { state: 'connected', ok: true } }), send.bytes);
});

test('capture A: the signature of object test decodes to its three methods', (t) => {
  const add = frames.find((f) => f.section === 'A' && f.dir === '>' && f.bytes[1] === MsgType.ADD_OBJECT)!;
  const a = parseMsgAttrs(decodeMessage(add.bytes).body);
  t.is(a.objpath, 'test');
  t.deepEqual(proto.parseSignature(a.signature!), [
    { name: 'hello', args: [['id', 5], ['msg', 3]] },
    { name: 'watch', args: [['id', 5], ['counter', 5]] },
    { name: 'count', args: [['to', 5], ['string', 3]] },
  ]);
});
