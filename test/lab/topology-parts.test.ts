// The lab's pure parts: the address plan, pcap summaries and the leak filter, the byte stream, the DNS
// codec, `wg show dump` parsing, the router's UCI files.
import test from 'ava';
import { DEFAULT_GATEWAYS, MULTI_GATEWAYS, firstOfRole, planGateways } from '../../tools/lab/addresses.js';
import { labIdentity } from '../../tools/lab/directory-server.js';
import { decodeAnswer, encodeQuery } from '../../tools/lab/dns-query.js';
import { directoryGateways } from '../../tools/lab/inet-services.js';
import { BLOCK_SIZE, labBytes, labBytesSha256 } from '../../tools/lab/lab-bytes.js';
import { formatPacket, isLinkControl, outsideTunnel, parsePcap } from '../../tools/lab/pcap.js';
import { labNetworkConfig, labNymVpnConfig } from '../../tools/lab/router-config.js';
import { parseWgDump } from '../../tools/lab/wireguard-go.js';
import { exportPackage, parseUci } from '../../src/uci/index.js';
import { validateNymVpnConfig } from '../../src/config/nym-vpn-config.js';
import { validateLabGateways } from '../../tools/lab/directory-server.js';

test('planGateways derives identities, public and tunnel addresses per role', (t) => {
  const plans = planGateways(MULTI_GATEWAYS);
  t.deepEqual(plans.map((g) => [g.label, g.n, g.ip6, g.tunnel.v4, g.tunnel.v6, g.ours.v4, g.ours.v6, g.endpoint]), [
    ['entry-de', 1, '2001:db8:113::10', '10.100.1.1/24', 'fd00:100:1::1/64', '10.100.1.2', 'fd00:100:1::2', '203.0.113.10:51820'],
    ['entry-nl', 2, '2001:db8:113::11', '10.100.2.1/24', 'fd00:100:2::1/64', '10.100.2.2', 'fd00:100:2::2', '203.0.113.11:51820'],
    ['exit-ch', 1, '2001:db8:113::20', '10.200.1.1/24', 'fd00:200:1::1/64', '10.200.1.2', 'fd00:200:1::2', '203.0.113.20:51820'],
    ['exit-se', 2, '2001:db8:113::21', '10.200.2.1/24', 'fd00:200:2::1/64', '10.200.2.2', 'fd00:200:2::2', '203.0.113.21:51820'],
  ]);
  t.is(plans[0]!.id, labIdentity('entry-de'), 'stable, upstream-valid identities');
  t.is(firstOfRole(plans, 'exit')!.label, 'exit-ch');
  t.is(planGateways(DEFAULT_GATEWAYS).length, 2);
  t.throws(() => planGateways([{ label: 'a', role: 'entry', country: 'DE', ip: '192.0.2.1' }]), { message: /203\.0\.113/ });
  t.throws(() => planGateways([{ label: 'a', role: 'entry', country: 'de', ip: '203.0.113.5' }]), { message: /country/ });
  t.throws(() => planGateways([
    { label: 'a', role: 'entry', country: 'DE', ip: '203.0.113.5' },
    { label: 'b', role: 'exit', country: 'DE', ip: '203.0.113.5' },
  ]), { message: /twice/ });
  t.throws(() => planGateways([{ label: 'a', role: 'entry', country: 'DE', ip: '203.0.113.5', id: 'not-base58-0OIl' }]), { message: /ed25519/ });
});

test('the directory file is what the directory server accepts', (t) => {
  const list = directoryGateways(planGateways(MULTI_GATEWAYS));
  t.notThrows(() => validateLabGateways(JSON.parse(JSON.stringify(list))));
  t.deepEqual(list[1], { id: labIdentity('entry-nl'), name: 'lab entry NL', country: 'NL', role: 'entry', ip: ['203.0.113.11', '2001:db8:113::11'], performance: 90 });
});

/** A pcap file (little-endian, µs) of the given link type and frames. */
function pcap(linktype: number, frames: Uint8Array[]): Buffer {
  const head = Buffer.alloc(24);
  head.writeUInt32LE(0xa1b2c3d4, 0);
  head.writeUInt16LE(2, 4);
  head.writeUInt16LE(4, 6);
  head.writeUInt32LE(65535, 16);
  head.writeUInt32LE(linktype, 20);
  const recs = frames.map((f, i) => {
    const r = Buffer.alloc(16);
    r.writeUInt32LE(1700000000 + i, 0);
    r.writeUInt32LE(500000, 4);
    r.writeUInt32LE(f.length, 8);
    r.writeUInt32LE(f.length + 100, 12);
    return Buffer.concat([r, f]);
  });
  return Buffer.concat([head, ...recs]);
}

