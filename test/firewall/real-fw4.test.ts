// Our fw4 include through the REAL firewall4 (openwrt/firewall4 with real ucode/utpl and ubusd, built from
// ../shared/openwrt): in a private network and mount namespace where /usr/share, /etc and /run show fw4's
// OpenWrt tree, its default /etc/config/firewall and our /usr/share/nftables.d/ruleset-post/20-nym-vpn.nft,
// `fw4 print` renders our include after its table, `fw4 check` (nft -c) accepts it, and `fw4 start` /
// `fw4 reload` really load it: fw4's table alone, then with the boot guard, then the kill switch replacing
// the boot guard in the same transaction, then the lifted file removing ours — and `fw4 stop` leaves our
// tables. Without ../shared the tests skip, saying why.
import test from 'ava';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderBootGuard } from '../../src/firewall/nft-boot-guard.js';
import { renderFw4Include } from '../../src/firewall/fw4-include.js';
import { renderKillSwitch, renderLifted } from '../../src/firewall/nft-kill-switch.js';
import { firewallPaths, type FirewallPaths } from '../../src/firewall/paths.js';
import { killSwitchSpec } from '../../src/firewall/spec.js';
import { DEFAULT_BOOT_GUARD } from '../../src/firewall/types.js';
import { openwrtParts, type OpenwrtParts } from '../helpers/openwrt-parts.js';
import { TOPO_STATE } from './probes.js';

const parts = await openwrtParts();

interface Fw4Namespace {
  /** Runs a command inside the namespace (PATH has the built parts first). */
  run(cmd: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }>;
  fw4(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }>;
  tables(): Promise<string>;
  stop(): Promise<void>;
}

/** A namespace holder process (`unshare -n -m`, mounts made, then sleep); commands enter it with nsenter. */
async function fw4Namespace(p: OpenwrtParts, paths: FirewallPaths, dir: string): Promise<Fw4Namespace> {
  const share = join(dir, 'share');
  cpSync(join(p.prefix, 'fw4root/usr/share/firewall4'), join(share, 'firewall4'), { recursive: true });
  mkdirSync(join(share, 'ucode'), { recursive: true });
  cpSync(join(p.prefix, 'fw4root/usr/share/ucode/fw4.uc'), join(share, 'ucode/fw4.uc'));
  mkdirSync(join(share, 'nftables.d/ruleset-post'), { recursive: true });
  mkdirSync(join(share, 'nftables.d/table-post'), { recursive: true });
  writeFileSync(join(share, 'nftables.d/ruleset-post/20-nym-vpn.nft'), renderFw4Include(paths));
  mkdirSync(join(dir, 'etc/config'), { recursive: true });
  cpSync(join(p.prefix, 'fw4root/etc/config/firewall'), join(dir, 'etc/config/firewall'));
  for (const d of ['up-share', 'work-share', 'up-etc', 'work-etc']) mkdirSync(join(dir, d));
  const script = [
    'set -e',
    `mount -t overlay overlay -o lowerdir=${share}:/usr/share,upperdir=${dir}/up-share,workdir=${dir}/work-share /usr/share`,
    `mount -t overlay overlay -o lowerdir=${dir}/etc:/etc,upperdir=${dir}/up-etc,workdir=${dir}/work-etc /etc`,
    'mount -t tmpfs tmpfs /run',
    'mkdir -p /run/ubus',
    'ip link set lo up',
    // fw4 asks the bus for network interfaces; with none it renders zones without devices.
    `${p.ubusd} -s /run/ubus/ubus.sock &`,
    'echo "ready $!"',
    'exec sleep infinity',
  ].join('\n');
  const holder: ChildProcess = spawn('unshare', ['-n', '-m', '--propagation', 'private', 'bash', '-c', script], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  let ubusdPid = 0;
  holder.stderr!.on('data', (d: Buffer) => { err += d.toString(); });
  await new Promise<void>((ok, fail) => {
    holder.stdout!.on('data', (d: Buffer) => {
      const m = /ready (\d+)/.exec(d.toString());
      if (m) { ubusdPid = Number(m[1]); ok(); }
    });
    holder.once('exit', (c) => fail(new Error(`namespace holder exited (${c}): ${err}`)));
  });
  const env = { ...process.env, PATH: `${p.prefix}/bin:${p.prefix}/sbin:${process.env.PATH}` };
  const run = (cmd: string, args: string[]) => new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile('nsenter', ['-t', String(holder.pid), '-n', '-m', cmd, ...args], { env, timeout: 60_000, maxBuffer: 16 << 20 }, (e, stdout, stderr) => {
      resolve({ code: e ? (typeof e.code === 'number' ? e.code : -1) : 0, stdout, stderr });
    });
  });
  return {
    run,
    fw4: (...args) => run('busybox', ['sh', join(p.prefix, 'fw4root/sbin/fw4'), ...args]),
    tables: async () => (await run('nft', ['list', 'tables'])).stdout,
    stop: async () => {
      // The ubusd started in the background would outlive the holder (and keep its pipes open).
      if (ubusdPid > 0) { try { process.kill(ubusdPid, 'SIGKILL'); } catch { /* gone already */ } }
      // Already ended (by a signal too: then exitCode stays null and no 'exit' would come again).
      if (holder.exitCode !== null || holder.signalCode !== null) return;
      await Promise.race([
        new Promise<void>((r) => { holder.once('exit', () => r()); holder.kill('SIGKILL'); }),
        new Promise<void>((r) => setTimeout(r, 5000).unref()),
      ]);
    },
  };
}

