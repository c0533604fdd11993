// Hostile input: first precise malformations with ubusd's exact answers, then ≥ 100,000 random and
// mutated frames over many connections (and garbage invokes forwarded to a registered object whose
// owner answers with garbage too), while a well-behaved pair of clients keeps checking that the bus
// still answers correctly. Bounded in time; any handler exception counts as a failure.
import anyTest from 'ava';
import { connect, type Socket } from 'node:net';
import { startBroker, type Harness } from './fixtures-broker/harness.js';
import { attr, be32, cat, cstr, hex, rawFrame, captured } from './fixtures-broker/bytes.js';
import type { RawClient } from './fixtures-broker/raw-client.js';
import * as proto from '../../src/ubus/proto.js';
import { FrameSplitter } from '../../tools/ubusd/broker-wire.js';
import { Attr, BlobmsgType, MsgType, Status } from '../../src/ubus/constants.js';
import { capturesMissing } from './captures.js';

// The captured frames come from ../shared/docs; a clone without it skips these, saying why.
const test = (capturesMissing ? anyTest.skip : anyTest) as typeof anyTest;
if (capturesMissing) anyTest('frames captured from the real ubusd', (t) => { t.log(`skipped: ${capturesMissing}`); t.pass(); });

const SEED = Number(process.env.NYM_FUZZ_SEED ?? 0x5eed1234);
const FRAMES = Number(process.env.NYM_FUZZ_FRAMES ?? 250_000);
const BUDGET_MS = 40_000;

function rng(seed: number) {
  let x = seed >>> 0 || 1;
  const next = () => { x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0; return x; };
  return {
    u32: next,
    int: (n: number) => next() % n,
    chance: (p: number) => next() / 0x100000000 < p,
    bytes: (n: number) => { const b = Buffer.alloc(n); for (let i = 0; i < n; i++) b[i] = next() & 0xff; return b; },
  };
}
type Rng = ReturnType<typeof rng>;

const SIG = [{ name: 'hello', args: [['id', BlobmsgType.INT32], ['msg', BlobmsgType.STRING]] as const }];

test('precise malformations get ubusd\'s answers', async (t) => {
  const h = await startBroker();
  try {
    const owner = await h.connect();
    const objId = (await owner.request(proto.addObject(1, 'svc', SIG))).data[0]!.attrs.objid!;
    const c = await h.connect();
    const st = async (f: Uint8Array) => (await c.request(f)).status.attrs.status;
    const objid = attr(Attr.OBJID, be32(objId));
    // An int32 of 3 bytes, a method without its NUL: the attribute is as good as absent.
    t.is(await st(rawFrame(MsgType.INVOKE, 1, objId, cat(attr(Attr.OBJID, [1, 2, 3]), attr(Attr.METHOD, cstr('m'))))), Status.INVALID_ARGUMENT);
    t.is(await st(rawFrame(MsgType.INVOKE, 2, objId, cat(objid, attr(Attr.METHOD, Buffer.from('m'))))), Status.INVALID_ARGUMENT);
    // A METHOD whose length overruns the message: parsing stops there, OBJID before it counts.
    t.is(await st(rawFrame(MsgType.INVOKE, 3, objId, cat(objid, attr(Attr.METHOD, cstr('m'), { len: 200 })))), Status.INVALID_ARGUMENT);
    // The extended bit does not hide an attribute from ubusd; ids ≥ 14 are ignored; padding is not looked at.
    c.send(rawFrame(MsgType.INVOKE, 4, objId, cat(attr(Attr.OBJID, be32(objId), { extended: true }), attr(99, [1]), Buffer.from([0x04, 0, 0, 6, 0x6d, 0, 0xff, 0xff]))));
    t.is((await owner.next((m) => m.type === MsgType.INVOKE)).attrs.method, 'm');
    // An unterminated OBJPATH on LOOKUP is dropped, so the lookup lists everything.
    const all = await c.request(rawFrame(MsgType.LOOKUP, 5, 0, attr(Attr.OBJPATH, Buffer.from('svc'))));
    t.is(all.data.length, 1);
    // A root length that is not a multiple of 4: ubusd consumes exactly that many bytes.
    c.send(cat(rawFrame(MsgType.PING, 6, 0, Buffer.from([1, 2, 3])), proto.ping(7)));
    t.is((await c.next((m) => m.seq === 6 && m.type === MsgType.STATUS)).attrs.status, 0);
    t.is((await c.next((m) => m.seq === 7 && m.type === MsgType.STATUS)).attrs.status, 0);
    // DATA of garbage is forwarded untouched: the owner judges it.
    const garbage = Buffer.from([0xde, 0xad, 0xbe, 0xef, 0xff]);
    c.send(rawFrame(MsgType.INVOKE, 8, objId, cat(objid, attr(Attr.METHOD, cstr('hello')), attr(Attr.DATA, garbage))));
    const fwd = await owner.next((m) => m.type === MsgType.INVOKE && m.seq === 8);
    t.is(hex(fwd.attrs.data!), hex(garbage));
    // A frame cut short and the connection closed: nothing is left behind.
    const cut = connect(h.socketPath);
    cut.resume();
    await new Promise((r) => cut.once('connect', r));
    cut.end(captured(1).subarray(0, 50));
    await new Promise((r) => cut.once('close', r));
    for (let i = 0; i < 50 && h.broker.stats().clients > 2; i++) await new Promise((r) => setTimeout(r, 10));
    t.is(h.broker.stats().clients, 2);
    t.deepEqual(h.log.filter((l) => l.startsWith('error')), []);
  } finally { await h.close(); }
});

