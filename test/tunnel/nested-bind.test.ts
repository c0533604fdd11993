// The nested bind: the exit hop's datagrams wrapped in IP + UDP for the entry hop (in place when the
// device left headroom, copied otherwise), unwrapped on the way back, anything else dropped.
import test from 'ava';
import { NestedBind } from '../../src/tunnel/nested-bind.js';
import { headerLength, parseUdp, writeUdpHeaders } from '../../src/net/ip-udp.js';
import { parseEndpoint, type Datagram } from '../../src/wireguard/bind.js';
import { parseIp } from '../../src/net/ip-address.js';

const exit = parseEndpoint('203.0.113.20:51820');

function setup(deviceHeadroom = 0) {
  const toEntry: Uint8Array[][] = [];
  const bind = new NestedBind({ localAddress: '10.100.1.2', localPort: 51821, remote: exit, sendToEntry: (p) => toEntry.push([...p]), deviceHeadroom });
  const got: Datagram[][] = [];
  bind.onReceive((b) => got.push(b.map((d) => ({ data: d.data.slice(), endpoint: d.endpoint }))));
  return { bind, toEntry, got };
}

test('datagrams to the exit endpoint are wrapped in IPv4 + UDP from our entry-tunnel address', async (t) => {
  const { bind, toEntry } = setup();
  t.is(await bind.open(), 51821);
  bind.send([{ data: Uint8Array.of(1, 0, 0, 0, 9, 9), endpoint: exit }, { data: Uint8Array.of(4, 0, 0, 0), endpoint: parseEndpoint('198.51.100.9:1') }]);
  t.is(toEntry.length, 1);
  t.is(toEntry[0]!.length, 1, 'only the exit endpoint is ever a destination');
  const u = parseUdp(toEntry[0]![0]!);
  if (typeof u === 'string') return t.fail(u);
  t.deepEqual([...u.src], [10, 100, 1, 2]);
  t.deepEqual([...u.dst], [203, 0, 113, 20]);
  t.is(u.srcPort, 51821);
  t.is(u.dstPort, 51820);
  t.deepEqual([...u.payload], [1, 0, 0, 0, 9, 9]);
});

test('a transport message built with headroom is wrapped in place, without a copy', (t) => {
  const h = headerLength(4);
  const { bind, toEntry } = setup(h);
  void bind.open();
  const whole = new Uint8Array(h + 32);
  const msg = whole.subarray(h);
  msg[0] = 4; // transport
  msg.fill(7, 1);
  bind.send([{ data: msg, endpoint: exit }]);
  const out = toEntry[0]![0]!;
  t.is(out.buffer, whole.buffer, 'the same memory');
  t.is(out.byteOffset, 0);
  t.not(typeof parseUdp(out), 'string');
  // A handshake message (type 1) is never written in front of: it may share memory with others.
  const shared = new Uint8Array(64).fill(0xee);
  const hs = shared.subarray(h, h + 8);
  hs[0] = 1;
  bind.send([{ data: hs, endpoint: exit }]);
  t.true(shared.subarray(0, h).every((b) => b === 0xee), 'bytes before a handshake untouched');
});

test('the exit tunnel\'s UDP comes back unwrapped; everything else is dropped and counted', (t) => {
  const { bind, got } = setup();
  void bind.open();
  const wrap = (src: string, sport: number, dst: string, dport: number, payload: number[]) => {
    const p = new Uint8Array(headerLength(4) + payload.length);
    p.set(payload, headerLength(4));
    writeUdpHeaders(p, { addr: parseIp(src), port: sport }, { addr: parseIp(dst), port: dport }, payload.length);
    return p;
  };
  const icmp = new Uint8Array(28);
  icmp[0] = 0x45; icmp[3] = 28; icmp[9] = 1; // a well-formed IPv4 header carrying ICMP
  bind.receiveFromEntry([
    wrap('203.0.113.20', 51820, '10.100.1.2', 51821, [4, 1, 2]),
    wrap('203.0.113.21', 51820, '10.100.1.2', 51821, [4, 9]), // another host
    wrap('203.0.113.20', 53, '10.100.1.2', 51821, [4, 9]), // another port
    icmp,
    Uint8Array.of(0x45, 0, 0),
  ]);
  t.is(got.length, 1);
  t.deepEqual(got[0]!.map((d) => [...d.data]), [[4, 1, 2]]);
  t.is(got[0]![0]!.endpoint, exit, 'the configured endpoint object: no roaming inside the entry tunnel');
  t.deepEqual(bind.counters, { wrapped: 0, unwrapped: 1, foreign: 3, malformed: 1 });
});

test('with onOther, what is not the exit tunnel\'s UDP (the entry gateway\'s own answers) is handed over, not dropped', (t) => {
  const toEntry: Uint8Array[][] = [];
  const other: number[][] = [];
  const bind = new NestedBind({ localAddress: '10.100.1.2', localPort: 51821, remote: exit, sendToEntry: (p) => toEntry.push([...p]), onOther: (p) => other.push([...p]) });
  const got: Datagram[][] = [];
  bind.onReceive((b) => got.push(b));
  void bind.open();
  const tcp = new Uint8Array(40);
  tcp[0] = 0x45; tcp[3] = 40; tcp[9] = 6; // IPv4 carrying TCP (10.1.0.1's metadata service answering)
  const exitUdp = new Uint8Array(headerLength(4) + 1);
  exitUdp[headerLength(4)] = 4;
  writeUdpHeaders(exitUdp, { addr: parseIp('203.0.113.20'), port: 51820 }, { addr: parseIp('10.100.1.2'), port: 51821 }, 1);
  bind.receiveFromEntry([tcp, exitUdp, Uint8Array.of(0x45, 0, 0)]);
  t.deepEqual(other, [[...tcp]], 'the TCP packet, and neither the exit\'s datagram nor the malformed one');
  t.is(got.length, 1);
  t.deepEqual(bind.counters, { wrapped: 0, unwrapped: 1, foreign: 1, malformed: 1 });
});

test('families must match: an IPv6 exit endpoint needs an IPv6 entry-tunnel address', (t) => {
  t.throws(() => new NestedBind({ localAddress: '10.100.1.2', localPort: 1, remote: parseEndpoint('[2001:db8::20]:51820'), sendToEntry: () => {} }), { message: /same IP family/ });
});
