// The lab without our daemon's tunnel: the world around the router works. Plain routing and NAT, both
// families; the two resolvers answering differently; every gateway's wireguard-go with our peer; nested
// two-hop through the gateways (the wireguard-go baseline) reaching inet from the exit's address;
// captures; gateway kill/restart; WAN down/up; bus + nym-vpnd start/restart; two labs at once; teardown.
import test from 'ava';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { ADDR, MULTI_GATEWAYS } from '../../tools/lab/addresses.js';
import { startBaselineTwoHop, BASELINE_TABLE } from '../../tools/lab/baseline.js';
import { labBytesSha256 } from '../../tools/lab/lab-bytes.js';
import { listNamespaces } from '../../tools/lab/netns.js';
import { run } from '../../tools/lab/process.js';
import { CLI_JS } from '../../tools/lab/router.js';
import { buildLab, type NymLab } from '../../tools/lab/topology.js';
import { socketPath } from '../../tools/lab/wireguard-go.js';
import { parseUci } from '../../src/uci/index.js';
import { validateNymVpnConfig } from '../../src/config/nym-vpn-config.js';
import { keyFromBase64, keyToBase64, publicKeyFromPrivate } from '../../src/wireguard/keys.js';

let lab: NymLab;
let hostLinksBefore: string[];

const hostLinks = async (): Promise<string[]> =>
  (JSON.parse((await run('ip', ['-json', 'link', 'show'])).stdout) as Array<{ ifname: string }>).map((l) => l.ifname).sort();

test.before(async () => {
  hostLinksBefore = await hostLinks();
  lab = await buildLab({ prefix: 'nlt', gateways: MULTI_GATEWAYS, daemon: 'none' });
  console.log(`lab with ${MULTI_GATEWAYS.length} gateways built in ${lab.buildMs} ms`);
});

test.after.always(async () => {
  await lab?.destroy();
});

test.serial('addresses as planned; the host namespace gained no interface', async (t) => {
  const addrs = async (ns: string, dev: string) =>
    (JSON.parse((await lab.exec(ns, 'ip', ['-json', 'addr', 'show', 'dev', dev])).stdout) as Array<{ addr_info: Array<{ local: string; prefixlen: number; scope: string }> }>)[0]!
      .addr_info.filter((a) => a.scope === 'global').map((a) => `${a.local}/${a.prefixlen}`);
  t.deepEqual(await addrs('lan', 'eth0'), ['192.168.50.2/24', 'fd00:50::2/64']);
  t.deepEqual(await addrs('router', 'br-lan'), ['192.168.50.1/24', 'fd00:50::1/64']);
  t.deepEqual(await addrs('router', 'wan'), ['198.51.100.2/24', '2001:db8:100::2/64']);
  t.deepEqual(await addrs('isp', 'br-gw'), ['203.0.113.1/24', '2001:db8:113::1/64']);
  t.deepEqual(await addrs('entry-nl', 'eth0'), ['203.0.113.11/24', '2001:db8:113::11/64']);
  t.deepEqual(await addrs('exit-se', lab.gateway('exit-se').wg.name), ['10.200.2.1/24', 'fd00:200:2::1/64']);
  t.true((await addrs('inet', 'eth0')).includes('192.0.2.80/24'));
  t.true((await addrs('inet', 'eth0')).includes('2001:db8:80::53/64'));
  t.deepEqual(await hostLinks(), hostLinksBefore);
});

test.serial('lan reaches inet over IPv4 and IPv6; inet sees the router WAN (the plain router NATs)', async (t) => {
  t.deepEqual(await lab.curl('http://192.0.2.80/'), { status: 200, body: 'you are 198.51.100.2\n' });
  t.deepEqual(await lab.curl('lan', 'http://[2001:db8:80::80]/'), { status: 200, body: 'you are 2001:db8:100::2\n' });
  // The ISP sends unknown destinations to inet, which holds the well-known probe addresses.
  t.true(await lab.ping('lan', '8.8.8.8'));
  t.true(await lab.ping('lan', '2001:4860:4860::8888'));
});

