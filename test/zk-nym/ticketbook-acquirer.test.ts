// Ticketbooks requested as upstream's account controller does, against the lab's nym-vpn-api (real sockets,
// both tokens checked) with upstream's issuance WASM building the requests: only the types running low, the
// WASM's request posted as built, polling until a limit, and every way the issuance can go wrong reported per
// type — with nothing stored and nothing confirmed. (The lab has no ecash signers yet, so a ticketbook is never
// actually issued here; see the issue note.)
import test from 'ava';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AccountKey } from '../../src/account/account-key.js';
import { DeviceKeys } from '../../src/account/device-keys.js';
import { Mnemonic } from '../../src/account/mnemonic.js';
import { VpnApiClient } from '../../src/vpn-api/client.js';
import { TicketbookStore } from '../../src/zk-nym/ticketbook-store.js';
import { TicketbookAcquirer } from '../../src/zk-nym/ticketbook-acquirer.js';
import { LabVpnApi, type LabVpnApiOptions } from '../../tools/lab/vpn-api/server.js';

const account = AccountKey.fromMnemonic(Mnemonic.parse('range mystery picture decline olympic acoustic lesson quick rebuild panda royal fold start leader egg hammer width olympic worry length crawl couch link mobile'));
const device = DeviceKeys.fromSecret(new Uint8Array(32).fill(3));

async function world(t: import('ava').ExecutionContext, opts: LabVpnApiOptions = {}) {
  const api = new LabVpnApi(opts);
  const url = await api.start();
  api.addAccount(account.address).devices.set(device.identity, { status: 'active', createdMs: 0 });
  const dir = mkdtempSync(join(tmpdir(), 'nym-acq-'));
  t.teardown(async () => { await api.stop(); rmSync(dir, { recursive: true, force: true }); });
  const store = new TicketbookStore(dir);
  const log: string[] = [];
  const acquirer = new TicketbookAcquirer({
    store, account, device, client: () => new VpnApiClient({ baseUrl: url }), now: Date.now,
    sleep: (ms) => new Promise((r) => setTimeout(r, ms)), log: { info: (m) => log.push(m), warn: (m) => log.push(m) },
    pollIntervalMs: 50, pollTimeoutMs: 200,
  });
  return { api, store, acquirer, log };
}

const signal = () => new AbortController().signal;

test('an empty store: the three types upstream requests, each with the request the WASM built; pending ones time out', async (t) => {
  const w = await world(t);
  const out = await w.acquirer.acquire(signal());
  t.deepEqual(out.map((o) => o.type).sort(), ['v1-mixnet-entry', 'v1-wireguard-entry', 'v1-wireguard-exit']);
  t.true(out.every((o) => !o.ok && /still pending after 0.2 s/.test(o.error)));
  const asked = [...w.api.zkNyms.values()];
  t.is(asked.length, 3);
  for (const z of asked) {
    t.deepEqual(Object.keys(z.request).sort(), ['ecashPubkey', 'expirationDate', 'ticketbookType', 'withdrawalRequest']);
    t.is(z.request.ticketbookType, z.ticketbookType);
  }
  t.true(w.api.seen.filter((r) => r.method === 'GET' && /\/zknym\/zk-/.test(r.path)).length >= 3, 'it polled');
  t.is(w.api.seen.filter((r) => r.method === 'DELETE').length, 0, 'nothing confirmed');
  t.deepEqual((await w.store.list()).books, []);
});

test('enough wireguard-entry tickets: that type is not requested', async (t) => {
  const w = await world(t);
  const day = new Date(Date.now() + 7 * 86_400_000).toISOString().slice(0, 10);
  await w.store.add({ type: 'v1-wireguard-entry', data: new Uint8Array(64).fill(9), revision: 1, expirationDate: day, epochId: 1, total: 50 });
  const out = await w.acquirer.acquire(signal());
  t.deepEqual(out.map((o) => o.type).sort(), ['v1-mixnet-entry', 'v1-wireguard-exit']);
});

test('issuance that goes wrong: an error status, shares without their keys, another epoch, issuers keys that do not decode', async (t) => {
  const failing = await world(t, { issuer: async () => { throw new Error('signers down'); } });
  for (const o of await failing.acquirer.acquire(signal())) t.like(o, { ok: false, error: `zk-nym ${(o as { error: string }).error.split(' ')[1]} ended error` });

  const bogusShares = { epoch_id: 4, shares: [{ node_index: 1, bs58_encoded_share: '1111' }], master_verification_key: { epoch_id: 4, bs58_encoded_key: '2222' } };
  const noKeys = await world(t, { issuer: async () => bogusShares });
  for (const o of await noKeys.acquirer.acquire(signal())) t.regex((o as { error: string }).error, /partial verification keys/);

  const otherEpoch = await world(t, { issuer: async () => bogusShares, partialVerificationKeys: () => ({ epochId: 5, keys: [{ nodeIndex: 1, bs58EncodedKey: '3333' }] }) });
  for (const o of await otherEpoch.acquirer.acquire(signal())) t.regex((o as { error: string }).error, /epoch 5, the shares for 4/);

  const refused = await world(t, { issuer: async () => bogusShares, partialVerificationKeys: () => ({ epochId: 4, keys: [{ nodeIndex: 1, bs58EncodedKey: '3333' }] }) });
  const out = await refused.acquirer.acquire(signal());
  // Refused before the WASM sees them: the issuers' keys do not decode (src/ecash checks the key set first).
  for (const o of out) t.regex((o as { error: string }).error, /verification key/);
  for (const w of [failing, noKeys, otherEpoch, refused]) {
    t.deepEqual((await w.store.list()).books, [], 'nothing stored');
    t.is(w.api.seen.filter((r) => r.method === 'DELETE').length, 0, 'nothing confirmed');
  }
});
