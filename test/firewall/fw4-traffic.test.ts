// The fw4 backend with real packets: a router namespace running an emulated fw4 (its table, chain names and
// include discovery) under a scratch root, the kill switch applied by the same Firewall class nym-vpnd
// uses, and every path of probes.ts checked by sending something and waiting for the echo.
import test from 'ava';
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { Firewall } from '../../src/firewall/firewall.js';
import { commandRunner } from '../../src/system/command.js';
import { JsonLinesChild } from '../../tools/lab/process.js';
import { renderKillSwitch } from '../../src/firewall/nft-kill-switch.js';
import { killSwitchSpec } from '../../src/firewall/spec.js';
import { snapshotDiff, snapshotRuleset, type RulesetSnapshot } from '../../src/firewall/snapshot.js';
import { fw4, type Fw4 } from './fw4-emulator.js';
import { KILL_SWITCH, OPEN, TOPO_STATE, fixture, mismatches, scratchRoot, startProbes, type Probes, type ScratchRoot } from './probes.js';
import { ADDR, buildTopology, type Topology } from './topology.js';

let topo: Topology;
let probes: Probes;
let scratch: ScratchRoot;
let fw: Fw4;
let firewall: Firewall;
let pristine: RulesetSnapshot;

const snapshot = (): Promise<RulesetSnapshot> => snapshotRuleset(commandRunner(topo.router.name));

test.before(async () => {
  topo = await buildTopology('nfw');
  // The owner's kill switch is off to begin with: no boot guard files.
  scratch = await scratchRoot({ backend: 'fw4', bootGuard: false });
  fw = fw4(topo.router, scratch.root);
  await fw.start();
  probes = await startProbes(topo);
  firewall = await Firewall.create({ root: scratch.root, netns: topo.router.name });
  pristine = await snapshot();
});

test.after.always(async () => {
  await topo?.lab.destroy();
  await scratch?.cleanup();
});

test.serial('detected backend: fw4 (/sbin/fw4 under the root)', (t) => {
  t.is(firewall.backend, 'fw4');
});

test.serial('baseline without the kill switch: every path passes (fw4 alone lets LAN and router out via WAN)', async (t) => {
  t.deepEqual(await mismatches(probes, OPEN), []);
});

test.serial('kill switch (connected): LAN and router only through nym0, marked UDP only to the entry, DNS only via nym0; DHCP, loopback, LAN pass', async (t) => {
  t.is(await firewall.apply(TOPO_STATE), 'kill-switch');
  t.deepEqual(await mismatches(probes, KILL_SWITCH), []);
  const st = await firewall.status();
  t.deepEqual(st, { backend: 'fw4', killSwitch: true, bootGuard: false, bootGuardEnabled: true });
  // The leak counters saw the blocked packets.
  const json = JSON.parse((await topo.router.exec('nft', ['-j', 'list', 'table', 'inet', 'nym'])).stdout) as { nftables: Array<Record<string, any>> };
  const counted = json.nftables.filter((o) => o.rule?.comment?.startsWith('nym-vpn:'))
    .map((o) => [o.rule.comment as string, (o.rule.expr as Array<Record<string, any>>).find((e) => e.counter)?.counter.packets as number]);
  const packets = (comment: string): number => counted.filter(([c]) => c === comment).reduce((a, [, n]) => a + (n as number), 0);
  t.true(packets('nym-vpn: LAN traffic outside the tunnel') >= 3, JSON.stringify(counted));
  t.true(packets('nym-vpn: DNS outside the tunnel') >= 3, JSON.stringify(counted));
  t.true(packets('nym-vpn: router traffic outside the tunnel') >= 3, JSON.stringify(counted));
});

test.serial('applying the same state again changes nothing; a changed entry endpoint moves the hole (no gap)', async (t) => {
  const before = (await snapshot()).nft;
  await firewall.apply(TOPO_STATE);
  t.is((await snapshot()).nft, before);
  await firewall.apply({ ...TOPO_STATE, state: 'connecting', endpoints: [{ address: ADDR.web, port: 51820 }] });
  t.deepEqual(await mismatches(probes, { 'router → entry, marked': false, 'router → elsewhere, marked': true, 'LAN → web via WAN': false }), []);
  await firewall.apply({ ...TOPO_STATE, state: 'error', endpoints: [] });
  t.deepEqual(await mismatches(probes, { 'router → entry, marked': false, 'router → elsewhere, marked': false, 'LAN → web via WAN': false, 'LAN → web via nym0': true }), []);
  await firewall.apply(TOPO_STATE);
  t.deepEqual(await mismatches(probes, KILL_SWITCH), []);
});

