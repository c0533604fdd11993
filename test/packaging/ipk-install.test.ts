// The .ipk packages installed, upgraded and removed as OpenWrt 24.10's opkg does it (opkg-model.ts:
// opkg's steps, the maintainer scripts chrooted into an OpenWrt-shaped root as opkg runs them on a
// router). Skips with one line without ../shared (the real uci is built from it).
import test from 'ava';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Opkg } from './opkg-model.js';
import { routerRootUnavailable, type RouterRoot } from './router-root.js';
import { DEPENDENCIES, buildPackages, lifeOnARouter, removeBuilt, type Built, type Manager } from './router-scenario.js';

const why = await routerRootUnavailable();
let built: Built | undefined;
test.before(() => { if (!why) built = buildPackages(); });
test.after.always(() => removeBuilt(built));

const opkgManager = (root: RouterRoot): Manager => {
  const opkg = new Opkg(root);
  return {
    provideDependencies: () => { for (const n of DEPENDENCIES) opkg.provide(n); },
    install: (files) => { for (const f of files) opkg.install(f); },
    upgrade: (file) => opkg.install(file),
    remove: (names) => { for (const n of names) opkg.remove(n); },
    conffiles: () => readFileSync(join(root.dir, 'usr/lib/opkg/info/nym-vpn.conffiles'), 'utf8').trim().split('\n'),
    isBookkeeping: (p) => p.startsWith('/usr/lib/opkg/'),
    newConffileBeside: (p) => `${p}-opkg`,
  };
};

if (why) {
  test('ipk install, upgrade, removal', (t) => { t.log(`skipped: ${why}`); t.pass(); });
} else {
  test.serial('opkg on a fw4 router (24.10): install, upgrade with a changed conffile, removal', async (t) => {
    await lifeOnARouter(t, 'fw4', opkgManager, built!);
  });
  test.serial('opkg on a fw3 router: the fw3 include comes and goes with the package', async (t) => {
    await lifeOnARouter(t, 'fw3', opkgManager, built!);
  });
}