const eth = (type: number, payload: Buffer) => Buffer.concat([Buffer.alloc(12, 0xaa), Buffer.from([type >> 8, type & 0xff]), payload]);
function ipv4(proto: number, src: number[], dst: number[], l4: Buffer, frag = 0): Buffer {
  const h = Buffer.alloc(20);
  h[0] = 0x45;
  h.writeUInt16BE(20 + l4.length, 2);
  h.writeUInt16BE(frag, 6);
  h[8] = 64;
  h[9] = proto;
  Buffer.from(src).copy(h, 12);
  Buffer.from(dst).copy(h, 16);
  return Buffer.concat([h, l4]);
}
function ipv6(next: number, src: string, dst: string, rest: Buffer): Buffer {
  const h = Buffer.alloc(40);
  h[0] = 0x60;
  h.writeUInt16BE(rest.length, 4);
  h[6] = next;
  h[7] = 64;
  Buffer.from(src.replace(/:/g, ''), 'hex').copy(h, 8);
  Buffer.from(dst.replace(/:/g, ''), 'hex').copy(h, 24);
  return Buffer.concat([h, rest]);
}
const ports = (s: number, d: number) => { const b = Buffer.alloc(8); b.writeUInt16BE(s, 0); b.writeUInt16BE(d, 2); return b; };

test('pcap: Ethernet, raw IP and cooked frames summarised; the leak filter keeps only non-tunnel traffic', (t) => {
  const v6a = '20010db8010000000000000000000002';
  const v6b = '20010db8008000000000000000000080';
  const hopByHop = Buffer.concat([Buffer.from([6, 0, 0, 0, 0, 0, 0, 0]), ports(40000, 80)]);
  const frames = [
    eth(0x0800, ipv4(17, [198, 51, 100, 2], [203, 0, 113, 10], ports(40001, 51820))),
    eth(0x0800, ipv4(17, [203, 0, 113, 10], [198, 51, 100, 2], ports(51820, 40001))),
    eth(0x86dd, ipv6(0, v6a, v6b, hopByHop)),
    eth(0x0806, Buffer.alloc(28)),
    eth(0x86dd, ipv6(58, v6a, 'ff020000000000000000000000000002', Buffer.from([133, 0, 0, 0]))),
    eth(0x0800, ipv4(1, [198, 51, 100, 2], [192, 0, 2, 80], Buffer.from([8, 0, 0, 0]))),
    eth(0x0800, ipv4(17, [198, 51, 100, 2], [192, 0, 2, 80], Buffer.alloc(8), 185)),
    Buffer.concat([Buffer.alloc(12), Buffer.from([0x81, 0x00, 0, 5, 0x08, 0x00]), ipv4(6, [1, 2, 3, 4], [5, 6, 7, 8], ports(1, 2))]),
  ];
  const pk = parsePcap(pcap(1, frames));
  t.is(pk.length, 8);
  t.like(pk[0], { family: 4, proto: 'udp', src: '198.51.100.2', dst: '203.0.113.10', sport: 40001, dport: 51820, length: pk[0]!.length, time: 1700000000.5 });
  t.like(pk[2], { family: 6, proto: 'tcp', src: '2001:db8:100::2', dst: '2001:db8:80::80', dport: 80, ipProto: 6 });
  t.like(pk[3], { proto: 'arp', family: undefined });
  t.true(isLinkControl(pk[4]!));
  t.like(pk[5], { proto: 'icmp', icmpType: 8 });
  t.like(pk[6], { proto: 'udp', fragment: true, sport: undefined });
  t.like(pk[7], { proto: 'tcp', src: '1.2.3.4', dport: 2 }, 'VLAN tag skipped');
  t.is(pk[0]!.length, frames[0]!.length + 100, 'length on the wire, not the captured part');
  const leaks = outsideTunnel(pk, [{ host: '203.0.113.10', port: 51820 }]);
  t.deepEqual(leaks.map((p) => p.proto), ['tcp', 'icmp', 'udp', 'tcp']);
  t.regex(formatPacket(pk[2]!), /tcp \[2001:db8:100::2\]:40000 > \[2001:db8:80::80\]:80/);

  const raw = parsePcap(pcap(101, [ipv4(17, [10, 200, 1, 2], [192, 0, 2, 53], ports(5353, 53))]));
  t.like(raw[0], { proto: 'udp', src: '10.200.1.2', dport: 53 });
  const sll2 = Buffer.concat([Buffer.from([0x86, 0xdd]), Buffer.alloc(18), ipv6(17, v6a, v6b, ports(1, 53))]);
  t.like(parsePcap(pcap(276, [sll2]))[0], { family: 6, proto: 'udp', dport: 53 });
  t.deepEqual(parsePcap(pcap(1, frames).subarray(0, 24 + 16 + 10)), [], 'a truncated record is ignored');
  t.throws(() => parsePcap(Buffer.alloc(24)), { message: /not a pcap/ });
});

