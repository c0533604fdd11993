// Issue #12 in the lab: the router's account against the lab's nym-vpn-api (the directory server's base, as on
// nymvpn.com/api), with the kill switch up and always on: the sync goes out on the daemon's marked socket and
// nothing else leaves the WAN; the device is registered once and stays registered across a daemon restart.
import test from 'ava';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { NymLab } from '../../tools/lab/topology.js';
import { ADDR, DIRECTORY_PORT, IF, LAB_ACCOUNT_ADDRESS, LAB_ACCOUNT_MNEMONIC } from '../../tools/lab/addresses.js';
import { setOption, findSection } from '../../src/uci/index.js';
import { nymvpnc, testLab } from './helpers.js';

let lab: NymLab;

test.before(async () => {
  lab = await testLab('acc', { editConfig: (pkg) => setOption(findSection(pkg, 'main')!, 'always_on', '1') });
});
test.after.always(async () => {
  await lab?.destroy();
});

const account = async () => JSON.parse((await nymvpnc(lab, ['--json', 'get-account-state'])).stdout) as Record<string, unknown>;

test.serial('store, sync with the kill switch up: registered, subscribed, ready; only the API was reached outside the tunnel', async (t) => {
  const file = join(lab.root, 'tmp/mnemonic');
  writeFileSync(file, `${LAB_ACCOUNT_MNEMONIC}\n`, { mode: 0o600 });
  const stored = await nymvpnc(lab, ['store-account', '--mnemonic-file', file]);
  t.is(stored.stdout, `${LAB_ACCOUNT_ADDRESS}\n`, stored.stderr);
  const ks = JSON.parse((await nymvpnc(lab, ['--json', 'status'])).stdout) as Record<string, unknown>;
  t.true(ks.kill_switch_active as boolean, 'always on: the kill switch is up while disconnected');
  const capture = await lab.capture('router', IF.routerWan);
  const r = await nymvpnc(lab, ['refresh-account-state']);
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, /^Ready: +ready to connect$/m);
  t.regex(r.stdout, /^Device: +\S+ \(registered, active\)$/m);
  t.regex(r.stdout, /^Devices: +1 of 5 in use, 4 left$/m);
  const seen = await capture.stop();
  const api = (p: { src?: string; dst?: string; sport?: number; dport?: number }) =>
    (p.dst === ADDR.inetDirectory.v4 && p.dport === DIRECTORY_PORT) || (p.src === ADDR.inetDirectory.v4 && p.sport === DIRECTORY_PORT);
  const notApi = seen.outsideTunnel([]).filter((p) => !(p.proto === 'tcp' && api(p)));
  t.deepEqual(seen.describe(notApi.slice(0, 10)), seen.describe([]), 'nothing but the API on the WAN');
  t.true(seen.count > 0, 'the sync did go out');
});

test.serial('restart: the account, its device and the registration are kept; no second registration', async (t) => {
  const before = await account();
  await lab.restartDaemon();
  const r = await nymvpnc(lab, ['--json', 'refresh-account-state']);
  const after = JSON.parse(r.stdout) as Record<string, unknown>;
  t.is(after.id, before.id);
  t.is(after.device_id, before.device_id, 'the same device keys');
  t.is(after.ready_to_connect, 'ready');
  t.deepEqual(after.devices, { active: 1, max: 5, remaining: 4 }, 'still one device: the router was not registered again');
});
