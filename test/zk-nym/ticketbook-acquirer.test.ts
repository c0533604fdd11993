// Ticketbooks requested as upstream's account controller does, against the lab's nym-vpn-api (real sockets,
// both tokens checked) with upstream's issuance WASM building the requests: only the types running low, the
// WASM's request posted as built, polling until a limit, and every way the issuance can go wrong reported per
// type — with nothing stored and nothing confirmed; and with the lab's signers behind the API, books issued,
// stored, spent for a gateway and accepted by the lab's verifier.
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
import { LabIssuers } from '../../tools/lab/ecash/issuers.js';
import { SpentSerialNumbers } from '../../tools/lab/ecash/verifier.js';
import { NoTicketsError, TicketSpender } from '../../src/zk-nym/ticket-spender.js';
import { credentialSpendingDataFromBincode } from '../../src/ecash/credential-spending-data.js';
import { parsePayInfo } from '../../src/ecash/pay-info.js';
import { g1ToBytes, scale } from '../../src/ecash/group-elements.js';
import { groupParameters } from '../../src/ecash/group-parameters.js';
import { hashToScalar } from '../../src/ecash/hash.js';
import { base58 } from '@scure/base';
import { ed25519 } from '@noble/curves/ed25519.js';

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

  // TicketbookWalletSharesResponse is camelCase on the wire (nym-credential-proxy-requests models.rs)
  const bogusShares = { epochId: 4, shares: [{ nodeIndex: 1, bs58EncodedShare: '1111' }], masterVerificationKey: { epochId: 4, bs58EncodedKey: '2222' } };
  const noKeys = await world(t, { issuer: async () => bogusShares });
  for (const o of await noKeys.acquirer.acquire(signal())) t.regex((o as { error: string }).error, /partial verification keys/);

  const otherEpoch = await world(t, { issuer: async () => bogusShares, partialVerificationKeys: () => ({ epochId: 5, keys: [{ nodeIndex: 1, bs58EncodedKey: '3333' }] }) });
  for (const o of await otherEpoch.acquirer.acquire(signal())) t.regex((o as { error: string }).error, /epoch 5, the shares for 4/);

  const refused = await world(t, { issuer: async () => bogusShares, partialVerificationKeys: () => ({ epochId: 4, keys: [{ nodeIndex: 1, bs58EncodedKey: '3333' }] }) });
  const out = await refused.acquirer.acquire(signal());
  // Refused before the WASM sees them: the issuers' keys do not decode (src/ecash checks the key set first).
  for (const o of out) t.regex((o as { error: string }).error, /verification key/);
  const snake = await world(t, { issuer: async () => ({ epoch_id: 4, shares: [{ node_index: 1, bs58_encoded_share: '1111' }] }) });
  for (const o of await snake.acquirer.acquire(signal())) t.regex((o as { error: string }).error, /blinded shares are malformed: .*epochId/);
  const noMaster = await world(t, { issuer: async () => ({ epochId: 4, shares: [{ nodeIndex: 1, bs58EncodedShare: '1111' }] }) });
  for (const o of await noMaster.acquirer.acquire(signal())) t.regex((o as { error: string }).error, /no master verification key/);
  for (const w of [failing, noKeys, otherEpoch, refused, snake, noMaster]) {
    t.deepEqual((await w.store.list()).books, [], 'nothing stored');
    t.is(w.api.seen.filter((r) => r.method === 'DELETE').length, 0, 'nothing confirmed');
  }
});

test('the lab signers behind the API: three books issued to the account\'s own e-cash key, stored, a ticket spent and accepted', async (t) => {
  const lab = LabIssuers.create({ threshold: 2, count: 3, epochId: 3 });
  const w = await world(t, { issuer: lab.vpnApiIssuer(), partialVerificationKeys: () => lab.partialVerificationKeys() });
  const out = await w.acquirer.acquire(signal());
  t.deepEqual(out.filter((o) => !o.ok), [], w.log.join('\n'));
  const { books } = await w.store.list();
  t.deepEqual(books.map((b) => [b.type, b.epochId, b.total, b.used]).sort(), [['v1-mixnet-entry', 3, 50, 0], ['v1-wireguard-entry', 3, 50, 0], ['v1-wireguard-exit', 3, 50, 0]]);
  t.is(w.api.seen.filter((r) => r.method === 'DELETE').length, 3, 'each confirmed once stored');
  // KeyPairUser::new_seeded(the account key's 32 bytes): pk = g1 · hash_to_scalar(seed), as upstream's account makes it
  const seed = base58.decode(account.ecashUserSecretKey());
  const expected = base58.encode(g1ToBytes(scale(groupParameters().g1, hashToScalar(seed))));
  for (const z of w.api.zkNyms.values()) t.is(z.request.ecashPubkey, expected);

  const spender = new TicketSpender({ store: w.store, now: Date.now });
  const gatewayKey = ed25519.getPublicKey(new Uint8Array(32).fill(7));
  const bytes = await spender.spend('v1-wireguard-entry', base58.encode(gatewayKey));
  const csd = credentialSpendingDataFromBincode(bytes);
  t.deepEqual(parsePayInfo(csd.payInfo).providerPublicKey, gatewayKey, 'bound to that gateway');
  t.is(csd.epochId, 3n);
  const gateway = new SpentSerialNumbers();
  t.notThrows(() => gateway.accept(csd, lab.masterKey));
  const second = credentialSpendingDataFromBincode(await spender.spend('v1-wireguard-entry', base58.encode(gatewayKey)));
  t.notThrows(() => gateway.accept(second, lab.masterKey), 'the next index is another ticket');
  t.deepEqual((await w.store.list()).books.filter((b) => b.type === 'v1-wireguard-entry').map((b) => b.used), [2]);
  await t.throwsAsync(spender.spend('v1-wireguard-entry', 'not-base58-0OIl'), { message: /not base58/ });
  t.deepEqual((await w.store.list()).books.filter((b) => b.type === 'v1-wireguard-entry').map((b) => b.used), [2], 'a bad gateway id takes no ticket');
  await t.throwsAsync(new TicketSpender({ store: new TicketbookStore(join(tmpdir(), 'nym-none-' + process.pid)), now: Date.now }).spend('v1-wireguard-exit', base58.encode(gatewayKey)), { instanceOf: NoTicketsError });
});

test('signature sets the issued book could not pay with are refused before anything is stored or confirmed', async (t) => {
  const lab = LabIssuers.create({ threshold: 1, count: 1, epochId: 2 });
  const issue = lab.vpnApiIssuer();
  const w = await world(t, {
    issuer: async (req) => {
      const a = await issue(req);
      const sigs = a.aggregatedCoinIndexSignatures.signatures.signatures;
      [sigs[0], sigs[1]] = [{ ...sigs[1]!, index: 0 }, { ...sigs[0]!, index: 1 }];
      return a;
    },
    partialVerificationKeys: () => lab.partialVerificationKeys(),
  });
  for (const o of await w.acquirer.acquire(signal())) t.regex((o as { error: string }).error, /cannot be spent: .*coin index signatures/);
  t.deepEqual((await w.store.list()).books, []);
  t.is(w.api.seen.filter((r) => r.method === 'DELETE').length, 0);
});
