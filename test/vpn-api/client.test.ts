// The vpn-api client over real sockets: against the lab's vpn-api stand-in (which checks the tokens as the
// real API does), and against servers that answer badly on purpose — wrong types, missing fields, huge and
// endless bodies, a slow drip, a redirect, a TLS failure, refusals with upstream's error bodies. Each is a
// clear VpnApiError; nothing hangs, nothing crashes, no token follows a redirect.
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { AccountKey } from '../../src/account/account-key.js';
import { DeviceKeys } from '../../src/account/device-keys.js';
import { Mnemonic } from '../../src/account/mnemonic.js';
import { VpnApiClient } from '../../src/vpn-api/client.js';
import { VpnApiError } from '../../src/vpn-api/errors.js';
import { accountJwt } from '../../src/vpn-api/jwt.js';
import { LabVpnApi } from '../../tools/lab/vpn-api/server.js';

const account = AccountKey.fromMnemonic(Mnemonic.parse('range mystery picture decline olympic acoustic lesson quick rebuild panda royal fold start leader egg hammer width olympic worry length crawl couch link mobile'));
const device = DeviceKeys.fromSecret(new Uint8Array(32).fill(9));

async function lab(opts: ConstructorParameters<typeof LabVpnApi>[0] = {}) {
  const api = new LabVpnApi(opts);
  const url = await api.start();
  return { api, url };
}

test('account and device against the lab API: summary, registration, list, by id; tokens as upstream sends them', async (t) => {
  const { api, url } = await lab();
  t.teardown(() => api.stop());
  api.addAccount(account.address, { maxDevices: 2 });
  const c = new VpnApiClient({ baseUrl: url });
  const h = await c.health();
  t.is(h.status, 'healthy');
  const s = await c.accountSummary(account);
  t.is(s.account.accountAddr, account.address);
  t.true(s.subscription.isActive);
  t.deepEqual(s.devices, { active: 0, max: 2, remaining: 2 });
  const d = await c.registerDevice(account, device);
  t.deepEqual(d, { deviceIdentityKey: device.identity, status: 'active' });
  t.deepEqual((await c.devices(account)).items.map((x) => x.deviceIdentityKey), [device.identity]);
  t.is((await c.device(account, device)).status, 'active');
  t.is((await c.accountSummary(account)).devices.remaining, 1);
  const reg = api.seen.find((r) => r.method === 'POST')!;
  t.regex(reg.authorization!, /^Bearer eyJhbGciOiJFUzI1NksiLCJ0eXAiOiJKV1QifQ\./);
  t.regex(reg.device!, /^Bearer eyJhbGciOiJFQ0RTQSIsInR5cCI6IkpXVCJ9\./);
  t.is(api.seen.find((r) => r.path.endsWith('/summary'))!.device, undefined, 'account calls carry no device token');
});

test('refusals carry upstream\'s error body: no subscription, too many devices, unknown account', async (t) => {
  const { api, url } = await lab();
  t.teardown(() => api.stop());
  const c = new VpnApiClient({ baseUrl: url });
  let e = await t.throwsAsync(c.accountSummary(account), { instanceOf: VpnApiError });
  t.like(e, { failure: 'Refused', status: 404 });
  t.is(e!.body?.messageId, 'lab.account.not_found');
  api.addAccount(account.address, { subscriptionActive: false });
  e = await t.throwsAsync(c.registerDevice(account, device), { instanceOf: VpnApiError });
  t.like(e, { failure: 'Refused', status: 402 });
  t.regex(e!.message, /no active subscription/);
  const full = api.addAccount(account.address, { maxDevices: 0 });
  t.is(full.maxDevices, 0);
  e = await t.throwsAsync(c.registerDevice(account, device), { instanceOf: VpnApiError });
  t.like(e, { failure: 'Refused', status: 409 });
  t.regex(e!.message, /maximum number of devices/);
});

