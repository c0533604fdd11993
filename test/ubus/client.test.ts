// Our client against our broker (a real nym-ubusd process): every kind of message, and the
// reconnect after the broker restarts.
import test from 'ava';
import { createServer, type Socket } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BusProcess, waitFor } from '../helpers/bus.js';
import { UbusClient, UbusError } from '../../src/ubus/client.js';
import { BlobmsgType, MsgType, Status, UBUS_SYSTEM_OBJECT_EVENT } from '../../src/ubus/constants.js';
import { decodeMessage, FrameReader, parseMsgAttrs, type MsgAttrs, type UbusHeader } from '../../src/ubus/message.js';
import * as proto from '../../src/ubus/proto.js';
import { decodeTable, type BlobmsgTable } from '../../src/ubus/blobmsg.js';
import { eventMsg, objectEventData } from '../../tools/ubusd/broker-replies.js';

const echo = {
  hello: {
    args: [['id', BlobmsgType.INT32], ['msg', BlobmsgType.STRING]] as const,
    handler: (c: { args: BlobmsgTable; user?: string; group?: string }) => ({ message: `got ${String(c.args.msg)}`, id: c.args.id, user: c.user, group: c.group }),
  },
  fail: {
    args: [] as const,
    handler: () => { throw new UbusError(Status.INVALID_ARGUMENT, 'bad', { error: 'field x is wrong', field: 'x' }); },
  },
  slow: {
    args: [] as const,
    handler: () => new Promise<Record<string, unknown>>((r) => setTimeout(() => r({ done: true }), 300)),
  },
  crash: { args: [] as const, handler: () => { throw new Error('boom'); } },
  types: {
    args: [] as const,
    handler: () => ({ b: true, i: -5, big: 2 ** 40, d: 0.25, s: 'x', n: null, a: [1, 'two', false], t: { k: 'v' } }),
  },
};

async function setup() {
  const bus = new BusProcess();
  await bus.start();
  const server = await UbusClient.connect({ socket: bus.socket });
  const caller = await UbusClient.connect({ socket: bus.socket });
  return { bus, server, caller };
}

test('lookup (exact, prefix, all), invoke with DATA + STATUS, USER/GROUP, errors with data, timeouts, ping', async (t) => {
  const { bus, server, caller } = await setup();
  try {
    const obj = await server.addObject('test.echo', echo);
    await server.addObject('test.other', { x: { args: [], handler: () => ({}) } });
    t.true(obj.id >= 1024);
    const [info] = await caller.lookup('test.echo');
    t.is(info!.id, obj.id);
    t.deepEqual(info!.signature.find((s) => s.name === 'hello'), { name: 'hello', args: [['id', BlobmsgType.INT32], ['msg', BlobmsgType.STRING]] });
    t.deepEqual((await caller.lookup('test.*')).map((o) => o.path).sort(), ['test.echo', 'test.other']);
    t.true((await caller.lookup()).length >= 2);
    t.deepEqual(await caller.lookup('nothing.here'), []);

    t.deepEqual(await caller.call('test.echo', 'hello', { id: 7, msg: 'hi' }), { message: 'got hi', id: 7, user: 'root', group: 'root' });
    t.deepEqual(await caller.call('test.echo', 'types'), { b: true, i: -5, big: 2 ** 40, d: 0.25, s: 'x', n: null, a: [1, 'two', false], t: { k: 'v' } });

    const failed = await t.throwsAsync(caller.call('test.echo', 'fail'), { instanceOf: UbusError });
    t.is(failed!.status, Status.INVALID_ARGUMENT);
    t.deepEqual(failed!.data, { error: 'field x is wrong', field: 'x' });
    t.is((await t.throwsAsync(caller.call('test.echo', 'nosuch'), { instanceOf: UbusError }))!.status, Status.METHOD_NOT_FOUND);
    t.is((await t.throwsAsync(caller.call('test.echo', 'crash'), { instanceOf: UbusError }))!.status, Status.UNKNOWN_ERROR);
    t.is((await t.throwsAsync(caller.call('no.such', 'x'), { instanceOf: UbusError }))!.status, Status.NOT_FOUND);
    t.is((await t.throwsAsync(caller.call('test.echo', 'slow', {}, 50), { instanceOf: UbusError }))!.status, Status.TIMEOUT);
    t.deepEqual(await caller.call('test.echo', 'slow'), { done: true }, 'a late reply to a timed-out call does not confuse the next one');
    await caller.ping();

    await obj.remove();
    t.deepEqual(await caller.lookup('test.echo'), []);
  } finally {
    server.close(); caller.close(); await bus.close();
  }
});