test.serial('inet: /bytes streams the lab bytes, POST returns the body hash, iperf3 answers on both families', async (t) => {
  const d = await lab.download('lan', 'http://192.0.2.80/bytes?n=1000003');
  t.is(d.status, 200);
  t.is(d.bytes, 1000003);
  t.is(d.sha256, labBytesSha256(1000003));
  const post = await lab.curl('lan', 'http://[2001:db8:80::80]/upload', { data: 'hello lab' });
  t.is(post.body, `${createHash('sha256').update('hello lab').digest('hex')} 9\n`);
  for (const server of ['192.0.2.80', '2001:db8:80::80']) {
    const r = await lab.exec('lan', 'iperf3', ['-c', server, '-t', '1', '-J'], { timeoutMs: 20_000 });
    const bps = (JSON.parse(r.stdout) as { end: { sum_received: { bits_per_second: number } } }).end.sum_received.bits_per_second;
    t.true(bps > 1e6, `iperf3 to ${server}: ${bps} bit/s`);
  }
});

test.serial('DNS: the lab resolver and the ISP resolver answer lab.test differently; the router forwards to the ISP', async (t) => {
  t.deepEqual(await lab.dns('lan', ADDR.inetDns.v4, 'lab.test', 'A'), { rcode: 0, answers: ['192.0.2.80'] });
  t.deepEqual(await lab.dns('lan', ADDR.inetDns.v6, 'www.lab.test', 'AAAA'), { rcode: 0, answers: ['2001:db8:80::80'] });
  t.deepEqual(await lab.dns('lan', ADDR.ispWan.v4, 'lab.test', 'A'), { rcode: 0, answers: ['198.51.100.66'] });
  t.deepEqual(await lab.dns('lan', ADDR.ispWan.v6, 'lab.test', 'AAAA'), { rcode: 0, answers: ['2001:db8:100::66'] });
  t.deepEqual((await lab.dns('lan', '1.1.1.1', 'whoami.lab.test', 'TXT')).answers, ['inet']);
  // The router's dnsmasq reads resolv.conf.auto, which lists the ISP's resolver (as WAN DHCP would).
  t.regex(readFileSync(lab.files.resolvConfAuto, 'utf8'), /nameserver 198\.51\.100\.1\n/);
  t.deepEqual((await lab.dns('lan', ADDR.routerLan.v4, 'whoami.lab.test', 'TXT')).answers, ['isp']);
  t.deepEqual((await lab.dns('lan', ADDR.routerLan.v6, 'r6.lab.test', 'A')).answers, ['198.51.100.66']);
  // resolv.conf.auto lists the ISP's IPv4 and IPv6 resolver: dnsmasq may ask over either, and its log
  // line can land a moment after the answer.
  const routerAsked = () => lab.ispResolver.queries().some((q) => q.name === 'r6.lab.test' && (q.from === ADDR.routerWan.v4 || q.from === ADDR.routerWan.v6));
  for (let i = 0; i < 40 && !routerAsked(); i++) await new Promise((r) => setTimeout(r, 50));
  t.true(routerAsked(), 'the ISP saw the router ask');
  t.true(lab.router.dnsmasq.forwarded().some((f) => f.name === 'r6.lab.test' && (f.to === '198.51.100.1' || f.to === '2001:db8:100::1')));
  t.true(existsSync(lab.router.dnsmasq.pidFile) && existsSync(lab.router.dnsmasq.confFile));
});

test.serial('the directory server in inet lists the lab gateways (nym-vpn-api shape) at the UCI api_url', async (t) => {
  t.is(lab.inet.directoryMissing, undefined);
  const all = await lab.curl('router', 'http://192.0.2.90:8080/api/public/v1/directory/gateways?show_vpn_only=true');
  const list = JSON.parse(all.body) as Array<{ identity_key: string; ip_addresses: string[]; location: { two_letter_iso_country_code: string } }>;
  t.deepEqual(list.map((g) => g.identity_key).sort(), [...lab.gateways.keys()].sort());
  t.deepEqual(list.find((g) => g.identity_key === lab.gateway('exit-se').id)!.ip_addresses, ['203.0.113.21', '2001:db8:113::21']);
  const exits = JSON.parse((await lab.curl('router', 'http://192.0.2.90:8080/api/public/v1/directory/gateways/exit/countries')).body) as string[];
  t.deepEqual(exits, ['CH', 'SE']);
});