test('zk-nym calls: request, poll by id, available, confirm', async (t) => {
  // The issuer here is a stand-in for the lab's signers: this test is about the HTTP plumbing only.
  const { api, url } = await lab({ issuer: async () => ({ epochId: 1, shares: [] }) });
  t.teardown(() => api.stop());
  api.addAccount(account.address);
  const c = new VpnApiClient({ baseUrl: url });
  await c.registerDevice(account, device);
  const z = await c.requestZkNym(account, device, { withdrawalRequest: 'w', ecashPubkey: 'k', expirationDate: '2026-12-10', ticketbookType: 'v1-wireguard-entry' });
  t.is(z.ticketbookType, 'v1-wireguard-entry');
  const polled = await c.zkNym(account, device, z.id);
  t.is(polled.status, 'active');
  t.deepEqual(polled.blindedShares, { epochId: 1, shares: [] });
  t.is((await c.zkNymsAvailable(account, device)).items.length, 1);
  t.is(await c.confirmZkNym(account, device, z.id), 'ok');
  t.is((await c.zkNymsAvailable(account, device)).items.length, 0);
});

test('a router clock five minutes off: refused, the server\'s time measured, the call made again and later ones right away', async (t) => {
  const { api, url } = await lab({ now: () => Date.now() + 5 * 60_000 });
  t.teardown(() => api.stop());
  api.addAccount(account.address);
  const c = new VpnApiClient({ baseUrl: url });
  const s = await c.accountSummary(account);
  t.is(s.account.accountAddr, account.address);
  const summaries = api.seen.filter((r) => r.path.endsWith('/summary'));
  t.is(summaries.length, 2, 'refused once, then accepted');
  t.true(api.seen.some((r) => r.path.endsWith('/health')));
  const before = api.seen.length;
  await c.accountSummary(account);
  t.is(api.seen.length, before + 1, 'the next call goes with the server\'s time at once');
});

test('the lab API refuses a bad signature, a stale iat and a token for another account, with upstream\'s body', async (t) => {
  const { api, url } = await lab();
  t.teardown(() => api.stop());
  api.addAccount(account.address);
  const call = async (authorization: string) => {
    const r = await fetch(`${url}/public/v1/account/${account.address}/summary`, { headers: { authorization } });
    return { status: r.status, body: await r.json() as Record<string, unknown> };
  };
  const good = accountJwt(account, Math.floor(Date.now() / 1000));
  t.is((await call(`Bearer ${good}`)).status, 200);
  const [h, p, sig] = good.split('.');
  const flipped = sig!.slice(0, 10) + (sig![10] === 'A' ? 'B' : 'A') + sig!.slice(11);
  let r = await call(`Bearer ${h}.${p}.${flipped}`);
  t.is(r.status, 401);
  t.like(r.body, { messageId: 'lab.jwt', status: 'unauthorized' });
  t.is(typeof r.body.codeReferenceId, 'string');
  r = await call(`Bearer ${accountJwt(account, Math.floor(Date.now() / 1000) - 120)}`);
  t.is(r.status, 401);
  t.regex(String(r.body.message), /expired/);
  const other = AccountKey.fromMnemonic(Mnemonic.parse('kiwi ketchup mix canvas curve ribbon congress method feel frozen act annual aunt comfort side joy mesh palace tennis cannon orange name tortoise piece'));
  r = await call(`Bearer ${accountJwt(other, Math.floor(Date.now() / 1000))}`);
  t.is(r.status, 401);
  t.regex(String(r.body.message), /subject/);
});