test('events: send and listen with exact and prefix patterns; ubus.object.add/remove', async (t) => {
  const { bus, server, caller } = await setup();
  try {
    const got: Array<[string, BlobmsgTable]> = [];
    const stop = await caller.listen('nym-vpn.*', (type, data) => got.push([type, data]));
    const objects: string[] = [];
    await caller.listen('ubus.object.*', (type, data) => objects.push(`${type} ${String(data.path)}`));
    await server.sendEvent('nym-vpn.state', { state: 'connected', ok: true });
    await server.sendEvent('other.thing', { x: 1 });
    const o = await server.addObject('watched', { m: { args: [], handler: () => ({}) } });
    await o.remove();
    t.true(await waitFor(() => got.length === 1 && objects.length === 2));
    t.deepEqual(got, [['nym-vpn.state', { state: 'connected', ok: true }]]);
    t.deepEqual(objects, ['ubus.object.add watched', 'ubus.object.remove watched']);
    await stop();
    await server.sendEvent('nym-vpn.state', { state: 'x' });
    await new Promise((r) => setTimeout(r, 100));
    t.is(got.length, 1, 'nothing after stop');
    const refused = await t.throwsAsync(server.sendEvent('ubus.fake', {}), { instanceOf: UbusError });
    t.is(refused!.status, Status.PERMISSION_DENIED);
  } finally {
    server.close(); caller.close(); await bus.close();
  }
});

test('subscribe and notify; the owner learns it has subscribers; the subscription follows the object', async (t) => {
  const { bus, server, caller } = await setup();
  try {
    const obj = await server.addObject('pub', { m: { args: [], handler: () => ({}) } });
    const seen: boolean[] = [];
    obj.onSubscribers = (a) => seen.push(a);
    const notes: Array<[string, BlobmsgTable]> = [];
    let removed = 0;
    const unsubscribe = await caller.subscribe('pub', (type, data) => notes.push([type, data]), () => removed++);
    t.true(await waitFor(() => obj.hasSubscribers));
    obj.notify('state', { state: 'connecting', n: 1 });
    t.true(await waitFor(() => notes.length === 1));
    t.deepEqual(notes[0], ['state', { state: 'connecting', n: 1 }]);

    // The object goes away (daemon restart) and comes back: the subscriber is told and renews.
    await obj.remove();
    t.true(await waitFor(() => removed === 1));
    const again = await server.addObject('pub', { m: { args: [], handler: () => ({}) } });
    t.true(await waitFor(() => again.hasSubscribers), 'renewed when the object came back');
    again.notify('state', { state: 'connected' });
    t.true(await waitFor(() => notes.length === 2));
    await unsubscribe();
    t.true(await waitFor(() => !again.hasSubscribers));
    t.deepEqual(seen, [true]);
    await t.throwsAsync(caller.subscribe('absent', () => {}), { instanceOf: UbusError });
  } finally {
    server.close(); caller.close(); await bus.close();
  }
});

test('when the broker restarts, objects come back, listeners and subscriptions are renewed', async (t) => {
  const { bus, server, caller } = await setup();
  try {
    await server.addObject('survivor', echo);
    const events: string[] = [];
    await caller.listen('ping.*', (type) => events.push(type));
    const notes: string[] = [];
    await caller.subscribe('survivor', (type) => notes.push(type));
    const obj = [...(server as unknown as { named: Set<{ path: string; notify: (t: string, d: object) => void; hasSubscribers: boolean }> }).named][0]!;

    let reconnects = 0;
    server.on('reconnect', () => reconnects++);
    caller.on('reconnect', () => reconnects++);
    await bus.stop();
    await t.throwsAsync(caller.call('survivor', 'hello', { id: 1, msg: 'x' }), { instanceOf: UbusError });
    await bus.start();
    t.true(await waitFor(() => reconnects === 2, 10000), 'both clients reconnected');
    t.true(await waitFor(async () => (await caller.lookup('survivor')).length === 1));
    t.deepEqual(await caller.call('survivor', 'hello', { id: 2, msg: 'back' }), { message: 'got back', id: 2, user: 'root', group: 'root' });
    t.true(await waitFor(() => obj.hasSubscribers, 5000), 'subscription renewed');
    obj.notify('after-restart', {});
    await server.sendEvent('ping.x', {});
    t.true(await waitFor(() => notes.includes('after-restart') && events.includes('ping.x')));
  } finally {
    server.close(); caller.close(); await bus.close();
  }
});

/**
 * A bus that writes a reply and the messages that follow from it in one write, so that they reach
 * the client in one read, as they can from the real ubusd when the client was busy: `answer` gets
 * each message from the client and returns the frames to send back together.
 */
async function scriptedBus(answer: (h: UbusHeader, a: MsgAttrs, sock: Socket) => Uint8Array[]) {
  const dir = mkdtempSync(join(tmpdir(), 'nym-ubus-scripted-'));
  const path = join(dir, 'ubus.sock');
  const received: Array<{ type: number; attrs: MsgAttrs }> = [];
  const server = createServer((sock) => {
    const reader = new FrameReader();
    sock.write(proto.hello(0x1234));
    sock.on('data', (chunk) => {
      for (const f of reader.push(chunk)) {
        const m = decodeMessage(f);
        const attrs = parseMsgAttrs(m.body);
        received.push({ type: m.type, attrs });
        const out = answer(m, attrs, sock);
        if (out.length) sock.write(Buffer.concat(out));
      }
    });
    sock.on('error', () => {});
  });
  await new Promise<void>((r) => server.listen(path, r));
  return {
    path,
    received,
    close: () => { server.close(); rmSync(dir, { recursive: true, force: true }); },
  };
}

