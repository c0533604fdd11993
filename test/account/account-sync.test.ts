// The account kept in step with nym-vpn-api as upstream's account controller does, against the lab's API
// stand-in over real sockets (it checks both tokens as the real API does) and a real AccountStore on disk:
// what a router owner reads after storing the mnemonic — registered or not, why not, the subscription, the
// devices left — and that a failed sync keeps what the last good one learnt.
import test from 'ava';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AccountStore } from '../../src/account/account-store.js';
import { AccountKey } from '../../src/account/account-key.js';
import { Mnemonic } from '../../src/account/mnemonic.js';
import { AccountSync, readiness } from '../../src/account/account-sync.js';
import { VpnApiClient } from '../../src/vpn-api/client.js';
import { LabVpnApi } from '../../tools/lab/vpn-api/server.js';

const MNEMONIC = 'range mystery picture decline olympic acoustic lesson quick rebuild panda royal fold start leader egg hammer width olympic worry length crawl couch link mobile';
const ADDRESS = AccountKey.fromMnemonic(Mnemonic.parse(MNEMONIC)).address;

async function world(t: import('ava').ExecutionContext, baseUrl?: string) {
  const api = new LabVpnApi();
  const url = await api.start();
  const dir = mkdtempSync(join(tmpdir(), 'nym-sync-'));
  t.teardown(async () => { await api.stop(); rmSync(dir, { recursive: true, force: true }); });
  const store = new AccountStore(join(dir, 'state'));
  const warnings: string[] = [];
  let now = 1_800_000_000_000;
  const sync = new AccountSync({
    store,
    client: () => new VpnApiClient({ baseUrl: baseUrl ?? url }),
    now: () => now,
    log: { info: () => {}, warn: (m) => warnings.push(m) },
  });
  return { api, url, store, sync, warnings, tick: (ms: number) => { now += ms; } };
}

test('no account: nothing to sync, upstream\'s no_mnemonic_stored', async (t) => {
  const w = await world(t);
  const s = await w.sync.sync();
  t.false(s.stored);
  t.is(s.readyToConnect, 'no_mnemonic_stored');
  t.is(w.api.seen.length, 0, 'nothing asked of the API without an account');
});

test('stored, subscribed, a device free: the router registers itself and is ready', async (t) => {
  const w = await world(t);
  w.api.addAccount(ADDRESS, { maxDevices: 3 });
  await w.store.store(MNEMONIC);
  t.is((await w.sync.state()).readyToConnect, 'account_not_synced');
  const s = await w.sync.sync();
  t.is(s.id, ADDRESS);
  t.deepEqual(s.device, { registered: true, status: 'active' });
  t.deepEqual(s.account?.devices, { active: 1, max: 3, remaining: 2 });
  t.true(s.account?.subscriptionActive);
  t.is(s.readyToConnect, 'ready');
  t.true(s.lastSync?.ok);
  t.true(w.api.accounts.get(ADDRESS)!.devices.has(s.deviceId!), 'the API holds this router\'s device key');
  // A second sync finds the device listed and registers nothing again.
  const posts = w.api.seen.filter((r) => r.method === 'POST').length;
  t.is((await w.sync.sync()).readyToConnect, 'ready');
  t.is(w.api.seen.filter((r) => r.method === 'POST').length, posts);
});

test('no subscription, and no device left: not registered, and the reason is upstream\'s', async (t) => {
  const w = await world(t);
  const a = w.api.addAccount(ADDRESS, { subscriptionActive: false });
  await w.store.store(MNEMONIC);
  let s = await w.sync.sync();
  t.is(s.readyToConnect, 'no_active_subscription');
  t.false(s.device?.registered);
  a.subscriptionActive = true;
  a.maxDevices = 1;
  a.devices.set('someone-elses-device-key', { status: 'active', createdMs: 0 });
  s = await w.sync.sync();
  t.is(s.readyToConnect, 'max_devices_reached');
  t.is(w.api.seen.filter((r) => r.method === 'POST').length, 0, 'no registration tried with no device left');
});

