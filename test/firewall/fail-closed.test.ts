// Issue #11.7: the kill switch fails closed. A full or read-only /var/run no longer keeps the kill switch out
// of the kernel (it is loaded from its text; the stale runtime file goes, so a fw4 reload cannot bring back
// older rules); a state nft or iptables refuses (an interface name) leaves the previous kill switch, or, with
// none, the strictest rules that need no config; and read() says what the kernel holds.
import test from 'ava';
import { execFile } from 'node:child_process';
import { mkdir, writeFile, readdir } from 'node:fs/promises';
import { promisify } from 'node:util';
import { Firewall, FirewallFailedClosed } from '../../src/firewall/firewall.js';
import { connectionFirewall } from '../../src/firewall/port.js';
import { Lab, type Netns } from '../../tools/lab/netns.js';
import { fw4 } from './fw4-emulator.js';
import { TOPO_STATE, scratchRoot, type ScratchRoot } from './probes.js';

const run = promisify(execFile);
let lab: Lab;

test.before(async () => {
  lab = await Lab.create({ prefix: 'nfcl' });
});
test.after.always(async () => {
  await lab?.destroy();
});

/** A tmpfs of `kb` KiB over the runtime folder, filled up, or mounted read-only. */
async function squeeze(s: ScratchRoot, how: 'full' | 'read-only'): Promise<() => Promise<void>> {
  const dir = s.paths.runtimeDir;
  await mkdir(dir, { recursive: true });
  // What an earlier run left: the file fw4 would reload.
  await writeFile(s.paths.runtimeNft, '# stale: lifted\n');
  if (how === 'full') {
    await run('mount', ['-t', 'tmpfs', '-o', 'size=16k', 'tmpfs', dir]);
    await writeFile(s.paths.runtimeNft, '# stale: lifted\n');
    // Fill it: the next write fails with ENOSPC.
    await writeFile(`${dir}/filler`, Buffer.alloc(64 * 1024)).catch(() => {});
  } else {
    await run('mount', ['-t', 'tmpfs', '-o', 'size=16k', 'tmpfs', dir]);
    await writeFile(s.paths.runtimeNft, '# stale: lifted\n');
    await run('mount', ['-o', 'remount,ro', dir]);
  }
  return async () => {
    await run('umount', [dir]).catch(() => {});
  };
}

const tables = async (ns: Netns): Promise<string> => (await ns.exec('nft', ['list', 'tables'])).stdout;

for (const how of ['full', 'read-only'] as const) {
  test(`a ${how} /var/run: the kill switch still reaches the kernel, status says it would not survive a firewall restart, the stale file is gone`, async (t) => {
    const ns = await lab.namespace();
    const s = await scratchRoot({ backend: 'fw4', bootGuard: false });
    const undo = await squeeze(s, how);
    t.teardown(async () => {
      await undo();
      await s.cleanup();
    });
    const fw = await Firewall.create({ root: s.root, netns: ns.name, backend: 'fw4' });
    const { state: _s, endpoints: _e, ...base } = TOPO_STATE;
    const port = connectionFirewall(fw, () => base);
    await port.apply('connecting');
    t.regex(await tables(ns), /table inet nym\n/);
    const r = await port.read();
    t.true(r.active);
    t.regex(r.problem ?? '', /not written/);
    if (how === 'full') {
      // ENOSPC still allows an unlink: the stale file that says "lifted" went.
      t.false((await readdir(s.paths.runtimeDir)).includes('ruleset.nft'));
      // A fw4 reload (its own table replaced, our include run) keeps our table.
      const emu = fw4(ns, s.root);
      await emu.start();
      await emu.reload();
      t.regex(await tables(ns), /table inet nym\n/);
    }
  });
}

test('a refused interface name with nothing in the kernel: the fail-closed table goes in, and the error says so', async (t) => {
  const ns = await lab.namespace();
  const s = await scratchRoot({ backend: 'fw4', bootGuard: false });
  t.teardown(() => s.cleanup());
  const fw = await Firewall.create({ root: s.root, netns: ns.name, backend: 'fw4' });
  const { state: _s, endpoints: _e, ...base } = TOPO_STATE;
  const port = connectionFirewall(fw, () => ({ ...base, tunnelInterface: 'n"x' }));
  const e = await t.throwsAsync(port.apply('connecting'), { instanceOf: FirewallFailedClosed });
  t.true(e!.blocked);
  t.regex(e!.message, /failed closed/);
  const ruleset = (await ns.exec('nft', ['list', 'ruleset'])).stdout;
  t.regex(ruleset, /nym-vpn failed closed: no forwarding/);
  t.true((await port.read()).active);
  // The owner's disconnect still lifts it.
  await port.lift();
  t.is(await tables(ns), '');
  t.false((await port.read()).active);
});

test('a refused state with a kill switch already in the kernel: that one stays', async (t) => {
  const ns = await lab.namespace();
  const s = await scratchRoot({ backend: 'fw4', bootGuard: false });
  t.teardown(() => s.cleanup());
  const fw = await Firewall.create({ root: s.root, netns: ns.name, backend: 'fw4' });
  let tunnel = 'nym0';
  const { state: _s, endpoints: _e, ...base } = TOPO_STATE;
  const port = connectionFirewall(fw, () => ({ ...base, tunnelInterface: tunnel }));
  await port.apply('connecting');
  const good = (await ns.exec('nft', ['list', 'table', 'inet', 'nym'])).stdout;
  tunnel = 'a;b';
  const e = await t.throwsAsync(port.apply('connected'), { instanceOf: FirewallFailedClosed });
  t.regex(e!.message, /previous kill switch stays/);
  t.is((await ns.exec('nft', ['list', 'table', 'inet', 'nym'])).stdout, good);
});

test('fw3: a refused interface name puts the guard chains first in FORWARD and OUTPUT', async (t) => {
  const ns = await lab.namespace();
  const s = await scratchRoot({ backend: 'fw3', bootGuard: false });
  t.teardown(() => s.cleanup());
  const fw = await Firewall.create({ root: s.root, netns: ns.name, backend: 'fw3' });
  const { state: _s, endpoints: _e, ...base } = TOPO_STATE;
  const port = connectionFirewall(fw, () => ({ ...base, tunnelInterface: 'bad name' }));
  await t.throwsAsync(port.apply('connecting'), { instanceOf: FirewallFailedClosed });
  const fwd = (await ns.exec('iptables', ['-w', '-S', 'FORWARD'])).stdout.split('\n').filter((l) => l.startsWith('-A'));
  t.regex(fwd[0] ?? '', /-j nym_boot_forward/);
  t.true((await port.read()).active);
  await port.lift();
  t.false((await port.read()).active);
});
