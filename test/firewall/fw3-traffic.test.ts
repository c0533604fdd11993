// The fw3 backend with real packets: the same topology and paths as the fw4 test, an emulated fw3
// (iptables-legacy, as OpenWrt's fw3 uses) with its "!fw3" rules and zone chains, our chains applied by the
// Firewall class and re-applied by the shipped include script on fw3 start/reload.
import test from 'ava';
import { IptApplier, JUMP_TAGS } from '../../src/firewall/apply-ipt.js';
import { commandRunner } from '../../src/system/command.js';
import { Firewall } from '../../src/firewall/firewall.js';
import { renderIptKillSwitch } from '../../src/firewall/ipt-kill-switch.js';
import { snapshotDiff, snapshotRuleset, type RulesetSnapshot } from '../../src/firewall/snapshot.js';
import { killSwitchSpec } from '../../src/firewall/spec.js';
import { fw3, type Fw3 } from './fw3-emulator.js';
import { KILL_SWITCH, OPEN, TOPO_STATE, mismatches, scratchRoot, startProbes, type Probes, type ScratchRoot } from './probes.js';
import { ADDR, buildTopology, type Topology } from './topology.js';

const BINS = { iptables: 'iptables-legacy', ip6tables: 'ip6tables-legacy' };
let topo: Topology;
let probes: Probes;
let scratch: ScratchRoot;
let fw: Fw3;
let firewall: Firewall;
let pristine: RulesetSnapshot;
let ipt4: IptApplier;

const snapshot = (): Promise<RulesetSnapshot> => snapshotRuleset(commandRunner(topo.router.name), BINS);
const firstRules = async (chain: string): Promise<string[]> => (await ipt4.rules(chain)).filter((r) => r.includes('nym_'));

test.before(async () => {
  topo = await buildTopology('nf3');
  scratch = await scratchRoot({ backend: 'fw3', bootGuard: false });
  fw = fw3(topo.router, { root: scratch.root, includePath: scratch.paths.fw3Include, ...BINS });
  await fw.start();
  probes = await startProbes(topo);
  firewall = await Firewall.create({ root: scratch.root, netns: topo.router.name, ...BINS });
  ipt4 = new IptApplier(commandRunner(topo.router.name), BINS.iptables);
  pristine = await snapshot();
});

test.after.always(async () => {
  await topo?.lab.destroy();
  await scratch?.cleanup();
});

test.serial('detected backend: fw3; baseline without the kill switch: every path passes', async (t) => {
  t.is(firewall.backend, 'fw3');
  t.deepEqual(await mismatches(probes, OPEN), []);
});

test.serial('kill switch (connected) through iptables: the same paths blocked and open as with fw4', async (t) => {
  t.is(await firewall.apply(TOPO_STATE), 'kill-switch');
  t.deepEqual(await mismatches(probes, KILL_SWITCH), []);
  t.like(await firewall.status(), { backend: 'fw3', killSwitch: true, bootGuard: false, bootGuardEnabled: true });
});

test.serial('the kernel holds exactly the rendered rules, and our jumps are the first rules of FORWARD and OUTPUT', async (t) => {
  const save = (await topo.router.exec('iptables-legacy-save', [])).stdout.split('\n');
  const ours = save.filter((l) => /^-A nym_/.test(l));
  // iptables-save lists user chains by name; within a chain, rules keep their order.
  const chainOf = (l: string): string => l.split(' ')[1]!;
  const rendered = renderIptKillSwitch(killSwitchSpec(TOPO_STATE), 4).split('\n').filter((l) => l.startsWith('-A '));
  t.deepEqual(ours, [...rendered].sort((a, b) => chainOf(a).localeCompare(chainOf(b))));
  t.regex((await ipt4.rules('FORWARD'))[0]!, /^-A FORWARD -m comment --comment "nym-vpn:[ab]" -j nym_forward$/);
  t.regex((await ipt4.rules('OUTPUT'))[0]!, /^-A OUTPUT -m comment --comment "nym-vpn:[ab]" -j nym_output$/);
});

