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

// UDP GSO: a run of same-size datagrams to one destination leaves in one send. The receiver (a plain
// node:dgram socket in another namespace) must see exactly the datagrams sent, in order, byte for byte; the
// sender's firewall (an nft counter on output) sees one packet per run instead of one per datagram. Two
// fallbacks: GSO turned off by the caller, and a path whose MTU is below the datagram size, where the kernel
// refuses the GSO send (EINVAL) and the socket sends each datagram alone from then on.
test('UDP GSO: the receiver gets every datagram in order, the firewall one packet per run; both fallbacks', async (t) => {
  const a = await lab.namespace();
  const b = await lab.namespace();
  await lab.veth({ ns: a, addresses: ['10.31.0.1/24'] }, { ns: b, addresses: ['10.31.0.2/24'] });
  await lab.veth({ ns: a, addresses: ['10.32.0.1/24'] }, { ns: b, addresses: ['10.32.0.2/24'] }, { mtu: 1000 });
  await a.exec('nft', ['-f', '-'], {
    input: 'table inet gso {\n chain out {\n type filter hook output priority 0; policy accept;\n udp dport 7001 counter\n udp dport 7002 counter\n udp dport 7003 counter\n }\n}\n',
  });
  const counters = async (): Promise<number[]> => {
    const r = await a.exec('nft', ['-j', 'list', 'table', 'inet', 'gso']);
    const rules = (JSON.parse(r.stdout).nftables as Array<{ rule?: { expr: Array<{ counter?: { packets: number } }> } }>).filter((x) => x.rule);
    return rules.map((x) => x.rule!.expr.find((e) => e.counter)!.counter!.packets);
  };
  const sink = async (address: string, port: number) => {
    const s = startFixture(b, 'dgram-peer');
    await s.next((m) => m.type === 'ready', 15_000);
    await s.request({ cmd: 'bind', address, port });
    return s;
  };
  // Runs of equal sizes; a shorter datagram ends a run; an empty one goes alone.
  const sizes = [...Array(50).fill(1400), 700, ...Array(30).fill(1400), 0, 90, 90, 90, ...Array(20).fill(1200)];
  const expected = sizes.map((n, i) => (n >= 4 ? `${n}:${i}` : `${n}:-`));
  const waitArrivals = async (s: Awaited<ReturnType<typeof sink>>, n: number) => {
    let st: any;
    for (let i = 0; i < 200; i++) {
      st = await s.request({ cmd: 'stats' });
      if (st.received >= n) break;
      await new Promise((r) => setTimeout(r, 25));
    }
    return st;
  };
  const c = await udpChild(a);

  const on = await sink('10.31.0.2', 7001);
  const r1 = await c.request({ cmd: 'batch', options: { address: '0.0.0.0', port: 0 }, to: '10.31.0.2', port: 7001, sizes });
  t.true(r1.gsoBefore, 'GSO is on by default where the kernel has it');
  t.true(r1.gsoAfter);
  t.is(r1.sent, sizes.length);
  t.is(r1.stats.txPackets, sizes.length, 'txPackets counts datagrams, not sends');
  t.is(r1.stats.txBytes, sizes.reduce((x, y) => x + y, 0));
  const s1 = await waitArrivals(on, sizes.length);
  t.deepEqual(s1.arrivals, expected, 'every datagram, in order, with its own length');
  t.is(s1.badContent, 0);
  const [fw1] = await counters();
  t.true(fw1! <= 8, `the firewall saw ${fw1} packets for ${sizes.length} datagrams`);

  const off = await sink('10.31.0.2', 7003);
  const r3 = await c.request({ cmd: 'batch', options: { address: '0.0.0.0', port: 0, gso: false }, to: '10.31.0.2', port: 7003, sizes });
  t.false(r3.gsoBefore, 'gso: false is honoured');
  t.is(r3.sent, sizes.length);
  const s3 = await waitArrivals(off, sizes.length);
  t.deepEqual(s3.arrivals, expected);
  t.is((await counters())[2], sizes.length, 'without GSO the firewall sees every datagram');

  // 1200-byte datagrams over a 1000-byte MTU: the kernel fragments single datagrams but refuses GSO runs.
  const narrow = await sink('10.32.0.2', 7002);
  const big = Array(40).fill(1200);
  const r2 = await c.request({ cmd: 'batch', options: { address: '0.0.0.0', port: 0 }, to: '10.32.0.2', port: 7002, sizes: big });
  t.true(r2.gsoBefore);
  t.false(r2.gsoAfter, 'a refused GSO send turns GSO off for the socket');
  t.is(r2.sent, big.length, 'and the datagrams of the refused run went one by one');
  t.is(r2.stats.txErrors, 0);
  const s2 = await waitArrivals(narrow, big.length);
  t.deepEqual(s2.arrivals, big.map((n, i) => `${n}:${i}`));
  t.is(s2.badContent, 0);
});