test.serial('every gateway runs wireguard-go with our key of its role as its peer; UCI and key files match', async (t) => {
  const cfg = validateNymVpnConfig(parseUci(readFileSync(lab.files.nymVpnConfig), { name: 'nym-vpn' }));
  t.deepEqual(cfg.errors, []);
  const config = cfg.config!;
  t.deepEqual(config.main.dns, ['192.0.2.53', '2001:db8:80::53']);
  t.is(config.entry.id, lab.gateway('entry-de').id);
  t.is(config.exit.id, lab.gateway('exit-ch').id);
  t.is(config.peers.length, 4);
  for (const role of ['entry', 'exit'] as const) {
    const file = role === 'entry' ? lab.files.entryKeyFile : lab.files.exitKeyFile;
    t.is(statSync(file).mode & 0o777, 0o600);
    const priv = readFileSync(file, 'utf8');
    t.regex(priv, /^[A-Za-z0-9+/]{43}=\n$/);
    t.is(keyToBase64(publicKeyFromPrivate(keyFromBase64(priv.trim()))), lab.keys[role].publicKey);
  }
  t.is(statSync(lab.files.paths.stateDir).mode & 0o777, 0o700);
  for (const gw of lab.gateways.values()) {
    const show = await gw.show();
    t.is(show.publicKey, gw.keys.publicKey);
    t.is(show.listenPort, 51820);
    t.is(show.peers.length, 1);
    t.is(show.peers[0]!.publicKey, lab.keys[gw.plan.role].publicKey, gw.label);
    t.deepEqual(show.peers[0]!.allowedIps, [`${gw.plan.ours.v4}/32`, `${gw.plan.ours.v6}/128`]);
    const peer = config.peers.find((p) => p.gatewayId === gw.id)!;
    t.is(peer.publicKey, gw.keys.publicKey);
    t.is(`${peer.endpoint.host}:${peer.endpoint.port}`, gw.plan.endpoint);
    t.deepEqual(peer.addresses, [`${gw.plan.ours.v4}/32`, `${gw.plan.ours.v6}/128`]);
    t.is(peer.country, gw.plan.country);
    t.true(existsSync(socketPath(gw.wg.name)));
  }
});

test.serial('capture counts what crosses the router WAN', async (t) => {
  const cap = await lab.capture('router', 'wan', 'icmp or icmp6');
  for (let i = 0; i < 3; i++) t.true(await lab.ping('lan', '192.0.2.80'));
  t.true(await lab.ping('lan', '2001:db8:80::80'));
  const r = await cap.stop();
  const echoes = r.packets.filter((p) => (p.proto === 'icmp' && (p.icmpType === 8 || p.icmpType === 0)) || (p.proto === 'icmp6' && (p.icmpType === 128 || p.icmpType === 129)));
  t.is(echoes.length, 8, r.describe());
  t.true(echoes.every((p) => p.src === '198.51.100.2' || p.dst === '198.51.100.2' || p.src === '2001:db8:100::2' || p.dst === '2001:db8:100::2'));
  // Plain traffic is all "outside the tunnel".
  t.is(r.outsideTunnel(lab.entryEndpoints()).length, 8);
});

test.serial('baseline two-hop (wireguard-go on the router): inet sees the exit; the WAN carries only UDP to the entry', async (t) => {
  const baseline = await startBaselineTwoHop(lab);
  try {
    const cap = await lab.capture('router', 'wan');
    t.deepEqual(await lab.curl('http://192.0.2.80/'), { status: 200, body: 'you are 203.0.113.20\n' });
    t.deepEqual(await lab.curl('http://[2001:db8:80::80]/'), { status: 200, body: 'you are 2001:db8:113::20\n' });
    const d = await lab.download('lan', 'http://192.0.2.80/bytes?n=3000000');
    t.is(d.sha256, labBytesSha256(3000000), 'a bulk transfer through both MTUs arrives intact');
    const r = await cap.stop();
    t.true(r.count > 0);
    t.deepEqual(r.describe(r.outsideTunnel(lab.entryEndpoints())), '', 'only UDP to/from the entry endpoint on the WAN');
    t.true(r.packets.some((p) => p.proto === 'udp' && p.dst === '203.0.113.10' && p.dport === 51820));
    // The entry gateway forwarded our inner UDP to the exit from its own public address.
    const exitPeer = (await lab.gateway('exit-ch').show()).peers[0]!;
    t.regex(exitPeer.endpoint ?? '', /^203\.0\.113\.10:\d+$/);
  } finally {
    await baseline.stop();
  }
  t.deepEqual(await lab.curl('http://192.0.2.80/'), { status: 200, body: 'you are 198.51.100.2\n' }, 'the router is plain again');
  t.is((await lab.exec('router', 'ip', ['rule', 'show', 'table', String(BASELINE_TABLE)])).stdout.trim(), '');
  t.false((await lab.exec('router', 'nft', ['list', 'tables'])).stdout.includes('lab_baseline'));
});