test.serial('fw3 reload keeps it first and once; fw3 flush + start brings it back from the include script', async (t) => {
  await fw.reload();
  t.is((await firstRules('FORWARD')).length, 1);
  t.regex((await ipt4.rules('FORWARD'))[0]!, /-j nym_forward$/);
  t.deepEqual(await mismatches(probes, KILL_SWITCH), []);
  await fw.flush();
  t.false((await firewall.status()).killSwitch);
  await fw.start();
  t.regex((await ipt4.rules('FORWARD'))[0]!, /-j nym_forward$/);
  t.regex((await ipt4.rules('OUTPUT'))[0]!, /-j nym_output$/);
  t.deepEqual(await mismatches(probes, KILL_SWITCH), []);
});

test.serial('a rule inserted above ours (another package) is overtaken again by the next apply and by the include', async (t) => {
  await topo.router.exec(BINS.iptables, ['-w', '-I', 'FORWARD', '1', '-j', 'ACCEPT']);
  t.deepEqual(await mismatches(probes, { 'LAN → web via WAN': true }), [], 'the foreign ACCEPT does let it out while above ours');
  await firewall.apply(TOPO_STATE);
  t.regex((await ipt4.rules('FORWARD'))[0]!, /-j nym_forward$/);
  t.deepEqual(await mismatches(probes, { 'LAN → web via WAN': false }), []);
  await topo.router.exec(BINS.iptables, ['-w', '-I', 'FORWARD', '1', '-j', 'ACCEPT']);
  await fw.reload();
  t.regex((await ipt4.rules('FORWARD'))[0]!, /-j nym_forward$/);
  t.is((await firstRules('FORWARD')).length, 1);
  await topo.router.exec(BINS.iptables, ['-w', '-D', 'FORWARD', '-j', 'ACCEPT']);
  await topo.router.exec(BINS.iptables, ['-w', '-D', 'FORWARD', '-j', 'ACCEPT']);
  t.deepEqual(await mismatches(probes, KILL_SWITCH), []);
});

test.serial('jump bookkeeping: duplicates of both tags and an untagged one collapse to one first jump', async (t) => {
  const run = (args: string[]) => topo.router.exec(BINS.iptables, ['-w', ...args]);
  await run(['-A', 'FORWARD', '-m', 'comment', '--comment', JUMP_TAGS[0], '-j', 'nym_forward']);
  await run(['-A', 'FORWARD', '-m', 'comment', '--comment', JUMP_TAGS[1], '-j', 'nym_forward']);
  await run(['-I', 'FORWARD', '2', '-j', 'nym_forward']);
  t.is((await firstRules('FORWARD')).length, 4);
  await ipt4.ensureFirstJump('FORWARD', 'nym_forward');
  const jumps = await firstRules('FORWARD');
  t.is(jumps.length, 1);
  t.regex((await ipt4.rules('FORWARD'))[0]!, /-j nym_forward$/);
  await ipt4.ensureFirstJump('FORWARD', 'nym_forward');
  t.deepEqual(await firstRules('FORWARD'), jumps, 'already first and alone: untouched');
});

test.serial('never a moment without rules: steady leak attempts while the state changes 30 times and fw3 reloads', async (t) => {
  const before = (await probes.isp.request<{ count: number }>({ op: 'received', port: 51820 })).count;
  const floods = Promise.all([
    probes.lan.request({ op: 'flood', to: ADDR.web, port: 51820, count: 1500, intervalMs: 2 }, 60_000),
    probes.router.request({ op: 'flood', to: ADDR.web, port: 51820, count: 1500, intervalMs: 2 }, 60_000),
  ]);
  for (let i = 0; i < 30; i++) {
    await firewall.apply({ ...TOPO_STATE, state: i % 2 ? 'connecting' : 'connected', endpoints: [{ address: ADDR.entry, port: 51820 + (i % 2) }] });
    if (i % 10 === 0) await fw.reload();
  }
  await floods;
  t.is((await probes.isp.request<{ count: number }>({ op: 'received', port: 51820 })).count - before, 0, 'datagrams that reached the ISP');
  await firewall.apply(TOPO_STATE);
});