if ('skip' in parts) {
  test('our include through the real fw4', (t) => { t.log(`skipped: ${parts.skip}`); t.pass(); });
}
else {
  let dir: string;
  let paths: FirewallPaths;
  let ns: Fw4Namespace;

  test.before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'nym-real-fw4-'));
    paths = firewallPaths(join(dir, 'root'));
    ns = await fw4Namespace(parts, paths, dir);
  });

  test.after.always(async () => {
    await ns?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test.serial('fw4 print renders our include after its own table, and nft -c accepts the whole ruleset', async (t) => {
    const printed = await ns.fw4('-q', 'print');
    t.is(printed.code, 0, printed.stderr);
    t.regex(printed.stdout, /^table inet fw4 \{/m);
    t.regex(printed.stdout, /\n\}\n\ninclude "\/usr\/share\/nftables\.d\/ruleset-post\/20-nym-vpn\.nft"\n/);
    const check = await ns.fw4('check');
    t.is(check.code, 0, check.stderr + check.stdout);
    t.regex(check.stdout, /Ruleset passes nftables check/);
  });

  test.serial('fw4 start and reload load our files in its transaction: none, boot guard, kill switch, lifted', async (t) => {
    const start = await ns.fw4('-q', 'start');
    t.is(start.code, 0, start.stderr);
    t.is(await ns.tables(), 'table inet fw4\n', 'no file of ours yet: the wildcards match nothing');

    mkdirSync(paths.bootGuardDir, { recursive: true });
    writeFileSync(paths.bootGuardNft, renderBootGuard(DEFAULT_BOOT_GUARD));
    t.is((await ns.fw4('-q', 'check')).code, 0);
    t.is((await ns.fw4('-q', 'reload')).code, 0);
    t.is(await ns.tables(), 'table inet fw4\ntable inet nym_boot\n');

    mkdirSync(paths.runtimeDir, { recursive: true });
    writeFileSync(paths.runtimeNft, renderKillSwitch(killSwitchSpec(TOPO_STATE)));
    t.is((await ns.fw4('-q', 'check')).code, 0);
    t.is((await ns.fw4('-q', 'reload')).code, 0);
    t.is(await ns.tables(), 'table inet fw4\ntable inet nym\n', 'the kill switch deletes the boot guard in the same transaction');
    const nym = await ns.run('nft', ['list', 'table', 'inet', 'nym']);
    t.regex(nym.stdout, /chain forward \{\n\t\ttype filter hook forward priority/);

    writeFileSync(paths.runtimeNft, renderLifted());
    t.is((await ns.fw4('-q', 'reload')).code, 0);
    t.is(await ns.tables(), 'table inet fw4\n');
  });

  test.serial('fw4 stop removes its table and leaves ours', async (t) => {
    writeFileSync(paths.runtimeNft, renderKillSwitch(killSwitchSpec(TOPO_STATE)));
    t.is((await ns.fw4('-q', 'reload')).code, 0);
    t.is(await ns.tables(), 'table inet fw4\ntable inet nym\n');
    t.is((await ns.fw4('-q', 'stop')).code, 0);
    t.is(await ns.tables(), 'table inet nym\n');
  });
}
