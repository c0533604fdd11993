// What installing, upgrading and removing our packages must do on a router, whichever package manager
// does it (apk-install.test.ts: the real apk-tools 3; ipk-install.test.ts: opkg's steps, opkg-model.ts).
// Packages are built once per test file into a temporary folder: release 1, and release 2 as the
// "newer build" for the upgrade.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import type { ExecutionContext } from 'ava';
import { repoRoot } from '../helpers/bus.js';
import { pathOf, readTarGz, type TarEntry } from './tar.js';
import { RouterRoot } from './router-root.js';

export const EPOCH = 1_700_000_000;
export const VERSION = (JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string }).version;

export interface Built { dir: string; release1: string[]; release2: string[] }

/** path, size and mtime of every file under the inputs: a new build (make build) or edit changes it. */
function inputsDigest(): string {
  const h = createHash('sha256');
  const walk = (p: string) => {
    const st = statSync(p, { throwIfNoEntry: false });
    if (!st) return;
    if (st.isDirectory()) { for (const n of readdirSync(p).sort()) walk(join(p, n)); return; }
    h.update(`${p} ${st.size} ${st.mtimeMs}\n`);
  };
  for (const p of ['scripts/package.sh', 'openwrt', 'files', 'luci-app', 'package.json', 'package-lock.json', 'ubus-schema', 'dist/src', 'build/Release/nym_vpn_native.node']) walk(join(repoRoot, p));
  return h.digest('hex').slice(0, 16);
}

/**
 * `scripts/package.sh` twice (releases 1 and 2): the printed file names. The three install tests need
 * the same packages, so they are built once per checkout state into build/test-packages/<digest>
 * (written to a temporary folder and renamed into place, so that test files running at the same
 * time never see half a set).
 */
export function buildPackages(): Built {
  const cache = join(repoRoot, 'build/test-packages');
  const dir = join(cache, inputsDigest());
  const names = (release: string) => [`nym-vpn_${VERSION}-${release}_x86_64.ipk`, `nym-vpn-${VERSION}-r${release}.apk`,
    `luci-app-nym-vpn_${VERSION}-${release}_all.ipk`, `luci-app-nym-vpn-${VERSION}-r${release}.apk`].map((n) => join(dir, n));
  if (!existsSync(dir)) {
    mkdirSync(cache, { recursive: true });
    const work = mkdtempSync(join(cache, 'work-'));
    const build = (release: string) => execFileSync('bash', [join(repoRoot, 'scripts/package.sh')], {
      env: { ...process.env, NYM_PACKAGE_OUT: work, SOURCE_DATE_EPOCH: String(EPOCH), NYM_PACKAGE_RELEASE: release },
      encoding: 'utf8', timeout: 300_000,
    });
    build('1');
    build('2');
    // Older sets are of no use any more.
    for (const n of readdirSync(cache)) if (!n.startsWith('work-')) rmSync(join(cache, n), { recursive: true, force: true });
    try { renameSync(work, dir); } catch { rmSync(work, { recursive: true, force: true }); }
  }
  return { dir, release1: names('1'), release2: names('2') };
}

/** The data of an .ipk: path -> entry (the same staged tree as the .apk's, so the expected layout of both). */
export function ipkData(ipk: string): Map<string, TarEntry> {
  const outer = readTarGz(readFileSync(ipk));
  const data = outer.find((e) => e.name === './data.tar.gz')!.data;
  return new Map(readTarGz(data).map((e) => [pathOf(e), e]));
}

/** How one package manager acts on a RouterRoot. */
export interface Manager {
  /** The packages a router has from its feeds (libc, node, kmod-tun, ip-full, luci-base). */
  provideDependencies(): void;
  install(files: string[]): void;
  upgrade(file: string): void;
  remove(names: string[]): void;
  /** The conffiles the manager recorded for nym-vpn. */
  conffiles(): string[];
  /** The manager's own files (database, logs), which stay after a removal. */
  isBookkeeping(path: string): boolean;
  /** Where the manager puts the package's version of a conffile the owner changed. */
  newConffileBeside(path: string): string;
}

export const DEPENDENCIES = ['libc', 'node', 'kmod-tun', 'ip-full', 'luci-base'];

/** Every file and symlink the package installs, with mode and target, from its .ipk's data. */
export function expectedFiles(data: Map<string, TarEntry>): Map<string, TarEntry> {
  return new Map([...data].filter(([, e]) => e.type !== '5'));
}

