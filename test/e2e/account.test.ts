// Issue #12 in the lab: the router's account against the lab's nym-vpn-api (the directory server's base, as on
// nymvpn.com/api), with the kill switch up and always on: the sync goes out on the daemon's marked socket and
// nothing else leaves the WAN; the device is registered once and stays registered across a daemon restart; the
// lab's e-cash signers (2 of 3) behind the API issue the router its three ticketbooks, a ticket from them pays
// (the lab's verifier accepts it under the key the signers' partial keys aggregate to), and a restart keeps them.
import test from 'ava';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { NymLab } from '../../tools/lab/topology.js';
import { ADDR, DIRECTORY_PORT, IF, LAB_ACCOUNT_ADDRESS, LAB_ACCOUNT_MNEMONIC } from '../../tools/lab/addresses.js';
import { setOption, findSection } from '../../src/uci/index.js';
import { nymvpnc, testLab } from './helpers.js';
import { waitFor } from '../helpers/bus.js';
import { DIRECTORY_URL } from '../../tools/lab/addresses.js';
import { TicketbookStore } from '../../src/zk-nym/ticketbook-store.js';
import { TicketSpender } from '../../src/zk-nym/ticket-spender.js';
import { credentialSpendingDataFromBincode } from '../../src/ecash/credential-spending-data.js';
import { aggregateVerificationKeys, verificationKeyFromBs58 } from '../../src/ecash/verification-key.js';
import { SpentSerialNumbers } from '../../tools/lab/ecash/verifier.js';
import { base58 } from '@scure/base';

let lab: NymLab;

test.before(async () => {
  lab = await testLab('acc', { editConfig: (pkg) => setOption(findSection(pkg, 'main')!, 'always_on', '1') });
});
test.after.always(async () => {
  await lab?.destroy();
});

const account = async () => JSON.parse((await nymvpnc(lab, ['--json', 'get-account-state'])).stdout) as Record<string, unknown> & { tickets?: Record<string, number> };

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

const FULL = { 'v1-mixnet-entry': 50, 'v1-mixnet-exit': 0, 'v1-wireguard-entry': 50, 'v1-wireguard-exit': 50 };

test.serial('ticketbooks: the three types issued by the lab signers through the API, stored; a ticket pays and is accepted', async (t) => {
  // Ready to connect → the daemon asks for what runs low, polls the API every 5 s (upstream's interval).
  const same = (a: Record<string, number> | undefined, b: Record<string, number>) => a !== undefined && Object.keys(b).length === Object.keys(a).length && Object.entries(b).every(([k, v]) => a[k] === v);
  const stocked = await waitFor(async () => same((await account()).tickets, FULL), 120_000, 500);
  t.true(stocked, JSON.stringify((await account()).tickets));
  const store = new TicketbookStore(lab.files.paths.stateDir);
  const { books, unusable } = await store.list();
  t.is(books.length, 3);
  t.deepEqual(unusable, []);
  // The router's own books pay a gateway (the daemon spends them once it registers over the mixnet, #13).
  const gatewayId = [...lab.gateways.values()][0]!.id;
  const bytes = await new TicketSpender({ store, now: Date.now }).spend('v1-wireguard-entry', gatewayId);
  const r = await lab.curl('inet', `${DIRECTORY_URL}/public/v1/directory/zk-nyms/ticketbook/partial-verification-keys`);
  const partial = JSON.parse(r.body) as { epochId: number; keys: { nodeIndex: number; bs58EncodedKey: string }[] };
  const two = partial.keys.slice(1, 3); // any 2 of the 3 give the master key
  const master = aggregateVerificationKeys(two.map((k) => verificationKeyFromBs58(k.bs58EncodedKey)), two.map((k) => BigInt(k.nodeIndex)));
  const csd = credentialSpendingDataFromBincode(bytes);
  t.deepEqual([...csd.payInfo.subarray(40, 72)], [...base58.decode(gatewayId)], 'bound to that gateway');
  t.notThrows(() => new SpentSerialNumbers().accept(csd, master));
  t.is((await account()).tickets!['v1-wireguard-entry'], 49);
});

test.serial('restart: the account, its device and the registration are kept; no second registration', async (t) => {
  const before = await account();
  t.is(before.tickets!['v1-wireguard-entry'], 49);
  await lab.restartDaemon();
  const r = await nymvpnc(lab, ['--json', 'refresh-account-state']);
  const after = JSON.parse(r.stdout) as Record<string, unknown>;
  t.is(after.id, before.id);
  t.is(after.device_id, before.device_id, 'the same device keys');
  t.is(after.ready_to_connect, 'ready');
  t.deepEqual(after.devices, { active: 1, max: 5, remaining: 4 }, 'still one device: the router was not registered again');
  t.deepEqual(after.tickets, { ...FULL, 'v1-wireguard-entry': 49 }, 'the books and the spent ticket are remembered');
  t.is((await new TicketbookStore(lab.files.paths.stateDir).list()).books.length, 3, 'enough left: nothing more requested');
});