test('a failed sync keeps what the last good one learnt and says why; forgetting drops it', async (t) => {
  const w = await world(t);
  w.api.addAccount(ADDRESS);
  await w.store.store(MNEMONIC);
  t.is((await w.sync.sync()).readyToConnect, 'ready');
  await w.api.stop();
  w.tick(60_000);
  const s = await w.sync.sync();
  t.false(s.lastSync?.ok);
  t.regex(s.lastSync?.error ?? '', /\S/);
  t.is(s.lastSync?.atMs, 1_800_000_060_000);
  t.is(s.readyToConnect, 'ready', 'still registered and subscribed as far as anyone knows');
  t.is(w.warnings.length, 1);
  t.notRegex(w.warnings[0]!, /mystery|olympic/, 'no word of the mnemonic in the log');
  await w.store.forget();
  w.sync.reset();
  t.like(await w.sync.state(), { stored: false, readyToConnect: 'no_mnemonic_stored' });
  t.is((await w.sync.state()).account, undefined);
});

test('concurrent syncs share one run; a sync overtaken by forget writes nothing', async (t) => {
  const w = await world(t);
  w.api.addAccount(ADDRESS);
  await w.store.store(MNEMONIC);
  const runs = await Promise.all([w.sync.sync(), w.sync.sync(), w.sync.sync()]);
  t.true(runs.every((r) => r.readyToConnect === 'ready'));
  t.is(w.api.seen.filter((r) => r.path.endsWith('/summary')).length, 1 + 1, 'one summary, and one after registering');
  const overtaken = w.sync.sync();
  await w.store.forget();
  w.sync.reset();
  await overtaken;
  t.is((await w.sync.state()).account, undefined, 'what the forgotten account\'s sync learnt was dropped');
});

test('keepSynced: at once, then every interval of the injected clock, until aborted', async (t) => {
  const w = await world(t);
  w.api.addAccount(ADDRESS);
  await w.store.store(MNEMONIC);
  const abort = new AbortController();
  const sleeps: number[] = [];
  let wake: (() => void) | undefined;
  const slept = () => new Promise<void>((r) => { wake = r; });
  let asleep = slept();
  const sleep = (ms: number, signal: AbortSignal) => new Promise<void>((resolve) => {
    sleeps.push(ms);
    const w2 = wake!;
    asleep = slept();
    w2();
    signal.addEventListener('abort', () => resolve(), { once: true });
    if (sleeps.length < 3) queueMicrotask(resolve);
  });
  const done = w.sync.keepSynced(sleep, abort.signal, 300_000);
  await asleep;
  while (sleeps.length < 3) await asleep;
  abort.abort();
  await done;
  t.deepEqual(sleeps, [300_000, 300_000, 300_000]);
  t.is(w.api.seen.filter((r) => r.path.endsWith('/summary')).length, 2 + 2, 'three syncs: the first registered (two summaries), then one each');
});

test('readiness follows upstream\'s order of checks', (t) => {
  const acct = (o: Partial<{ status: 'active' | 'inactive'; subscriptionActive: boolean; remaining: number }>) => ({ status: o.status ?? 'active', subscriptionActive: o.subscriptionActive ?? true, devices: { active: 0, max: 5, remaining: o.remaining ?? 5 } });
  t.is(readiness({ stored: true, account: acct({ status: 'inactive', subscriptionActive: false }) }), 'account_not_active');
  t.is(readiness({ stored: true, account: acct({ subscriptionActive: false }) }), 'no_active_subscription');
  t.is(readiness({ stored: true, account: acct({}), device: { registered: true, status: 'inactive' } }), 'device_not_active');
  t.is(readiness({ stored: true, account: acct({ remaining: 0 }), device: { registered: false } }), 'max_devices_reached');
});
