// IP/UDP headers byte for byte (a known IPv4 header), every refusal of the parser, and the kernel's
// verdict on the packets we build (real TUN, real sockets, in a namespace).
import test from 'ava';
import { fileURLToPath } from 'node:url';
import { Lab } from '../../tools/lab/netns.js';
import { checksum } from '../../src/net/checksum.js';
import { IPV4_HEADER, headerLength, parseUdp, readUdp, udpFields, writeUdpHeaders } from '../../src/net/ip-udp.js';
import { parseIp } from '../../src/net/ip-address.js';

const hex = (s: string) => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));

test('the Internet checksum of a textbook IPv4 header is b861', (t) => {
  const h = hex('4500 0073 0000 4000 4011 0000 c0a8 0001 c0a8 00c7');
  t.is(checksum(h).toString(16), 'b861');
  h[10] = 0xb8; h[11] = 0x61;
  t.is(checksum(h), 0, 'a header with its checksum sums to zero');
});

test('writeUdpHeaders: the exact IPv4 bytes (DF, TTL 64, id, lengths, both checksums)', (t) => {
  const payload = Buffer.from('hi');
  const p = new Uint8Array(headerLength(4) + 2);
  p.set(payload, 28);
  writeUdpHeaders(p, { addr: parseIp('10.100.1.2'), port: 51821 }, { addr: parseIp('203.0.113.20'), port: 51820 }, 2, 0x1234);
  // Checksums worked out independently (Python, RFC 1071), and the kernel agrees below.
  t.is(Buffer.from(p).toString('hex'), '4500001e123440004011' + 'e120' + '0a640102cb007114' + 'ca6dca6c000a' + 'bb1b' + '6869');
  t.is(checksum(p, 0, IPV4_HEADER), 0);
  t.not((p[26]! << 8) | p[27]!, 0);
  const back = parseUdp(p);
  t.not(typeof back, 'string');
  if (typeof back !== 'string') {
    t.is(back.srcPort, 51821);
    t.is(back.dstPort, 51820);
    t.is(Buffer.from(back.payload).toString(), 'hi');
  }
});

test('readUdp fills one reused record with the offsets parseUdp\'s views are cut at, IPv4 then IPv6', (t) => {
  const f = udpFields();
  const v4 = new Uint8Array(headerLength(4) + 5);
  v4.set([1, 2, 3, 4, 5], 28);
  writeUdpHeaders(v4, { addr: parseIp('10.0.0.1'), port: 4000 }, { addr: parseIp('10.0.0.2'), port: 51820 }, 5);
  t.is(readUdp(v4, f), null);
  t.deepEqual({ ...f }, { family: 4, addrStart: 12, srcPort: 4000, dstPort: 51820, payloadStart: 28, payloadEnd: 33 });
  const v6 = new Uint8Array(headerLength(6) + 3);
  writeUdpHeaders(v6, { addr: parseIp('fd00::1'), port: 1 }, { addr: parseIp('fd00::2'), port: 2 }, 3);
  t.is(readUdp(v6, f), null);
  t.deepEqual({ ...f }, { family: 6, addrStart: 8, srcPort: 1, dstPort: 2, payloadStart: 48, payloadEnd: 51 });
  const parsed = parseUdp(v6);
  if (typeof parsed === 'string') return t.fail(parsed);
  t.deepEqual([...parsed.src], [...v6.subarray(8, 24)]);
  t.deepEqual([...parsed.dst], [...v6.subarray(24, 40)]);
  t.is(parsed.payload.byteOffset, v6.byteOffset + 48);
  v6[50] ^= 1;
  t.is(readUdp(v6, f), 'checksum');
});

test('parseUdp refuses what it must: short, bad version, fragments, other protocols, lengths, checksums', (t) => {
  const good = new Uint8Array(headerLength(4) + 4);
  writeUdpHeaders(good, { addr: parseIp('10.0.0.1'), port: 1 }, { addr: parseIp('10.0.0.2'), port: 2 }, 4);
  const mutate = (f: (p: Uint8Array) => void) => { const c = good.slice(); f(c); return parseUdp(c); };
  t.is(parseUdp(new Uint8Array(0)), 'short');
  t.is(parseUdp(good.subarray(0, 10)), 'short');
  t.is(mutate((p) => { p[0] = 0x55; }), 'version');
  t.is(mutate((p) => { p[6] = 0x20; }), 'fragment', 'more fragments');
  t.is(mutate((p) => { p[9] = 6; }), 'not-udp');
  t.is(mutate((p) => { p[3] = 200; }), 'length');
  t.is(mutate((p) => { p[30] ^= 1; }), 'checksum', 'payload changed');
  t.is(mutate((p) => { p[12] ^= 1; }), 'header', 'IPv4 header checksum');
  const zero = good.slice();
  zero[26] = 0; zero[27] = 0;
  t.not(typeof parseUdp(zero), 'string', 'IPv4 checksum 0 means none');
  const six = new Uint8Array(headerLength(6) + 3);
  writeUdpHeaders(six, { addr: parseIp('fd00::1'), port: 1 }, { addr: parseIp('fd00::2'), port: 2 }, 3);
  t.not(typeof parseUdp(six), 'string');
  six[46] = 0; six[47] = 0;
  t.is(parseUdp(six), 'checksum', 'IPv6 requires a checksum');
  t.throws(() => writeUdpHeaders(new Uint8Array(10), { addr: parseIp('10.0.0.1'), port: 1 }, { addr: parseIp('10.0.0.2'), port: 2 }, 4), { instanceOf: RangeError });
  t.throws(() => writeUdpHeaders(new Uint8Array(100), { addr: parseIp('10.0.0.1'), port: 1 }, { addr: parseIp('fd00::2'), port: 2 }, 4), { instanceOf: TypeError });
});

test('the Linux kernel accepts every packet we build and refuses the corrupted ones; we parse the kernel\'s', async (t) => {
  const lab = await Lab.create({ prefix: 'iu' });
  try {
    const ns = await lab.namespace();
    const script = fileURLToPath(new URL('./fixtures/udp-through-tun.js', import.meta.url));
    const { stdout } = await ns.exec(process.execPath, [script], { timeoutMs: 20_000 });
    const r = JSON.parse(stdout.trim().split('\n').pop()!) as { written: number; received: string[]; parsed: Array<{ family: number; payload: string }> };
    t.is(r.written, 14);
    t.is(r.received.length, 12, 'all good ones delivered, both corrupted ones dropped');
    t.false(r.received.some((m) => m.startsWith('corrupt')));
    t.true(r.received.some((m) => m.startsWith('v6-1400-')) && r.received.some((m) => m.startsWith('v4-1400-')));
    t.deepEqual(r.parsed.map((p) => p.payload.slice(0, 16)).sort(), ['from-kernel-v4', 'from-kernel-v6-y']);
  } finally {
    await lab.destroy();
  }
});
