// The .apk packages installed, upgraded and removed by the real apk-tools 3 (built from
// ../shared/apk-tools), in an OpenWrt-shaped root, with the maintainer scripts chrooted into it as apk
// runs them on a router (router-root.ts, router-scenario.ts). Skips with one line without ../shared.
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { routerRootUnavailable, type RouterRoot } from './router-root.js';
import { DEPENDENCIES, lifeOnARouter, type Built, type Manager, APK, SHARED_APK, cleanUpApk, prepareApk } from './router-scenario.js';

const why = existsSync(SHARED_APK) ? await routerRootUnavailable() : `apk-tools 3 is not here (${SHARED_APK} is missing)`;

let prepared: ReturnType<typeof prepareApk> | undefined;
let stubs = '';
let built: Built | undefined;
test.before(() => {
  if (why) return;
  prepared = prepareApk();
  ({ built, stubs } = prepared);
});
test.after.always(() => cleanUpApk(prepared));

function apk(root: RouterRoot, args: string[]): string {
  return execFileSync(APK, ['--root', root.dir, '--no-network', '--allow-untrusted', ...args], { encoding: 'utf8' });
}

const apkManager = (root: RouterRoot): Manager => ({
  provideDependencies: () => { apk(root, ['add', '--initdb', ...DEPENDENCIES.map((n) => join(stubs, `${n}.apk`))]); },
  install: (files) => { apk(root, ['add', ...files]); },
  upgrade: (file) => { apk(root, ['add', file]); },
  remove: (names) => { apk(root, ['del', ...names]); },
  conffiles: () => readFileSync(join(root.dir, 'lib/apk/packages/nym-vpn.conffiles'), 'utf8').trim().split('\n'),
  isBookkeeping: (p) => p.startsWith('/lib/apk/') || p.startsWith('/etc/apk/') || p.startsWith('/var/cache/apk'),
  newConffileBeside: (p) => `${p}.apk-new`,
});

if (why) {
  test('apk install, upgrade, removal', (t) => { t.log(`skipped: ${why}`); t.pass(); });
} else {
  test.serial('apk on a fw4 router (25.12): install, upgrade with a changed conffile, removal', async (t) => {
    await lifeOnARouter(t, 'fw4', apkManager, built!);
  });
  test.serial('apk on a fw3 router: the fw3 include comes and goes with the package', async (t) => {
    await lifeOnARouter(t, 'fw3', apkManager, built!);
  });
  test('the .apk: name, version, arch, depends and scripts as package-pack.mk makes them', (t) => {
    const dump = execFileSync(APK, ['adbdump', built!.release1[1]!], { encoding: 'utf8' });
    t.regex(dump, /^ {2}name: nym-vpn$/m);
    t.regex(dump, /^ {2}version: \d+\.\d+\.\d+-r1$/m);
    t.regex(dump, /^ {2}arch: x86_64$/m);
    t.regex(dump, /^ {2}depends: # 4 items\n {4}- ip-full\n {4}- kmod-tun\n {4}- libc\n {4}- node$/m);
    // No preinst in openwrt/Makefile, so neither pre-install nor pre-upgrade; postrm is post-deinstall.
    for (const s of ['post-install', 'post-upgrade', 'pre-deinstall', 'post-deinstall']) t.regex(dump, new RegExp(`^ {2}${s}: \\|$`, 'm'), s);
    t.notRegex(dump, /^ {2}pre-(install|upgrade):/m);
    const luci = execFileSync(APK, ['adbdump', built!.release1[3]!], { encoding: 'utf8' });
    t.regex(luci, /^ {2}arch: noarch$/m);
    t.regex(luci, /^ {4}- nym-vpn$/m);
  });
}