/** Frames a hostile peer might send; `targets` are object ids worth aiming at. */
function hostileFrame(r: Rng, targets: number[]): Uint8Array {
  const target = targets[r.int(targets.length)]!;
  const pick = r.int(100);
  if (pick < 1 && r.chance(0.1)) return rawFrame(r.int(12), r.u32(), r.u32(), Buffer.alloc(0), { rootLen: r.chance(0.5) ? r.int(4) : 0x100000 + 1 + r.int(0xefffff) });
  if (pick < 15) return rawFrame(r.int(256), r.u32(), r.u32(), randomAttrs(r, 1 + r.int(6)), { version: r.chance(0.9) ? 0 : r.int(256) });
  if (pick < 45) {
    // Valid-looking invokes at a registered object, with garbage DATA.
    const data = r.chance(0.5) ? randomAttrs(r, r.int(5), true) : r.bytes(r.int(64));
    return rawFrame(MsgType.INVOKE, r.u32(), target, cat(attr(Attr.OBJID, be32(target)), attr(Attr.METHOD, cstr(r.chance(0.7) ? 'hello' : 'x' + r.int(9))), attr(Attr.DATA, data)));
  }
  return mutate(r, template(r, target));
}

function template(r: Rng, target: number): Uint8Array {
  switch (r.int(10)) {
    case 0: return proto.lookup(r.u32(), r.chance(0.5) ? undefined : ['fuzz*', 'svc', '', '*', 'nope'][r.int(5)]);
    case 1: return proto.addObject(r.u32(), r.chance(0.5) ? `fz${r.int(1000)}` : undefined, r.chance(0.7) ? SIG : undefined);
    case 2: return proto.removeObject(r.u32(), r.chance(0.5) ? target : r.u32());
    case 3: return proto.subscribe(r.u32(), r.u32(), target, r.chance(0.3));
    case 4: return proto.notify(r.u32(), target, 'n', { a: r.u32() }, r.chance(0.5));
    case 5: return proto.invoke(r.u32(), 1, r.chance(0.5) ? 'register' : 'send', r.chance(0.5) ? { object: r.u32() | 0, pattern: r.chance(0.5) ? '*' : 'fz.*' } : { id: 'fz.ev', data: { x: 1 } });
    case 6: return proto.replyStatus(r.u32(), r.u32(), target, r.int(14));
    case 7: return proto.replyData(r.u32(), r.u32(), target, { a: 1 });
    case 8: return proto.ping(r.u32());
    default: return captured([1, 4, 8, 9, 11, 14, 21, 24][r.int(8)]!);
  }
}

