// TunDevice against a real TUN in a fresh network namespace (the code under test runs in a child process
// inside it): pings answered by hand-made replies, batch reads, batch writes, close, bad arguments, exit.
import test from 'ava';
import { Lab, type Netns } from '../../tools/lab/netns.js';
import type { JsonLinesChild } from '../../tools/lab/process.js';
import { echoReply, isEchoRequestTo, parsePacket } from './fixtures/packets.js';
import { startFixture } from './helpers.js';

let lab: Lab;
let ns: Netns;
let child: JsonLinesChild;

test.before(async () => {
  lab = await Lab.create();
  ns = await lab.namespace();
  child = startFixture(ns, 'tun-child', [JSON.stringify({
    name: 'tun0',
    mtu: 1420,
    addresses: ['10.1.0.2/32', 'fd00::2/128'],
    routes: ['10.9.0.0/24', 'fd00:9::/64'],
  })]);
  await child.next((m) => m.type === 'ready', 15_000);
});

test.after.always(async () => {
  await lab?.destroy();
});

test.serial('link.setUp gave the TUN its MTU, addresses and state', async (t) => {
  const ready = child.messages.find((m: any) => m.type === 'ready') as any;
  t.is(ready.name, 'tun0');
  t.is(ready.link.mtu, 1420);
  t.true(ready.link.up);
  t.true(ready.link.addresses.includes('10.1.0.2/32'));
  t.true(ready.link.addresses.includes('fd00::2/128'));
});

for (const [family, src, dst] of [[4, '10.1.0.2', '10.9.0.1'], [6, 'fd00::2', 'fd00:9::1']] as const) {
  test.serial(`IPv${family} ping through the TUN: the echo request arrives whole, our crafted reply answers it`, async (t) => {
    const ping = ns.ping(dst, 5);
    const msg = await child.next((m) => {
      if (m.type !== 'packet') return false;
      const p = parsePacket(Buffer.from(m.hex, 'hex'));
      return p !== undefined && isEchoRequestTo(p, dst);
    }, 10_000);
    const req = Buffer.from(msg.hex, 'hex');
    const p = parsePacket(req)!;
    t.is(p.version, family);
    t.is(p.src, src);
    t.is(p.dst, dst);
    t.true(p.headerOk, 'IPv4 header checksum');
    t.true(p.l4Ok, 'ICMP checksum');
    t.true(req.length > (family === 4 ? 28 : 48), 'carries ping data');
    const reply = echoReply(req);
    const r = await child.request({ cmd: 'write', packets: [reply.toString('hex')] });
    t.is(r.written, 1);
    t.true(await ping, 'ping got its reply');
  });
}

test.serial('reads come in batches: 3000 datagrams routed into the TUN, all read, several per callback', async (t) => {
  await child.request({ cmd: 'capture', on: false });
  const r = await child.request({ cmd: 'blast', bind: '0.0.0.0', to: '10.9.0.5', port: 7001, count: 3000, size: 1000, window: 256 }, 30_000);
  t.is(r.sent, 3000);
  t.is(r.seen, 3000);
  t.true(r.maxBatch > 1, `largest batch ${r.maxBatch}`);
  t.true(r.maxBatch <= 128);
  const r6 = await child.request({ cmd: 'blast', bind: '::', to: 'fd00:9::5', port: 7002, count: 1000, size: 1000, window: 256 }, 30_000);
  t.is(r6.seen, 1000);
  await child.request({ cmd: 'capture', on: true });
});

test.serial('batch write: 2000 crafted UDP packets written 128 a time reach a local socket', async (t) => {
  await child.request({ cmd: 'listen', address: '10.1.0.2', port: 5555 });
  const r = await child.request({ cmd: 'write-udp', count: 2000, batch: 128, src: '10.9.0.7', dst: '10.1.0.2', dport: 5555, size: 300 }, 30_000);
  t.is(r.written, 2000);
  t.is(r.received, 2000);
  t.is(r.stats.txDropped, 0);
  t.true(r.stats.txPackets >= 2000);
});

test.serial('a malformed packet is counted as an error, not thrown', async (t) => {
  const before = (await child.request({ cmd: 'stats' })).stats;
  const r = await child.request({ cmd: 'write', packets: ['00'.repeat(40)] });  // IP version 0
  t.is(r.written, 0);
  const after = (await child.request({ cmd: 'stats' })).stats;
  t.is(after.txErrors, before.txErrors + 1);
  t.is(after.lastError, 'EINVAL');
});

test.serial('deleting the interface under an open TUN reports an error and stops reading, without a crash', async (t) => {
  const c = startFixture(ns, 'tun-child', [JSON.stringify({ name: 'tundel' })]);
  await c.next((m) => m.type === 'ready', 15_000);
  await ns.ip(['link', 'del', 'tundel']);
  const err = await c.next((m) => m.type === 'error', 5000);
  t.truthy(err.code);
  const s = await c.request({ cmd: 'stats' });
  t.true(s.stats.rxErrors >= 1);
  const closed = await c.request({ cmd: 'close' });
  t.true(closed.closed);
  c.send({ cmd: 'exit' });
  t.is((await c.exited()).code, 0);
});

test.serial('close() twice is harmless, write after close throws ERR_CLOSED, the device is gone', async (t) => {
  const r = await child.request({ cmd: 'close' });
  t.true(r.closed);
  t.is(r.writeAfterClose, 'ERR_CLOSED');
  t.is(typeof r.stats.rxPackets, 'number');
  const links = JSON.parse((await ns.ip(['-json', 'link', 'show'])).stdout) as Array<{ ifname: string }>;
  t.false(links.some((l) => l.ifname === 'tun0'));
  child.send({ cmd: 'exit' });
  t.is((await child.exited()).code, 0);
});

test('bad arguments throw TypeErrors (never crash); system failures throw errno codes', async (t) => {
  const c = startFixture(ns, 'badargs');
  const out = await c.next((m) => m.results !== undefined, 15_000);
  for (const r of out.results) t.is(r.kind, 'TypeError', `${r.name}: ${r.message}`);
  t.true(out.results.length > 50);
  for (const r of out.codeResults) t.is(r.code, r.want, `${r.name}: ${r.message}`);
  t.is(out.stillWorks.written, 0);
  t.is(out.stillWorks.tunStats.txErrors, 1, 'only the one real write was attempted');
  t.is(out.stillWorks.tunStats.lastError, 'EIO');
  t.is(out.stillWorks.sent, 1);
  t.is((await c.exited()).code, 0);
});

for (const mode of ['unref', 'close', 'idle', 'close-in-callback']) {
  test(`process exits on its own (${mode})`, async (t) => {
    const c = startFixture(ns, 'exit-child', [mode, `tunx${mode}`.slice(0, 15)]);
    const r = await c.exited(10_000);
    t.is(r.code, 0, c.stderr);
    t.truthy(c.messages.find((m: any) => m.type === 'started'));
    t.truthy(c.messages.find((m: any) => m.type === 'exit'));
    if (mode === 'close-in-callback') {
      t.like(c.messages.find((m: any) => m.type === 'tun-closed'), { closed: true });
      t.like(c.messages.find((m: any) => m.type === 'udp-closed'), { count: 1 });
    }
  });
}

test('an exception thrown by the batch callback reaches uncaughtException', async (t) => {
  const c = startFixture(ns, 'exit-child', ['throw', 'tunxthrow']);
  const m = await c.next((x) => x.type === 'uncaught', 10_000);
  t.is(m.message, 'boom from onPackets');
  t.is((await c.exited(10_000)).code, 0, c.stderr);
});