test.serial('never a moment without rules: a steady leak attempt from the LAN and the router while the state changes 40 times and fw4 reloads concurrently', async (t) => {
  const before = (await probes.isp.request<{ count: number }>({ op: 'received', port: 51820 })).count;
  const floods = Promise.all([
    probes.lan.request({ op: 'flood', to: ADDR.web, port: 51820, count: 1500, intervalMs: 2 }, 60_000),
    probes.router.request({ op: 'flood', to: ADDR.web, port: 51820, count: 1500, intervalMs: 2 }, 60_000),
  ]);
  // fw4 reloads (hotplug) race with the changes; both take fw4's lock, so the last change wins.
  const reloads = (async () => {
    for (let i = 0; i < 10; i++) await fw.reload();
  })();
  let last = TOPO_STATE;
  for (let i = 0; i < 40; i++) {
    const state = ['connecting', 'connected', 'error'][i % 3] as 'connecting';
    last = { ...TOPO_STATE, state, endpoints: [{ address: ADDR.entry, port: 51820 + (i % 2) }] };
    await firewall.apply(last);
  }
  await reloads;
  await floods;
  const after = (await probes.isp.request<{ count: number }>({ op: 'received', port: 51820 })).count;
  t.is(after - before, 0, 'datagrams that reached the ISP');
  // Whatever order the reloads and changes took, the kernel and the include's file hold the last change.
  t.is(await readFile(scratch.paths.runtimeNft, 'utf8'), renderKillSwitch(killSwitchSpec(last)));
  t.regex((await topo.router.exec('nft', ['list', 'chain', 'inet', 'nym', 'output'])).stdout, /udp dport 51821 accept/);
  await firewall.apply(TOPO_STATE);
});

test.serial('fw4 reload, restart, and flush + start keep the kill switch (it comes back from the include)', async (t) => {
  const ours = async (): Promise<string> => (await topo.router.exec('nft', ['-s', 'list', 'table', 'inet', 'nym'])).stdout;
  const loaded = await ours();
  await fw.check();
  await fw.reload();
  t.is(await ours(), loaded, 'reload');
  t.deepEqual(await mismatches(probes, KILL_SWITCH), []);
  await fw.restart();
  t.is(await ours(), loaded, 'restart');
  await fw.flush();  // /etc/init.d/firewall stop: every table, ours too
  t.false((await firewall.status()).killSwitch);
  await fw.start();
  t.is(await ours(), loaded, 'flush + start');
  t.deepEqual(await mismatches(probes, KILL_SWITCH), []);
});

test.serial('IPv6 block: no IPv6 from the LAN or the router, through the tunnel neither; IPv4 as before', async (t) => {
  await firewall.apply({ ...TOPO_STATE, ipv6: 'block' });
  t.deepEqual(await mismatches(probes, { ...KILL_SWITCH, 'LAN → web6 via nym0': false }), []);
  await firewall.apply(TOPO_STATE);
  t.deepEqual(await mismatches(probes, { 'LAN → web6 via nym0': true }), []);
});

test.serial('WAN named instead of any: LAN → wan0 blocked, LAN → nym0 passes', async (t) => {
  await firewall.apply({ ...TOPO_STATE, wan: ['wan0'] });
  t.deepEqual(await mismatches(probes, KILL_SWITCH), []);
});

test.serial('disconnected by the owner lifts it (fw4 reload keeps it lifted); always-on keeps it', async (t) => {
  t.is(await firewall.apply({ ...TOPO_STATE, state: 'disconnected', endpoints: [] }), 'lifted');
  t.deepEqual(await mismatches(probes, OPEN), []);
  await fw.reload();
  t.like(await firewall.status(), { killSwitch: false, bootGuard: false, bootGuardEnabled: true });
  t.is(await firewall.apply({ ...TOPO_STATE, state: 'disconnected', alwaysOn: true, endpoints: [] }), 'kill-switch');
  t.deepEqual(await mismatches(probes, { ...KILL_SWITCH, 'router → entry, marked': false, 'router → entry6, marked, after a neighbour flush': false }), []);
});

test.serial('lift, turning the setting off, and uninstall leave the ruleset exactly as before; lift twice is fine', async (t) => {
  await firewall.apply(TOPO_STATE);
  await firewall.lift();
  await firewall.lift();
  t.deepEqual(snapshotDiff(pristine, await snapshot()), []);
  await fw.reload();
  t.deepEqual(snapshotDiff(pristine, await snapshot()), [], 'after a reload too');
  await firewall.apply(TOPO_STATE);
  t.is(await firewall.apply({ ...TOPO_STATE, killSwitch: false }), 'lifted');
  t.false((await firewall.status()).bootGuardEnabled, 'setting off: no boot guard at the next boot');
  t.deepEqual(snapshotDiff(pristine, await snapshot()), []);
  await firewall.apply(TOPO_STATE);
  await firewall.uninstall();
  t.deepEqual(snapshotDiff(pristine, await snapshot()), []);
  await fw.reload();
  t.deepEqual(snapshotDiff(pristine, await snapshot()), [], 'after a reload too');
  t.deepEqual(await mismatches(probes, OPEN), []);
});

test.serial('a crash of the applying process leaves the kill switch in the kernel (nothing is tied to the process)', async (t) => {
  const child = new JsonLinesChild(spawn(process.execPath, [fixture('apply-child'), scratch.root, topo.router.name, 'auto', JSON.stringify(TOPO_STATE)]));
  t.teardown(() => child.child.kill('SIGKILL'));
  t.like(await child.next((m) => m.applied !== undefined), { applied: 'kill-switch' });
  child.child.kill('SIGKILL');
  t.like(await child.exited(), { signal: 'SIGKILL' });
  t.like(await firewall.status(), { killSwitch: true });
  t.deepEqual(await mismatches(probes, KILL_SWITCH), []);
  await fw.reload();  // and a reload after the crash puts back what the dead process decided
  t.deepEqual(await mismatches(probes, KILL_SWITCH), []);
  await firewall.uninstall();
  t.deepEqual(snapshotDiff(pristine, await snapshot()), []);
});