/** Attributes with random ids, sizes, extended bits, and sometimes lengths that lie. */
function randomAttrs(r: Rng, n: number, blobmsg = false): Buffer {
  const parts: Uint8Array[] = [];
  for (let i = 0; i < n; i++) {
    const id = blobmsg ? r.int(10) : r.int(16);
    const body = r.chance(0.3) ? cat(Buffer.from([0, 3]), cstr('abc'), r.bytes(r.int(9))) : r.bytes(r.int(12));
    const lie = r.chance(0.1) ? { len: r.int(64) } : {};
    parts.push(attr(id, body, { extended: blobmsg || r.chance(0.2), ...lie }));
  }
  return cat(...parts);
}

function mutate(r: Rng, f: Uint8Array, keepType = false): Uint8Array {
  const b = Buffer.from(f);
  const kind = keepType ? [0, 1, 2, 4, 5][r.int(5)]! : r.int(6);
  if (kind === 0 && b.length > 12) b[12 + r.int(b.length - 12)] ^= 1 << r.int(8); // a bit flip in the body
  else if (kind === 1 && b.length > 16) { // an attribute length that lies
    const at = 12 + 4 * r.int((b.length - 12) >> 2);
    b.writeUInt32BE(((b.readUInt32BE(at) & 0xff000000) | r.int(0x200)) >>> 0, at);
  } else if (kind === 2 && b.length > 16) { // cut the body short, keep the root honest
    const keep = 12 + r.int(b.length - 12);
    const out = Buffer.from(b.subarray(0, keep));
    out.writeUInt32BE(keep - 8, 8);
    return out;
  } else if (kind === 3) b[1] = r.int(16); // another message type
  else if (kind === 4 && b.length > 12) b.fill(0xff, 12 + r.int(b.length - 12)); // trailing garbage
  return b;
}

interface Checker { owner: RawClient; caller: RawClient; objId: number; lookupBytes: string }

async function check(c: Checker, n: number): Promise<void> {
  const seq = (n % 60000) + 1;
  c.caller.send(proto.invoke(seq, c.objId, 'hello', { id: n, msg: 'still there?' }));
  const inv = await c.owner.next((m) => m.type === MsgType.INVOKE && m.peer === c.caller.id && m.seq === seq, 5000);
  c.owner.send(proto.replyData(inv.seq, inv.peer, c.objId, { n }));
  c.owner.send(proto.replyStatus(inv.seq, inv.peer, c.objId, 0));
  const data = await c.caller.next((m) => m.seq === seq && m.type === MsgType.DATA, 5000);
  const st = await c.caller.next((m) => m.seq === seq && m.type === MsgType.STATUS, 5000);
  if (hex(data.bytes) !== hex(proto.replyData(seq, c.objId, c.objId, { n }))) throw new Error('wrong reply data');
  if (st.attrs.status !== 0) throw new Error('wrong reply status');
  const look = await c.caller.request(proto.lookup((seq + 1) % 65536, 'fuzz.good'), 5000);
  if (hex(look.data[0]!.bytes.subarray(4)) !== c.lookupBytes) throw new Error('lookup answer changed');
  c.owner.inbox.length = 0;
  c.caller.inbox.length = 0;
}