test('lab bytes: deterministic, block by block distinct, lengths exact', (t) => {
  const a = Buffer.concat([...labBytes(BLOCK_SIZE * 2 + 5)]);
  t.is(a.length, BLOCK_SIZE * 2 + 5);
  t.false(a.subarray(0, BLOCK_SIZE).equals(a.subarray(BLOCK_SIZE, 2 * BLOCK_SIZE)));
  t.true(Buffer.concat([...labBytes(BLOCK_SIZE * 2 + 5)]).equals(a));
  t.is(labBytesSha256(0), 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  t.is(labBytesSha256(1000), labBytesSha256(1000));
  t.not(labBytesSha256(1000), labBytesSha256(1001));
});

test('DNS codec: query layout; answers with compressed names, A/AAAA/TXT', (t) => {
  const q = encodeQuery(0x1234, 'lab.test', 'AAAA');
  t.deepEqual([...q.subarray(0, 4)], [0x12, 0x34, 0x01, 0x00]);
  t.deepEqual([...q.subarray(12)], [3, 108, 97, 98, 4, 116, 101, 115, 116, 0, 0, 28, 0, 1]);
  const answer = (type: number, rdata: Buffer) => {
    const head = Buffer.from(q.subarray(0, 12));
    head[2] = 0x81; head[3] = 0x80; head.writeUInt16BE(2, 6);
    const rr = (ty: number, data: Buffer) => Buffer.concat([Buffer.from([0xc0, 12, ty >> 8, ty & 0xff, 0, 1, 0, 0, 0, 60, data.length >> 8, data.length & 0xff]), data]);
    return Buffer.concat([head, q.subarray(12), rr(5, Buffer.from([0xc0, 12])), rr(type, rdata)]);
  };
  t.deepEqual(decodeAnswer(answer(28, Buffer.from('20010db8008000000000000000000080', 'hex')), 0x1234, 'AAAA'), { rcode: 0, answers: ['2001:db8:80::80'] });
  t.deepEqual(decodeAnswer(answer(1, Buffer.from([192, 0, 2, 80])), 0x1234, 'A'), { rcode: 0, answers: ['192.0.2.80'] });
  t.deepEqual(decodeAnswer(answer(16, Buffer.from([3, 105, 115, 112, 1, 33])), 0x1234, 'TXT'), { rcode: 0, answers: ['isp!'] });
  t.throws(() => decodeAnswer(answer(1, Buffer.from([1, 2, 3, 4])), 0x9999, 'A'));
});

test('wg show dump parsing', (t) => {
  const dump = 'cHJpdg==\tcHViCg==\t51820\toff\nPEER=\t(none)\t203.0.113.10:4000\t10.100.1.2/32,fd00:100:1::2/128\t1700000000\t10\t20\toff\nP2=\t(none)\t(none)\t(none)\t0\t0\t0\t25\n';
  t.deepEqual(parseWgDump(dump), {
    publicKey: 'cHViCg==',
    listenPort: 51820,
    peers: [
      { publicKey: 'PEER=', endpoint: '203.0.113.10:4000', allowedIps: ['10.100.1.2/32', 'fd00:100:1::2/128'], latestHandshake: 1700000000, rxBytes: 10, txBytes: 20 },
      { publicKey: 'P2=', endpoint: undefined, allowedIps: [], latestHandshake: 0, rxBytes: 0, txBytes: 0 },
    ],
  });
});

test("the router's nym-vpn config: shipped defaults + lab peers, valid, round-trips through uci export", (t) => {
  const plans = planGateways(MULTI_GATEWAYS);
  const keys = new Map(plans.map((g, i) => [g.id, Buffer.alloc(32, i + 1).toString('base64')]));
  const pkg = labNymVpnConfig(plans, keys);
  const reparsed = parseUci(exportPackage(pkg), { name: 'nym-vpn' });
  const { config, errors } = validateNymVpnConfig(reparsed);
  t.deepEqual(errors, []);
  t.is(config!.main.apiUrl, 'http://192.0.2.90:8080/api');
  t.true(config!.main.killSwitch, 'shipped defaults kept');
  t.deepEqual([config!.entry.select, config!.entry.id, config!.exit.id], ['id', plans[0]!.id, plans[2]!.id]);
  t.deepEqual(config!.peers.map((p) => [p.role, p.country, p.publicKey, `${p.endpoint.host}:${p.endpoint.port}`]),
    plans.map((g) => [g.role, g.country, keys.get(g.id), g.endpoint]));
  const net = exportPackage(labNetworkConfig());
  t.regex(net, /config interface 'lan'\n\toption device 'br-lan'/);
  t.regex(net, /config interface 'wan'\n\toption device 'wan'/);
  t.throws(() => labNymVpnConfig(plans, new Map()), { message: /no public key/ });
});