/**
 * The whole life on one router: install, check, upgrade with a changed conffile, remove. `fw` is the
 * firewall the router runs (fw4 on 24.10 and 25.12; fw3 on older images).
 */
export async function lifeOnARouter(t: ExecutionContext, fw: 'fw4' | 'fw3', make: (root: RouterRoot) => Manager, built: Built): Promise<void> {
  const root = await RouterRoot.create(fw);
  try {
    const m = make(root);
    const [mainIpk, mainApk, luciIpk, luciApk] = built.release1;
    const mainIpk2 = built.release2[0]!;
    const mainApk2 = built.release2[1]!;
    const isApk = m.newConffileBeside('/x').endsWith('.apk-new');
    const before = { network: root.uciShow('network'), firewall: root.uciShow('firewall'), files: root.files() };
    t.regex(before.firewall, /name='lan'/);

    m.provideDependencies();
    m.install(isApk ? [mainApk!, luciApk!] : [mainIpk!, luciIpk!]);

    // Files, modes and owners as packaged (the .ipk's data is the same staged tree as the .apk's).
    const data = ipkData(mainIpk!);
    for (const [p, e] of expectedFiles(data)) {
      if (p.startsWith('/etc/uci-defaults/')) continue; // applied and deleted, checked below
      const full = join(root.dir, p);
      const st = lstatSync(full, { throwIfNoEntry: false });
      if (!st) { t.fail(`${p} is not installed`); continue; }
      t.is(`${st.uid}:${st.gid}`, '0:0', p);
      if (e.type === '2') t.is(readlinkSync(full), e.linkname, p);
      else t.is(st.mode & 0o7777, e.mode, p);
    }
    t.is(lstatSync(join(root.dir, 'etc/nym-vpn')).mode & 0o777, 0o700, '/etc/nym-vpn: root only');
    t.deepEqual(m.conffiles(), ['/etc/config/nym-vpn']);
    if (isApk) {
      const list = root.read('lib/apk/packages/nym-vpn.list').trim().split('\n');
      t.deepEqual(list, [...expectedFiles(data).keys()].sort(), 'the apk\'s file list is what default_postinst reads');
      const [file, sum] = root.read('lib/apk/packages/nym-vpn.conffiles_static').trim().split(' ');
      t.is(file, '/etc/config/nym-vpn');
      t.is(sum, execFileSync('sha256sum', [join(root.dir, 'etc/config/nym-vpn')], { encoding: 'utf8' }).split(' ')[0]);
    }

    // Post-install on a running router: uci-defaults applied (and deleted), enabled, started once.
    t.deepEqual(root.takeInitLog(), ['nym-vpn enable', 'nym-vpn start', 'spawn nym-vpn']);
    t.is(readlinkSync(join(root.dir, 'etc/rc.d/S90nym-vpn')), '../init.d/nym-vpn');
    t.is(readlinkSync(join(root.dir, 'etc/rc.d/K10nym-vpn')), '../init.d/nym-vpn');
    t.false(existsSync(join(root.dir, 'etc/uci-defaults/50-nym-vpn-firewall')));
    t.false(existsSync(join(root.dir, 'etc/uci-defaults/60-nym-vpn-interface')));
    const network = root.uciShow('network');
    t.true(network.startsWith(before.network), 'the network config is only added to');
    t.is(network.slice(before.network.length), "network.nym0=interface\nnetwork.nym0.proto='none'\nnetwork.nym0.device='nym0'\n");
    const firewall = root.uciShow('firewall');
    t.true(firewall.startsWith(before.firewall), 'the firewall config is only added to');
    const added = firewall.slice(before.firewall.length);
    t.regex(added, /^firewall\.nym_vpn_zone=zone\nfirewall\.nym_vpn_zone\.name='nymvpn'\nfirewall\.nym_vpn_zone\.network='nym0'\nfirewall\.nym_vpn_zone\.input='REJECT'\n/m);
    t.regex(added, /^firewall\.nym_vpn_lan\.src='lan'\nfirewall\.nym_vpn_lan\.dest='nymvpn'$/m);
    if (fw === 'fw3') t.regex(added, /^firewall\.nym_vpn=include\nfirewall\.nym_vpn\.type='script'\nfirewall\.nym_vpn\.path='\/usr\/lib\/nym-vpn\/fw3-include\.sh'\nfirewall\.nym_vpn\.reload='1'$/m);
    else t.notRegex(added, /firewall\.nym_vpn=include/, 'fw4 reads its include file by itself');

    // The owner changes a setting; a newer build comes.
    const config = join(root.dir, 'etc/config/nym-vpn');
    const edited = readFileSync(config, 'utf8').replace("option autoconnect '0'", "option autoconnect '1'");
    t.not(edited, readFileSync(config, 'utf8'));
    writeFileSync(config, edited);
    m.upgrade(isApk ? mainApk2 : mainIpk2);
    t.is(readFileSync(config, 'utf8'), edited, 'the changed conffile is kept');
    const beside = join(root.dir, m.newConffileBeside('/etc/config/nym-vpn'));
    t.deepEqual(readFileSync(beside), data.get('/etc/config/nym-vpn')!.data, 'the package\'s version waits beside it');
    const upgradeLog = root.takeInitLog();
    t.deepEqual(upgradeLog.filter((l) => /^(spawn|kill) /.test(l)), ['kill nym-vpn', 'spawn nym-vpn'], `restarted once: ${upgradeLog.join(', ')}`);
    t.false(upgradeLog.includes('nym-vpn disable'), 'an upgrade keeps it enabled');
    t.true(existsSync(join(root.dir, 'etc/rc.d/S90nym-vpn')));
    t.is(root.uciShow('network'), network, 'the uci-defaults ran again on the upgrade and added nothing twice');
    t.is(root.uciShow('firewall'), firewall);

    // Removal: stopped, disabled, everything added taken out again.
    m.remove(['luci-app-nym-vpn', 'nym-vpn']);
    t.deepEqual(root.takeInitLog(), ['nym-vpn disable', 'nym-vpn stop', 'kill nym-vpn']);
    t.is(root.uciShow('network'), before.network, 'nym0 interface gone');
    t.is(root.uciShow('firewall'), before.firewall, 'zone, forwarding and fw3 include gone');
    t.false(existsSync(join(root.dir, 'etc/rc.d/S90nym-vpn')));
    t.false(existsSync(join(root.dir, 'etc/nym-vpn/boot-guard/boot-guard.nft')), 'boot guard gone');
    t.false(existsSync(join(root.dir, 'usr/share/nftables.d/ruleset-post/20-nym-vpn.nft')), 'fw4 include gone');
    const left = [...root.files()].filter((p) => !before.files.has(p) && !m.isBookkeeping(p)
      && !p.startsWith('/tmp/.uci/') && !p.startsWith('/var/log/') && !p.startsWith('/var/run/procd/')).sort();
    t.deepEqual(left, ['/etc/config/nym-vpn'], 'nothing left but the settings the owner changed');
  } finally {
    root.remove();
  }
}