test('≥ 100,000 random and mutated frames over many connections: no crash, no hang, the bus keeps answering', async (t) => {
  t.timeout(90_000);
  const h: Harness = await startBroker();
  const sockets = new Set<Socket>();
  try {
    const owner = await h.connect();
    const objId = (await owner.request(proto.addObject(1, 'fuzz.good', SIG))).data[0]!.attrs.objid!;
    const caller = await h.connect();
    const look = await caller.request(proto.lookup(1, 'fuzz.good'));
    const checker: Checker = { owner, caller, objId, lookupBytes: hex(look.data[0]!.bytes.subarray(4)) };
    // A registered object whose owner answers every forwarded invoke with garbage replies.
    const victim = connect(h.socketPath);
    victim.on('error', () => {});
    sockets.add(victim);
    victim.write(proto.addObject(1, 'fuzz.victim', SIG));
    await new Promise((r) => setTimeout(r, 100));
    const victimId = h.broker.registry.byExactPath('fuzz.victim')!.id;
    const vr = rng(SEED ^ 0xabcdef);
    let forwarded = 0;
    victim.on('data', (chunk: Buffer) => {
      forwarded += chunk.length;
      if (vr.chance(0.5)) victim.write(mutate(vr, proto.replyStatus(vr.u32(), vr.u32(), victimId, vr.int(14)), true));
      if (vr.chance(0.2)) victim.write(rawFrame(MsgType.DATA, vr.u32(), vr.u32(), randomAttrs(vr, 3)));
    });

    const r = rng(SEED);
    const targets = [objId, victimId, 1, 2, 3];
    const start = Date.now();
    const base = h.broker.stats().received;
    let written = 0;
    let connections = 0;
    const statusCounts = new Map<number, number>();
    let droppedByBroker = 0;
    let nextCheck = 10_000;
    const open = () => {
      const s = connect(h.socketPath);
      s.on('error', () => {});
      const split = new FrameSplitter();
      let ended = false;
      s.on('data', (d: Buffer) => {
        for (const f of split.push(d)) {
          // ubusd's own STATUS: {STATUS} only, 20 bytes.
          if (f.type === MsgType.STATUS && f.bytes.length === 20) {
            const code = Buffer.from(f.bytes).readUInt32BE(16);
            statusCounts.set(code, (statusCounts.get(code) ?? 0) + 1);
          }
        }
      });
      s.on('end', () => { if (!ended) droppedByBroker++; });
      s.on('close', () => sockets.delete(s));
      const end = s.end.bind(s);
      s.end = ((...a: Parameters<Socket['end']>) => { ended = true; return end(...a); }) as Socket['end'];
      sockets.add(s);
      connections++;
      return s;
    };
    const pool: Socket[] = Array.from({ length: 16 }, open);
    while (h.broker.stats().received - base < FRAMES && Date.now() - start < BUDGET_MS) {
      for (let i = 0; i < pool.length; i++) {
        let s = pool[i]!;
        if (s.destroyed || s.closed || s.writableEnded) s = pool[i] = open();
        const batch: Uint8Array[] = [];
        for (let k = 0; k < 40; k++) batch.push(hostileFrame(r, targets));
        written += batch.length;
        if (r.chance(0.01)) { s.end(cat(...batch).subarray(0, r.int(200))); continue; } // truncated, then gone
        s.write(cat(...batch));
      }
      await new Promise((res) => setImmediate(res));
      if (written >= nextCheck) { nextCheck += 10_000; await check(checker, written); }
    }
    const received = h.broker.stats().received - base;
    const elapsed = Date.now() - start;
    for (const s of pool) s.destroy();
    await check(checker, written + 1);
    const errors = h.log.filter((l) => l.startsWith('error'));
    t.log(`seed ${SEED}: wrote ${written} frames over ${connections} connections, broker handled ${received} in ${elapsed} ms; ` +
      `victim got ${forwarded} bytes of forwarded garbage; ${droppedByBroker} connections dropped by the broker; ` +
      `ubusd-style STATUS answers by code: ${JSON.stringify(Object.fromEntries([...statusCounts].sort((a, b) => a[0] - b[0])))}`);
    t.deepEqual(errors, []);
    t.true(received >= FRAMES, `only ${received} frames handled in ${elapsed} ms`);
    t.true(forwarded > 200_000, 'the victim kept receiving garbage invokes');
    t.truthy(h.broker.registry.byExactPath('fuzz.victim'));
    t.true(droppedByBroker > 0, 'malformed streams are dropped');
    for (const code of [Status.INVALID_COMMAND, Status.INVALID_ARGUMENT, Status.NOT_FOUND, Status.PERMISSION_DENIED]) {
      t.true((statusCounts.get(code) ?? 0) > 0, `some STATUS ${code}`);
    }
  } finally {
    for (const s of sockets) s.destroy();
    await h.close();
  }
});
