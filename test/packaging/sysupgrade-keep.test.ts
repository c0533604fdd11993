// Sysupgrade keeps the account: after installing the package (apk and opkg), the files nym-vpnd keeps
// in /etc/nym-vpn/ (account mnemonic, device keys, WireGuard keys, ticketbooks, registrations) and a
// changed /etc/config/nym-vpn are on the list sysupgrade would save; the package's own code is not.
// The list is computed inside the installed root by router/sysupgrade-keep.sh (sysupgrade's logic).
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../helpers/bus.js';
import { Opkg } from './opkg-model.js';
import { RouterRoot, routerRootUnavailable } from './router-root.js';
import { DEPENDENCIES, type Built, APK, SHARED_APK, cleanUpApk, prepareApk } from './router-scenario.js';

const why = existsSync(SHARED_APK) ? await routerRootUnavailable() : `apk-tools 3 is not here (${SHARED_APK} is missing)`;

// What the daemon writes there (src/account/account-store.ts, src/daemon/keys.ts), and what the
// ticketbook and registration stores will: any file under the folder must survive.
const STATE = ['account-mnemonic.json', 'device-keys.json', 'wg-entry.key', 'wg-exit.key', 'ticketbooks/0.json', 'registrations/entry-gw.json'];

let prepared: ReturnType<typeof prepareApk> | undefined;
let stubs = '';
let built: Built | undefined;
test.before(() => {
  if (why) return;
  prepared = prepareApk();
  ({ built, stubs } = prepared);
});
test.after.always(() => cleanUpApk(prepared));

function keepList(root: RouterRoot, editConfig: boolean): string[] {
  for (const f of STATE) {
    mkdirSync(join(root.dir, 'etc/nym-vpn', f, '..'), { recursive: true, mode: 0o700 });
    writeFileSync(join(root.dir, 'etc/nym-vpn', f), `{"secret":"${f}"}\n`, { mode: 0o600 });
  }
  const config = join(root.dir, 'etc/config/nym-vpn');
  if (editConfig) writeFileSync(config, readFileSync(config, 'utf8').replace("option autoconnect '0'", "option autoconnect '1'"));
  copyFileSync(join(repoRoot, 'test/packaging/router/sysupgrade-keep.sh'), join(root.dir, 'tmp/keep.sh'));
  const r = root.run(['/bin/sh', '/tmp/keep.sh']);
  if (r.code !== 0) throw new Error(r.stderr);
  return r.stdout.trim().split('\n').filter(Boolean);
}

const expected = (config: boolean) => [
  ...(config ? ['/etc/config/nym-vpn'] : []),
  ...STATE.map((f) => `/etc/nym-vpn/${f}`),
  // The boot guard is the daemon's too (it rewrites or removes it as the kill switch setting says),
  // so what the owner's router had carries over.
  '/etc/nym-vpn/boot-guard/boot-guard.nft', '/etc/nym-vpn/boot-guard/boot-guard.v4.rules', '/etc/nym-vpn/boot-guard/boot-guard.v6.rules',
].sort();

if (why) {
  test('sysupgrade keep list', (t) => { t.log(`skipped: ${why}`); t.pass(); });
} else {
  for (const manager of ['apk', 'opkg'] as const) {
    for (const edit of [true, false]) {
      test.serial(`${manager}: sysupgrade keeps the account, keys, ticketbooks and registrations${edit ? ', and the changed config' : '; an unchanged config comes from the new image'}`, async (t) => {
        const root = await RouterRoot.create('fw4');
        try {
          if (manager === 'apk') {
            const apk = (args: string[]) => execFileSync(APK, ['--root', root.dir, '--no-network', '--allow-untrusted', ...args], { encoding: 'utf8' });
            apk(['add', '--initdb', ...DEPENDENCIES.map((n) => join(stubs, `${n}.apk`))]);
            apk(['add', built!.release1[1]!]);
          } else {
            const opkg = new Opkg(root);
            for (const n of DEPENDENCIES) opkg.provide(n);
            opkg.install(built!.release1[0]!);
          }
          t.is(root.read('lib/upgrade/keep.d/nym-vpn'), '/etc/nym-vpn/\n');
          t.deepEqual(keepList(root, edit), expected(edit));
        } finally {
          root.remove();
        }
      });
    }
  }
}
