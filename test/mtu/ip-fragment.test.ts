// Our source fragmentation (src/net/ip-fragment.ts): the pieces are what RFC 791 / RFC 8200 ask, and the
// Linux kernel reassembles them into the very datagram we built.
import test from 'ava';
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { fragmentIp } from '../../src/net/ip-fragment.js';
import { headerLength, writeUdpHeaders } from '../../src/net/ip-udp.js';
import { parseIp } from '../../src/net/ip-address.js';
import { checksum } from '../../src/net/checksum.js';
import { Lab } from '../../tools/lab/netns.js';
import { NestedBind } from '../../src/tunnel/nested-bind.js';
import { parseEndpoint } from '../../src/net/endpoint.js';

function udp(src: string, dst: string, n: number): Uint8Array {
  const h = headerLength(src.includes(':') ? 6 : 4);
  const p = new Uint8Array(h + n);
  for (let i = 0; i < n; i++) p[h + i] = (i * 31 + n) & 0xff;
  writeUdpHeaders(p, { addr: parseIp(src), port: 4100 }, { addr: parseIp(dst), port: 5556 }, n, 0);
  return p;
}

test('IPv4: pieces of at most the size asked, 8-byte aligned offsets, MF on all but the last, DF cleared, valid header checksums, same id', (t) => {
  const p = udp('10.0.0.1', '10.0.0.2', 2000);
  const frags = fragmentIp(p, 600, 0x1234);
  t.is(frags.length, 4);
  let offset = 0;
  frags.forEach((f, i) => {
    t.true(f.length <= 600);
    t.is((f[2]! << 8) | f[3]!, f.length);
    t.is((f[4]! << 8) | f[5]!, 0x1234);
    t.is((f[6]! & 0x40), 0, 'DF cleared');
    t.is((f[6]! & 0x20) !== 0, i < frags.length - 1, 'MF');
    t.is((((f[6]! & 0x1f) << 8) | f[7]!) * 8, offset);
    t.is(checksum(f, 0, 20), 0, 'header checksum');
    t.deepEqual(f.subarray(20), p.subarray(20 + offset, 20 + offset + f.length - 20));
    offset += f.length - 20;
  });
  t.is(offset, p.length - 20);
});

test('IPv6: a Fragment header after the fixed header, offsets and M flag, the payload split in order', (t) => {
  const p = udp('fd00::1', 'fd00::2', 2000);
  const frags = fragmentIp(p, 600, 0xdeadbeef);
  let offset = 0;
  frags.forEach((f, i) => {
    t.true(f.length <= 600);
    t.is(f[6], 44);
    t.is(f[40], 17, 'next header: UDP');
    t.is(((f[4]! << 8) | f[5]!) + 40, f.length);
    t.is(((f[42]! << 8) | f[43]!) & 7, i < frags.length - 1 ? 1 : 0);
    t.is(((f[42]! << 8) | f[43]!) >> 3, offset / 8);
    t.is(Buffer.from(f.subarray(44, 48)).readUInt32BE(), 0xdeadbeef);
    t.deepEqual(f.subarray(48), p.subarray(40 + offset, 40 + offset + f.length - 48));
    offset += f.length - 48;
  });
  t.is(offset, p.length - 40);
});

test('a packet that fits stays whole; malformed input and sizes too small are refused', (t) => {
  const p = udp('10.0.0.1', '10.0.0.2', 100);
  t.deepEqual(fragmentIp(p, 1500, 1), [p]);
  t.throws(() => fragmentIp(p, 20, 1), { instanceOf: RangeError });
  const bad = p.slice();
  bad[3] = 7;
  t.throws(() => fragmentIp(bad, 60, 1), { message: /malformed/ });
  const v5 = p.slice();
  v5[0] = 0x55;
  t.throws(() => fragmentIp(v5, 60, 1), { message: /not an IP packet/ });
});

test('the Linux kernel reassembles our fragments (written into a TUN, the last one first) into the datagrams we built', async (t) => {
  const lab = await Lab.create({ prefix: 'frg' });
  try {
    const ns = await lab.namespace();
    const script = fileURLToPath(new URL('./fixtures/fragments-through-tun.js', import.meta.url));
    const { stdout } = await ns.exec(process.execPath, [script], { timeoutMs: 30_000 });
    const r = JSON.parse(stdout.trim().split('\n').pop()!) as { received: Array<{ family: string; length: number; sha256: string }> };
    const want = (n: number) => {
      const b = Buffer.alloc(n);
      for (let i = 0; i < n; i++) b[i] = (i * 31 + n) & 0xff;
      return createHash('sha256').update(b).digest('hex');
    };
    const sizes = [1200, 1472, 3000, 9000];
    t.deepEqual(r.received, [...sizes.map((n) => ({ family: 'udp4', length: n, sha256: want(n) })), ...sizes.map((n) => ({ family: 'udp6', length: n, sha256: want(n) }))]);
  } finally {
    await lab.destroy();
  }
});

test('the nested bind behind a black hole: the exit hop\'s datagrams leave in fragments that put the datagram back together', (t) => {
  const sent: Uint8Array[] = [];
  const bind = new NestedBind({ localAddress: '10.100.1.2', localPort: 51821, remote: parseEndpoint('203.0.113.20:51820'), sendToEntry: (p) => sent.push(...p.map((x) => x.slice())) });
  void bind.open();
  const data = new Uint8Array(1400).map((_, i) => i & 0xff);
  bind.send([{ data, endpoint: parseEndpoint('203.0.113.20:51820') }]);
  t.is(sent.length, 1);
  bind.fragmentAbove(1200);
  bind.send([{ data, endpoint: parseEndpoint('203.0.113.20:51820') }, { data: data.subarray(0, 100), endpoint: parseEndpoint('203.0.113.20:51820') }]);
  const frags = sent.slice(1);
  t.is(frags.length, 3, 'two fragments of the big one, the small one whole');
  t.true(frags.every((f) => f.length <= 1200));
  const whole = sent[0]!;
  t.deepEqual(Buffer.concat([frags[0]!.subarray(20), frags[1]!.subarray(20)]), Buffer.from(whole.subarray(20)));
});
