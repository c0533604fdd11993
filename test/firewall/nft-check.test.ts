// Every nftables file we render passes `nft -c -f` on its own, and the include files pass inside the
// emulated fw4 ruleset (fw4's table, chain names and include discovery) in every combination of present
// and absent files; a file that fails the check never replaces the one fw4 loads; hooks and priorities in
// the kernel are what the comments promise; without fw4 the tables load on their own.
import test from 'ava';
import { mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { NftApplier } from '../../src/firewall/apply-nft.js';
import { commandRunner } from '../../src/system/command.js';
import { Firewall } from '../../src/firewall/firewall.js';
import { renderBootGuard } from '../../src/firewall/nft-boot-guard.js';
import { connectionFirewall } from '../../src/firewall/port.js';
import { parseEndpoint } from '../../src/net/endpoint.js';
import { renderKillSwitch, renderLifted } from '../../src/firewall/nft-kill-switch.js';
import { killSwitchSpec } from '../../src/firewall/spec.js';
import { DEFAULT_BOOT_GUARD } from '../../src/firewall/types.js';
import { Lab, type Netns } from '../../tools/lab/netns.js';
import { fw4 } from './fw4-emulator.js';
import { TOPO_STATE, scratchRoot } from './probes.js';
import { REPRESENTATIVE } from './states.js';

let lab: Lab;
const fresh = async (): Promise<Netns> => lab.namespace();

test.before(async () => {
  lab = await Lab.create({ prefix: 'nfc' });
});

test.after.always(async () => {
  await lab?.destroy();
});

const check = (ns: Netns, text: string): Promise<unknown> => ns.exec('nft', ['-c', '-f', '-'], { input: text });

test('nft -c: every representative kill switch, the lifted file and the boot guard, alone', async (t) => {
  const ns = await fresh();
  for (const [name, state] of Object.entries(REPRESENTATIVE)) {
    await t.notThrowsAsync(check(ns, renderKillSwitch(killSwitchSpec(state))), name);
  }
  await t.notThrowsAsync(check(ns, renderLifted()));
  await t.notThrowsAsync(check(ns, renderBootGuard(DEFAULT_BOOT_GUARD)));
  await t.notThrowsAsync(check(ns, renderBootGuard({ tunnel: 'wg-nym.1', fwmark: 0xffffffff })));
  // And they load, twice in a row (replacing themselves), into a kernel that has nothing of ours.
  for (const text of [renderBootGuard(DEFAULT_BOOT_GUARD), renderKillSwitch(killSwitchSpec(REPRESENTATIVE.connected!)), renderKillSwitch(killSwitchSpec(REPRESENTATIVE.connected!)), renderLifted(), renderLifted()]) {
    await t.notThrowsAsync(ns.exec('nft', ['-f', '-'], { input: text }));
  }
  t.is((await ns.exec('nft', ['list', 'ruleset'])).stdout, '');
});

test('inside fw4: the include with no boot guard and no runtime file, with each, and with both', async (t) => {
  const ns = await fresh();
  const s = await scratchRoot({ backend: 'fw4', bootGuard: false });
  t.teardown(() => s.cleanup());
  const emu = fw4(ns, s.root);
  t.regex(emu.print(), new RegExp(`}\\ninclude "${s.paths.fw4Include}"\\n$`), 'ruleset-post: after the fw4 table');
  const tables = async (): Promise<string> => (await ns.exec('nft', ['list', 'tables'])).stdout;
  await emu.check();
  await emu.start();
  t.is(await tables(), 'table inet fw4\n');
  await mkdir(s.paths.bootGuardDir, { recursive: true });
  await writeFile(s.paths.bootGuardNft, renderBootGuard(DEFAULT_BOOT_GUARD));
  await emu.check();
  await emu.reload();
  t.is(await tables(), 'table inet fw4\ntable inet nym_boot\n');
  await mkdir(s.paths.runtimeDir, { recursive: true });
  await writeFile(s.paths.runtimeNft, renderKillSwitch(killSwitchSpec(TOPO_STATE)));
  await emu.check();
  await emu.reload();
  t.is(await tables(), 'table inet fw4\ntable inet nym\n', 'the kill switch deletes the boot guard in the same transaction');
  await writeFile(s.paths.runtimeNft, renderLifted());
  await emu.reload();
  t.is(await tables(), 'table inet fw4\n');
});

test('fw4 skips a dangling symlink in its folders; our include needs none (wildcards that match nothing are fine)', async (t) => {
  const ns = await fresh();
  const s = await scratchRoot({ backend: 'fw4', bootGuard: false });
  t.teardown(() => s.cleanup());
  await symlink('/nonexistent/x.nft', s.paths.fw4Include.replace('20-nym-vpn', '30-dangling'));
  await t.notThrowsAsync(fw4(ns, s.root).start());
});

test('hooks and priorities in the kernel: ours before fw4\'s on forward and output', async (t) => {
  const ns = await fresh();
  const s = await scratchRoot({ backend: 'fw4' });
  t.teardown(() => s.cleanup());
  await fw4(ns, s.root).start();
  await ns.exec('nft', ['-f', '-'], { input: renderKillSwitch(killSwitchSpec(TOPO_STATE)) });
  await ns.exec('nft', ['-f', '-'], { input: renderBootGuard(DEFAULT_BOOT_GUARD) });
  const json = JSON.parse((await ns.exec('nft', ['-j', 'list', 'chains'])).stdout) as { nftables: Array<{ chain?: { table: string; name: string; hook?: string; prio?: number; policy?: string } }> };
  const base = (table: string, hook: string) => json.nftables.map((o) => o.chain).find((c) => c?.table === table && c.hook === hook && (table !== 'fw4' || c.name === hook));
  t.like(base('fw4', 'forward'), { prio: 0 });
  t.like(base('nym', 'forward'), { prio: -10, policy: 'accept' });
  t.like(base('nym', 'output'), { prio: -10, policy: 'drop' });
  t.like(base('nym_boot', 'forward'), { prio: -20, policy: 'accept' });
  t.like(base('nym_boot', 'output'), { prio: -20, policy: 'drop' });
});

test('a file that fails nft -c never replaces the one fw4 loads; the kernel keeps the old rules', async (t) => {
  const ns = await fresh();
  const s = await scratchRoot({ backend: 'fw4' });
  t.teardown(() => s.cleanup());
  const nft = new NftApplier(commandRunner(ns.name));
  const good = renderKillSwitch(killSwitchSpec(TOPO_STATE));
  await nft.writeAndLoad(s.paths.runtimeNft, good);
  const bad = good.replace('policy drop;', 'policy dorp;');
  await t.throwsAsync(nft.writeAndLoad(s.paths.runtimeNft, bad), { message: /nft -c -f .*\.ruleset\.nft\.[0-9a-f]{12}\.tmp: .*dorp/s });
  t.is(await readFile(s.paths.runtimeNft, 'utf8'), good);
  t.deepEqual(await nft.inetTables(), ['nym']);
  await t.notThrowsAsync(fw4(ns, s.root).check());
});

test('without fw4 or fw3 (a plain Linux): backend nftables, the same tables loaded on their own', async (t) => {
  const ns = await fresh();
  const s = await scratchRoot({ bootGuard: false });
  t.teardown(() => s.cleanup());
  const firewall = await Firewall.create({ root: s.root, netns: ns.name });
  t.is(firewall.backend, 'nftables');
  t.is(await firewall.apply(TOPO_STATE), 'kill-switch');
  t.like(await firewall.status(), { killSwitch: true, bootGuard: false, bootGuardEnabled: true });
  t.is(await readFile(s.paths.bootGuardNft, 'utf8'), renderBootGuard(DEFAULT_BOOT_GUARD), 'the boot guard file follows the setting');
  await firewall.lift();
  t.is((await ns.exec('nft', ['list', 'ruleset'])).stdout, '');
  const forced = await Firewall.create({ root: s.root, netns: ns.name, backend: 'fw3' });
  t.is(forced.backend, 'fw3', 'UCI firewall_backend wins over detection');
});

test('calls that overlap run one at a time in call order: the last state wins', async (t) => {
  const ns = await fresh();
  const s = await scratchRoot({ bootGuard: false });
  t.teardown(() => s.cleanup());
  const firewall = await Firewall.create({ root: s.root, netns: ns.name });
  const states = Array.from({ length: 12 }, (_, i) => ({ ...TOPO_STATE, endpoints: [{ address: '203.0.113.10', port: 1000 + i }] }));
  const results = await Promise.all([...states.map((st) => firewall.apply(st)), firewall.lift(), firewall.apply(states[5]!)]);
  t.deepEqual(results.filter((r) => r !== undefined), [...states.map(() => 'kill-switch'), 'kill-switch']);
  t.is(await readFile(s.paths.runtimeNft, 'utf8'), renderKillSwitch(killSwitchSpec(states[5]!)));
  t.regex((await ns.exec('nft', ['list', 'chain', 'inet', 'nym', 'output'])).stdout, /udp dport 1005 accept/);
  // A bad state is refused before anything changes: the kernel keeps the last good one.
  await t.throwsAsync(firewall.apply({ ...TOPO_STATE, lan: { interfaces: ['bad name'] } }), { message: /lan\.interfaces\[0\]/ });
  t.regex((await ns.exec('nft', ['list', 'chain', 'inet', 'nym', 'output'])).stdout, /udp dport 1005 accept/);
  await firewall.uninstall();
});

test('the connection\'s port: steps with an entry endpoint; lift() keeps the kill switch while always-on; read() is the kernel', async (t) => {
  const ns = await fresh();
  const s = await scratchRoot({ bootGuard: false });
  t.teardown(() => s.cleanup());
  const firewall = await Firewall.create({ root: s.root, netns: ns.name });
  let alwaysOn = false;
  const { state: _s, endpoints: _e, ...base } = TOPO_STATE;
  const port = connectionFirewall(firewall, () => ({ ...base, alwaysOn }));
  await port.apply('connecting');
  t.notRegex((await ns.exec('nft', ['list', 'chain', 'inet', 'nym', 'output'])).stdout, /entry endpoint/);
  await port.apply('connected', parseEndpoint('[2001:db8::1]:51820'));
  t.like(await port.read(), { active: true });
  t.regex((await ns.exec('nft', ['list', 'chain', 'inet', 'nym', 'output'])).stdout, /ip6 daddr 2001:db8::1 udp dport 51820 accept/);
  alwaysOn = true;
  await port.lift();
  t.like(await firewall.status(), { killSwitch: true });
  alwaysOn = false;
  await port.lift();
  t.like(await firewall.status(), { killSwitch: false, bootGuardEnabled: true });
  t.like(await port.read(), { active: false });
  await firewall.uninstall();
});