/** A server answering every request with `handler`. */
async function serve(handler: Parameters<typeof createServer>[1]): Promise<{ url: string; server: Server }> {
  const server = createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/api`, server };
}

const HOSTILE: Array<[string, Parameters<typeof createServer>[1], RegExp, VpnApiError['failure']]> = [
  ['wrong types', (_q, s) => { s.setHeader('content-type', 'application/json'); s.end(JSON.stringify({ account: { account_addr: 7, status: 'active' }, subscription: { isActive: true }, devices: { active: 0, max: 1, remaining: 1 }, fairUsage: {} })); }, /summary\.account\.account_addr: expected a string, got number/, 'BadAnswer'],
  ['a missing field', (_q, s) => s.end(JSON.stringify({ account: { account_addr: 'n1x', status: 'active' }, subscription: { isActive: true }, devices: { active: 0, max: 1 }, fairUsage: {} })), /summary\.devices\.remaining: missing/, 'BadAnswer'],
  ['an unknown enum value', (_q, s) => s.end(JSON.stringify({ account: { account_addr: 'n1x', status: 'frozen' }, subscription: { isActive: true }, devices: { active: 0, max: 1, remaining: 1 }, fairUsage: {} })), /'frozen' is not one of active, inactive, delete_me/, 'BadAnswer'],
  ['not JSON', (_q, s) => s.end('<html>hello</html>'), /not JSON/, 'NoAnswer'],
  ['a 100 MB body', (_q, s) => { s.setHeader('content-length', String(100 << 20)); s.write('{'); }, /more than the 1048576 allowed/, 'NoAnswer'],
  ['an endless body', (_q, s) => { const chunk = Buffer.alloc(64 * 1024, 32); const pump = () => { while (s.write(chunk)); }; s.on('drain', pump); s.on('error', () => {}); pump(); }, /more than the 1048576 bytes allowed/, 'NoAnswer'],
  ['a slow drip', (_q, s) => { s.write('{'); const t = setInterval(() => s.write(' '), 200); s.on('close', () => clearInterval(t)); }, /no complete answer within 1500 ms/, 'NoAnswer'],
  ['a 500 with upstream\'s error body', (_q, s) => { s.statusCode = 500; s.end(JSON.stringify({ message: 'database unavailable', messageId: 'api.db', codeReferenceId: 'x1', status: 'error' })); }, /HTTP 500: database unavailable \(api\.db\)/, 'Refused'],
  ['a 502 from a proxy (HTML)', (_q, s) => { s.statusCode = 502; s.end('<html>bad gateway</html>'); }, /HTTP 502: no error body/, 'Refused'],
];

for (const [what, handler, message, failure] of HOSTILE) {
  test(`hostile answer: ${what} is a clear error`, async (t) => {
    const { url, server } = await serve(handler);
    t.teardown(() => { server.closeAllConnections(); server.close(); });
    const c = new VpnApiClient({ baseUrl: url, timeoutMs: 1500 });
    const e = await t.throwsAsync(c.accountSummary(account), { instanceOf: VpnApiError });
    t.regex(e!.message, message);
    t.is(e!.failure, failure);
  });
}

test('a redirect is not followed, and the token never reaches its target', async (t) => {
  const seen: Array<string | undefined> = [];
  const target = await serve((q, s) => { seen.push(q.headers.authorization); s.end('{}'); });
  const { url, server } = await serve((_q, s) => { s.statusCode = 302; s.setHeader('location', target.url + '/steal'); s.end(); });
  t.teardown(() => { server.close(); target.server.close(); });
  const e = await t.throwsAsync(new VpnApiClient({ baseUrl: url }).accountSummary(account), { instanceOf: VpnApiError });
  t.regex(e!.message, /HTTP 302: a redirect \(not followed\)/);
  t.deepEqual(seen, []);
});

test('a TLS server whose certificate is not trusted is refused as no answer', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'nym-tls-'));
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-subj', '/CN=127.0.0.1', '-days', '1', '-keyout', join(dir, 'k.pem'), '-out', join(dir, 'c.pem')], { stdio: 'ignore' });
  const server = createTlsServer({ key: readFileSync(join(dir, 'k.pem')), cert: readFileSync(join(dir, 'c.pem')) }, (_q, s) => s.end('{}'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => server.close());
  const c = new VpnApiClient({ baseUrl: `https://127.0.0.1:${(server.address() as AddressInfo).port}/api` });
  const e = await t.throwsAsync(c.health(), { instanceOf: VpnApiError });
  t.is(e!.failure, 'NoAnswer');
  t.regex(e!.message, /self[- ]signed|certificate/i);
});

test('the lab directory server answers the account API on the same base, as nymvpn.com/api does', async (t) => {
  const { LabDirectoryServer } = await import('../../tools/lab/directory-server.js');
  const api = new LabVpnApi();
  api.addAccount(account.address, { maxDevices: 1 });
  const dir = new LabDirectoryServer({ basePath: '/api', accountApi: api });
  await dir.start();
  t.teardown(() => dir.stop());
  const c = new VpnApiClient({ baseUrl: dir.apiUrl });
  t.is((await c.health()).status, 'healthy');
  t.deepEqual((await c.accountSummary(account)).devices, { active: 0, max: 1, remaining: 1 });
  t.is((await c.registerDevice(account, device)).status, 'active');
  const res = await fetch(`${dir.apiUrl}/public/v1/directory/gateways`);
  t.is(res.status, 200);
  t.deepEqual(await res.json(), [], 'the directory still answers its own paths');
});
