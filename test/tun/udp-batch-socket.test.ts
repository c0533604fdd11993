// UdpBatchSocket with real sockets in lab namespaces: exchanges with node:dgram over loopback and across
// a veth, sources as reported, fwmark and SO_BINDTODEVICE steering, and the odd cases.
import test from 'ava';
import { Lab, type Netns } from '../../tools/lab/netns.js';
import { startFixture } from './helpers.js';

const MARK = 0x14d;
let lab: Lab;

test.before(async () => {
  lab = await Lab.create();
});

test.after.always(async () => {
  await lab?.destroy();
});

async function udpChild(ns: Netns) {
  const c = startFixture(ns, 'udp-child');
  await c.next((m) => m.type === 'ready', 15_000);
  return c;
}

for (const [label, bind, peer, family] of [
  ['IPv4 socket, IPv4 peer', '0.0.0.0', '127.0.0.1', 4],
  ['dual-stack socket, IPv4 peer (IPv4-mapped, reported as IPv4)', '::', '127.0.0.1', 4],
  ['dual-stack socket, IPv6 peer', '::', '::1', 6],
] as const) {
  test(`5000 datagrams each way with node:dgram: ${label}`, async (t) => {
    const ns = await lab.namespace();
    const c = await udpChild(ns);
    const r = await c.request({ cmd: 'exchange', bind, peer, count: 5000, size: 1200, window: 256 }, 60_000);
    t.is(r.toSock.received, 5000);
    t.is(r.toSock.fromOk, 5000, 'every source matched the peer endpoint');
    t.is(r.toSock.contentOk, 5000);
    t.is(r.toSock.addrText, peer);
    t.is(r.toSock.family, family);
    t.true(r.toSock.maxBatch > 1, `largest batch ${r.toSock.maxBatch}`);
    t.is(r.toPeer.sent, 5000);
    t.is(r.toPeer.received, 5000);
    t.is(r.toPeer.srcOk, 5000, 'the peer saw our bound port as the source');
    t.is(r.toPeer.contentOk, 5000);
    t.is(r.stats.rxPackets, 5000);
    t.is(r.stats.txPackets, 5000);
    t.is(r.stats.txDropped, 0);
    t.is(r.family, bind === '::' ? 6 : 4);
  });
}

test('across a veth between two namespaces, IPv4 and IPv6: echoes come back from the right source', async (t) => {
  const a = await lab.namespace();
  const b = await lab.namespace();
  await lab.veth({ ns: a, addresses: ['10.30.0.1/24', 'fd30::1/64'] }, { ns: b, addresses: ['10.30.0.2/24', 'fd30::2/64'] });
  const echo = await udpChild(a);
  const { port, family } = await echo.request({ cmd: 'echo', options: { address: '::', port: 0 } });
  t.is(family, 6);
  for (const [local, remote] of [['10.30.0.2', '10.30.0.1'], ['fd30::2', 'fd30::1']]) {
    const p = startFixture(b, 'dgram-peer');
    await p.next((m) => m.type === 'ready', 15_000);
    await p.request({ cmd: 'bind', address: local, port: 0 });
    const r = await p.request({ cmd: 'ping', to: remote, port, count: 3000, size: 1420, window: 200 }, 60_000);
    t.is(r.echoed, 3000, `${remote}`);
    t.is(r.echoFromTarget, 3000);
  }
  const s = await echo.request({ cmd: 'stats' });
  t.is(s.echoed, 6000);
  t.is(s.stats.rxPackets, 6000);
});

// client --veth--> r1 (main table) and client --veth--> r2 (table 100, chosen by fwmark 0x14d); both
// routers own 10.99.0.1, where a sink counts what arrives. Where the packets land shows the routing.
test('fwmark steers packets by policy routing, SO_BINDTODEVICE by device', async (t) => {
  const client = await lab.namespace();
  const r1 = await lab.namespace();
  const r2 = await lab.namespace();
  const v1 = await lab.veth({ ns: client, addresses: ['10.20.1.1/24'] }, { ns: r1, addresses: ['10.20.1.2/24'] });
  const v2 = await lab.veth({ ns: client, addresses: ['10.20.2.1/24'] }, { ns: r2, addresses: ['10.20.2.2/24'] });
  for (const r of [r1, r2]) await r.addAddress('lo', '10.99.0.1/32');
  await client.addRoute('10.99.0.1/32', { via: '10.20.1.2', dev: v1.a.name });
  await client.addRoute('10.99.0.1/32', { via: '10.20.2.2', dev: v2.a.name, metric: 200 });
  await client.addRoute('10.99.0.1/32', { via: '10.20.2.2', dev: v2.a.name, table: 100 });
  await client.ip(['rule', 'add', 'fwmark', String(MARK), 'lookup', '100']);

  const sinks = [];
  for (const r of [r1, r2]) {
    const s = startFixture(r, 'dgram-peer');
    await s.next((m) => m.type === 'ready', 15_000);
    await s.request({ cmd: 'bind', address: '10.99.0.1', port: 7000 });
    sinks.push(s);
  }
  const c = await udpChild(client);
  const marked = await c.request({ cmd: 'send', options: { address: '0.0.0.0', port: 0, fwmark: MARK }, to: '10.99.0.1', port: 7000, count: 100 });
  const plain = await c.request({ cmd: 'send', options: { address: '0.0.0.0', port: 0 }, to: '10.99.0.1', port: 7000, count: 50 });
  const bound = await c.request({ cmd: 'send', options: { address: '0.0.0.0', port: 0, device: v2.a.name }, to: '10.99.0.1', port: 7000, count: 25 });
  t.is(marked.sent, 100);
  t.is(plain.sent, 50);
  t.is(bound.sent, 25);
  let got1: any;
  let got2: any;
  for (let i = 0; i < 100; i++) {
    got1 = await sinks[0]!.request({ cmd: 'stats' });
    got2 = await sinks[1]!.request({ cmd: 'stats' });
    if (got1.received >= 50 && got2.received >= 125) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  t.is(got1.received, 50, 'unmarked packets took the main table (r1)');
  t.is(got2.received, 125, 'marked and device-bound packets went to r2');
  t.true(Object.keys(got2.sources).every((k) => k.startsWith('10.20.2.1:')), JSON.stringify(got2.sources));
  t.true(Object.keys(got1.sources).every((k) => k.startsWith('10.20.1.1:')), JSON.stringify(got1.sources));
});

test('edge cases: oversized datagrams dropped and counted, wrong-family destination counted, close twice', async (t) => {
  const ns = await lab.namespace();
  const c = await udpChild(ns);
  const r = await c.request({ cmd: 'edge' }, 20_000);
  t.deepEqual(r.oversize.delivered, [1000, 0], 'the 3000-byte datagram was not delivered cut short');
  t.is(r.oversize.stats.rxDropped, 1);
  t.is(r.mixed.sent, 1);
  t.is(r.mixed.stats.txErrors, 1);
  t.is(r.mixed.stats.lastError, 'EAFNOSUPPORT');
  t.is(r.emptySent, 0);
  t.is(r.sendAfterClose, 'ERR_CLOSED');
  t.true(r.closed);
});