/** Kept for the next test file (build/test-packages is a cache); nothing to remove. */
export function removeBuilt(_built: Built | undefined): void {}

/** apk-tools 3, built from ../shared/apk-tools into build/ (once; build.sh keeps a stamp). */
export const APK = join(repoRoot, 'build/apk-tools/bin/apk');
export const SHARED_APK = join(repoRoot, '../shared/apk-tools/build.sh');

/** For the apk tests' before hook: apk-tools built, the packages built, and what a router's feeds provide as
 * empty packages of the same names (in `stubs`). */
export function prepareApk(): { built: Built; stubs: string } {
  execFileSync('bash', [SHARED_APK, join(repoRoot, 'build/apk-tools')], { stdio: 'ignore', timeout: 600_000 });
  const built = buildPackages();
  const stubs = mkdtempSync(join(tmpdir(), 'nym-apk-stubs-'));
  mkdirSync(join(stubs, 'empty'));
  for (const name of DEPENDENCIES) {
    execFileSync(APK, ['mkpkg', '--info', `name:${name}`, '--info', 'version:1.0-r1', '--info', 'arch:x86_64', '--info', 'description:feed stand-in',
      '--files', join(stubs, 'empty'), '--output', join(stubs, `${name}.apk`)]);
  }
  return { built, stubs };
}

export function cleanUpApk(p: { built: Built; stubs: string } | undefined): void {
  if (!p) return;
  removeBuilt(p.built);
  rmSync(p.stubs, { recursive: true, force: true });
}