test.serial('IPv6 block through ip6tables', async (t) => {
  await firewall.apply({ ...TOPO_STATE, ipv6: 'block' });
  t.deepEqual(await mismatches(probes, { ...KILL_SWITCH, 'LAN → web6 via nym0': false }), []);
  await firewall.apply(TOPO_STATE);
});

test.serial('disconnected lifts (fw3 reload keeps it lifted); always-on keeps it', async (t) => {
  t.is(await firewall.apply({ ...TOPO_STATE, state: 'disconnected', endpoints: [] }), 'lifted');
  await fw.reload();
  t.deepEqual(await mismatches(probes, OPEN), []);
  t.is(await firewall.apply({ ...TOPO_STATE, state: 'disconnected', alwaysOn: true, endpoints: [] }), 'kill-switch');
  t.deepEqual(await mismatches(probes, { 'LAN → web via WAN': false, 'LAN → web via nym0': true, 'router → entry, marked': false }), []);
});

test.serial('lift and uninstall leave iptables and ip6tables exactly as before (also after a fw3 reload)', async (t) => {
  await firewall.apply(TOPO_STATE);
  await firewall.lift();
  await firewall.lift();
  t.deepEqual(snapshotDiff(pristine, await snapshot()), []);
  await fw.reload();
  t.deepEqual(snapshotDiff(pristine, await snapshot()), []);
  await firewall.apply(TOPO_STATE);
  await firewall.uninstall();
  t.deepEqual(snapshotDiff(pristine, await snapshot()), []);
  await fw.reload();
  t.deepEqual(snapshotDiff(pristine, await snapshot()), []);
  t.deepEqual(await mismatches(probes, OPEN), []);
});

test.serial('the same with iptables-nft (fw3 on newer OpenWrt can use it): rules, first jumps, reloads, lift', async (t) => {
  const ns = await topo.lab.namespace();
  const s = await scratchRoot({ backend: 'fw3' });
  t.teardown(() => s.cleanup());
  const bins = { iptables: 'iptables-nft', ip6tables: 'ip6tables-nft' };
  const emu = fw3(ns, { root: s.root, includePath: s.paths.fw3Include, ...bins });
  const run = commandRunner(ns.name);
  await emu.start();  // boot: the boot guard comes from the include
  const v4 = new IptApplier(run, bins.iptables);
  t.regex((await v4.rules('FORWARD'))[0]!, /-j nym_boot_forward$/);
  const before = await snapshotRuleset(run, bins);
  const fwl = await Firewall.create({ root: s.root, netns: ns.name, ...bins });
  await fwl.apply(TOPO_STATE);
  const save = (await ns.exec('iptables-nft-save', [])).stdout.split('\n').filter((l) => /^-A nym_/.test(l));
  const chainOf = (l: string): string => l.split(' ')[1]!;
  const rendered = renderIptKillSwitch(killSwitchSpec(TOPO_STATE), 4).split('\n').filter((l) => l.startsWith('-A '));
  t.deepEqual([...save].sort((a, b) => chainOf(a).localeCompare(chainOf(b))), [...rendered].sort((a, b) => chainOf(a).localeCompare(chainOf(b))));
  await emu.reload();
  t.regex((await v4.rules('FORWARD'))[0]!, /-j nym_forward$/);
  t.regex((await v4.rules('OUTPUT'))[0]!, /-j nym_output$/);
  t.false(await v4.chainExists('nym_boot_forward'));
  await fwl.uninstall();
  await emu.reload();
  const after = await snapshotRuleset(run, bins);
  // The boot guard was there before (boot) and is gone now; apart from it, nothing changed.
  const withoutBoot = (x: string | undefined): string => (x ?? '').split('\n').filter((l) => !l.includes('nym_boot')).join('\n');
  t.is(withoutBoot(after.ipv4), withoutBoot(before.ipv4));
  t.is(withoutBoot(after.ipv6), withoutBoot(before.ipv6));
  t.notRegex(after.ipv4 ?? '', /nym_|nym-vpn/);
});