test.serial('baseline through the other pair (entry-nl → exit-se)', async (t) => {
  const baseline = await startBaselineTwoHop(lab, { entry: 'entry-nl', exit: 'exit-se' });
  try {
    t.deepEqual(await lab.curl('http://192.0.2.80/'), { status: 200, body: 'you are 203.0.113.21\n' });
    t.deepEqual(await lab.curl('http://[2001:db8:80::80]/'), { status: 200, body: 'you are 2001:db8:113::21\n' });
  } finally {
    await baseline.stop();
  }
});

test.serial('killing and restarting a gateway: same key and peer, tunnels work again', async (t) => {
  const gw = lab.gateway('exit-ch');
  const config = async () => {
    const s = await gw.show();
    return { publicKey: s.publicKey, listenPort: s.listenPort, peers: s.peers.map((p) => [p.publicKey, p.allowedIps]) };
  };
  const before = await config();
  await lab.killGateway('exit-ch');
  t.false(gw.wg.running);
  t.false(existsSync(socketPath(gw.wg.name)), 'SIGTERM: wireguard-go removed its socket');
  let baseline = await startBaselineTwoHop(lab);
  try {
    await t.throwsAsync(lab.curl('lan', 'http://192.0.2.80/', { timeoutS: 2 }), undefined, 'no exit, no answer');
  } finally {
    await baseline.stop();
  }
  await lab.restartGateway('exit-ch');
  t.deepEqual(await config(), before);
  await lab.killGateway('exit-ch', 'SIGKILL');
  t.true(existsSync(socketPath(gw.wg.name)), 'SIGKILL leaves the socket, as a crash would');
  await lab.restartGateway('exit-ch');
  t.deepEqual(await config(), before);
  baseline = await startBaselineTwoHop(lab);
  try {
    t.deepEqual(await lab.curl('http://192.0.2.80/'), { status: 200, body: 'you are 203.0.113.20\n' });
  } finally {
    await baseline.stop();
  }
});

test.serial('WAN link down and up', async (t) => {
  await lab.setWanLink('down');
  await t.throwsAsync(lab.curl('lan', 'http://192.0.2.80/', { timeoutS: 2 }));
  t.is((await lab.exec('router', 'ip', ['route', 'show', 'default'])).stdout.trim(), '', 'no default route while the WAN is down');
  await lab.setWanLink('up');
  t.deepEqual(await lab.curl('http://192.0.2.80/'), { status: 200, body: 'you are 198.51.100.2\n' });
  t.deepEqual(await lab.curl('http://[2001:db8:80::80]/'), { status: 200, body: 'you are 2001:db8:100::2\n' });
});

test.serial('the bus runs; nym-vpnd starts, answers nym-vpnc in the router namespace, restarts and stops', async (t) => {
  t.false(lab.router.daemonRunning);
  await lab.startDaemon();
  t.true(lab.router.daemonRunning);
  const status = await lab.exec('router', process.execPath, [CLI_JS, '--socket', lab.socket, 'status', '--json']);
  t.is((JSON.parse(status.stdout) as { state: string }).state, 'disconnected');
  const pid = lab.router.daemon!.pid;
  await lab.restartDaemon();
  t.not(lab.router.daemon!.pid, pid);
  await lab.stopDaemon();
  t.false(lab.router.daemonRunning);
  t.regex(readFileSync(lab.router.daemonLogFile, 'utf8'), /registered/);
});

test.serial('two labs at once; destroying one removes its namespaces, processes, sockets and temp dir only', async (t) => {
  const other = await buildLab({ prefix: 'nlu', daemon: 'none' });
  const names = other.lab.namespaces.map((n) => n.name);
  const sockets = [...other.gateways.values()].map((g) => socketPath(g.wg.name));
  const pids = [...other.gateways.values()].map((g) => g.wg.pid!);
  let destroyed = false;
  try {
    t.deepEqual(await other.curl('http://192.0.2.80/'), { status: 200, body: 'you are 198.51.100.2\n' });
    t.deepEqual(await lab.curl('http://192.0.2.80/'), { status: 200, body: 'you are 198.51.100.2\n' });
    const t0 = Date.now();
    await other.destroy();
    destroyed = true;
    t.log(`second lab destroyed in ${Date.now() - t0} ms`);
  } finally {
    if (!destroyed) await other.destroy();
  }
  const live = listNamespaces();
  t.deepEqual(names.filter((n) => live.includes(n)), []);
  t.deepEqual(sockets.filter((s) => existsSync(s)), []);
  t.false(existsSync(other.workDir));
  for (const pid of pids) t.throws(() => process.kill(pid, 0));
  t.deepEqual(await lab.curl('http://192.0.2.80/'), { status: 200, body: 'you are 198.51.100.2\n' }, 'the first lab is untouched');
});