test('a reply and what follows it in the same read: the new object already answers, sees its subscribers, loses a subscription', async (t) => {
  const OBJ = 0x1001;
  const WATCHER = 0x2002;
  const TARGET = 0x3003;
  let nextAnon = WATCHER;
  const bus = await scriptedBus((h, a) => {
    switch (h.type) {
      case MsgType.ADD_OBJECT:
        if (a.objpath === 'fresh') {
          // The object's id, then at once a subscriber's NOTIFY {ACTIVE} and a forwarded call.
          return [
            proto.objectData(h.seq, h.peer, OBJ), proto.status(h.seq, h.peer, 0),
            proto.subscriptionState(1, OBJ, true),
            proto.forwardedInvoke(77, 0x4444, { objId: OBJ, method: 'm', user: 'root', group: 'root' }),
          ];
        }
        return [proto.objectData(h.seq, h.peer, nextAnon++), proto.status(h.seq, h.peer, 0)];
      case MsgType.INVOKE: // the event registration of the subscription's ubus.object.add watch
        return [proto.status(h.seq, UBUS_SYSTEM_OBJECT_EVENT, 0)];
      case MsgType.LOOKUP:
        return [proto.lookupData(h.seq, h.peer, { path: 'pub', id: TARGET, typeId: 1, signature: new Uint8Array(0) }), proto.status(h.seq, h.peer, 0)];
      case MsgType.SUBSCRIBE:
        // Subscribed, and the target goes away before the client could read the answer.
        return [proto.status(h.seq, h.peer, 0), proto.unsubscribed(1, a.objid!, TARGET)];
      default:
        return h.type === MsgType.STATUS || h.type === MsgType.DATA ? [] : [proto.status(h.seq, h.peer, 0)];
    }
  });
  const client = await UbusClient.connect({ socket: bus.path });
  try {
    const obj = await client.addObject('fresh', { m: { args: [], handler: () => ({ ok: true }) } });
    t.is(obj.id, OBJ);
    t.true(await waitFor(() => bus.received.some((m) => m.type === MsgType.STATUS && m.attrs.objid === OBJ)));
    const answer = bus.received.find((m) => m.type === MsgType.STATUS && m.attrs.objid === OBJ)!;
    t.is(answer.attrs.status, Status.OK, 'the call that came with the reply found its object');
    t.true(obj.hasSubscribers, 'the NOTIFY that came with the reply was not lost');

    let removed = 0;
    await client.subscribe('pub', () => {}, () => removed++);
    t.true(await waitFor(() => removed === 1), 'the UNSUBSCRIBE that came with the SUBSCRIBE answer was heard');
  } finally {
    client.close(); bus.close();
  }
});

test('two ubus.object.add events for one name before the subscriber could renew: it subscribes once', async (t) => {
  const GONE = 0x3003;
  const BACK = 0x3004;
  let nextAnon = 0x2002;
  let watcher = 0;
  let lookups = 0;
  const subscribes: number[] = [];
  const bus = await scriptedBus((h, a) => {
    switch (h.type) {
      case MsgType.ADD_OBJECT:
        return [proto.objectData(h.seq, h.peer, nextAnon++), proto.status(h.seq, h.peer, 0)];
      case MsgType.INVOKE: // the ubus.object.add watch registers its pattern
        watcher = Number(decodeTable(a.data!).object);
        return [proto.status(h.seq, UBUS_SYSTEM_OBJECT_EVENT, 0)];
      case MsgType.LOOKUP:
        lookups++;
        return [proto.lookupData(h.seq, h.peer, { path: 'pub', id: lookups === 1 ? GONE : BACK, typeId: 1, signature: new Uint8Array(0) }), proto.status(h.seq, h.peer, 0)];
      case MsgType.SUBSCRIBE:
        subscribes.push(a.target!);
        if (a.target === GONE) {
          // Taken, then the object goes; it comes back twice (two adds) before the client could react.
          return [
            proto.status(h.seq, h.peer, 0),
            proto.unsubscribed(1, a.objid!, GONE),
            eventMsg(2, watcher, 'ubus.object.add', objectEventData(BACK - 1, 'pub')),
            eventMsg(3, watcher, 'ubus.object.add', objectEventData(BACK, 'pub')),
          ];
        }
        return [proto.status(h.seq, h.peer, 0)];
      default:
        return h.type === MsgType.STATUS || h.type === MsgType.DATA ? [] : [proto.status(h.seq, h.peer, 0)];
    }
  });
  const client = await UbusClient.connect({ socket: bus.path });
  try {
    let removed = 0;
    await client.subscribe('pub', () => {}, () => removed++);
    t.true(await waitFor(() => removed === 1 && subscribes.length >= 2));
    // Whatever else was coming has come once a ping (answered in order) is back.
    await client.ping();
    await client.ping();
    t.deepEqual(subscribes, [GONE, BACK], 'one renewal for the two adds');
  } finally {
    client.close(); bus.close();
  }
});