// UDP GRO: a run the sender's GSO sent as one packet crosses the veth whole, as a NIC's GRO would merge
// it; a receiver with GRO on takes it as one message and cuts it into its datagrams. What it delivers must
// be exactly what was sent, in order, byte for byte, from the sender's address. The fallback (gro: false)
// gets the same datagrams one by one from the kernel. A merged message whose datagrams are longer than the
// receiver takes is dropped whole and counted, never delivered cut.
test('UDP GRO: merged runs are cut into the datagrams sent, in order, from their source; the fallback; oversized runs dropped', async (t) => {
  const a = await lab.namespace();
  const b = await lab.namespace();
  await lab.veth({ ns: a, addresses: ['10.33.0.1/24', 'fd33::1/64'] }, { ns: b, addresses: ['10.33.0.2/24', 'fd33::2/64'] });
  const sender = await udpChild(a);
  const sizes = [...Array(50).fill(1400), 700, ...Array(30).fill(1400), 0, 90, 90, 90, ...Array(64).fill(1200), ...Array(10).fill(1200)];
  const expected = sizes.map((n, i) => (n >= 4 ? `${n}:${i}` : `${n}:-`));
  const heard = async (r: Awaited<ReturnType<typeof udpChild>>, n: number) => {
    let h: any;
    for (let i = 0; i < 200; i++) {
      h = await r.request({ cmd: 'heard' });
      if (h.arrivals.length + h.stats.rxDropped >= n) break;
      await new Promise((res) => setTimeout(res, 25));
    }
    return h;
  };
  const receiver = await udpChild(b);
  for (const [from, to, bindTo] of [['0.0.0.0', '10.33.0.2', '10.33.0.2'], ['::', 'fd33::2', '::']] as const) {
    for (const gro of [true, false]) {
      const l = await receiver.request({ cmd: 'listen', options: { address: bindTo, port: 0, gro } });
      t.is(l.groActive, gro, `gro: ${gro} is honoured (${to})`);
      const s = await sender.request({ cmd: 'batch', options: { address: from, port: 0 }, to, port: l.port, sizes });
      t.true(s.gsoBefore && s.gsoAfter, 'the sender merged its runs');
      const h = await heard(receiver, sizes.length);
      t.deepEqual(h.arrivals, expected, `every datagram, in order, with its own length (${to}, gro ${gro})`);
      t.is(h.badContent, 0);
      const src = to.includes(':') ? `fd33::1:${s.port}` : `10.33.0.1:${s.port}`;
      t.deepEqual(h.sources, [src], 'each cut datagram carries the source of its message');
      t.is(h.stats.rxPackets, sizes.length);
      t.is(h.stats.rxBytes, sizes.reduce((x, y) => x + y, 0));
      t.is(h.stats.rxDropped, 0);
      if (gro) t.true(h.stats.rxCoalesced >= 150, `${h.stats.rxCoalesced} of ${sizes.length} datagrams came merged`);
      else t.is(h.stats.rxCoalesced, 0, 'without GRO every datagram came alone');
    }
  }
  // 1200-byte datagrams, merged, to a receiver that takes at most 1000: all dropped and counted.
  const l = await receiver.request({ cmd: 'listen', options: { address: '10.33.0.2', port: 0, maxPacketSize: 1000 } });
  t.true(l.groActive);
  const big = [...Array(40).fill(1200), 500];
  await sender.request({ cmd: 'batch', options: { address: '0.0.0.0', port: 0 }, to: '10.33.0.2', port: l.port, sizes: big });
  const h = await heard(receiver, big.length);
  t.deepEqual(h.arrivals, [], 'no datagram of the run was delivered cut short');
  t.is(h.stats.rxDropped, big.length, 'each of its datagrams is counted as dropped');
});
