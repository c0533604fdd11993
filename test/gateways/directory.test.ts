// The directory client against the lab directory server over real sockets: the upstream paths and
// query parameters, strict parsing of served fixtures, the disk cache when the API is down, stuck
// or answering garbage, timeouts, the size limit, request sharing, and the background refresh.

import test from 'ava';
import { spawn } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DirectoryClient, DirectoryError, type DirectoryIssue } from '../../src/gateways/index.js';
import { LabDirectoryServer, labIdentity, type LabGateway } from '../../tools/lab/directory-server.js';
import { readFixture, repoRoot, scratchDir, silentServer } from './helpers.js';

const LAB: LabGateway[] = [
  { id: labIdentity('dir entry-nl'), name: 'entry nl', country: 'NL', role: 'entry', ip: '203.0.113.10', performance: 95 },
  { id: labIdentity('dir entry-de'), name: 'entry de', country: 'de', role: 'entry', ip: ['203.0.113.11', '2001:db8::11'], performance: 60 },
  { id: labIdentity('dir exit-ch'), name: 'exit ch', country: 'CH', role: 'exit', ip: '203.0.113.20', performance: 88 },
  { id: labIdentity('dir exit-se'), name: 'exit se', country: 'SE', role: 'exit', ip: '203.0.113.21', performance: 40 },
  { id: labIdentity('dir mix-only'), name: 'no authenticator', country: 'FR', role: 'entry', ip: '203.0.113.30', performance: 99, vpn: false },
];

async function labServer(opts: { basePath?: string; gateways?: LabGateway[] } = {}): Promise<LabDirectoryServer> {
  const server = new LabDirectoryServer({ gateways: opts.gateways ?? LAB, basePath: opts.basePath });
  await server.start('127.0.0.1', 0);
  return server;
}

test('paths and query parameters are upstream\'s; lists and countries come back typed', async (t) => {
  const server = await labServer({ basePath: '/api' });
  t.teardown(() => server.stop());
  const client = new DirectoryClient({ apiUrl: `${server.apiUrl}/`, minPerformance: { mixnet: 50, vpn: 30 } });
  t.is(client.urlFor('gateways', 'vpn'), `${server.apiUrl}/public/v1/directory/gateways?mixnet_min_performance=50%25&vpn_min_performance=30%25&show_vpn_only=true`);
  t.is(client.urlFor('gateways', 'entry'), `${server.apiUrl}/public/v1/directory/gateways/entry?mixnet_min_performance=50%25&vpn_min_performance=30%25`);
  t.is(client.urlFor('countries', 'exit'), `${server.apiUrl}/public/v1/directory/gateways/exit/countries?mixnet_min_performance=50%25&vpn_min_performance=30%25`);
  t.is(client.urlFor('countries', 'vpn'), `${server.apiUrl}/public/v1/directory/gateways/countries?mixnet_min_performance=50%25&vpn_min_performance=30%25&show_vpn_only=true`);

  const vpn = await client.gateways('vpn');
  t.false(vpn.cached);
  t.deepEqual(vpn.value.map((g) => g.name).sort(), ['entry de', 'entry nl', 'exit ch'], 'vpn only, ≥ 50 %');
  const de = vpn.value.find((g) => g.name === 'entry de')!;
  t.like(de, { country: 'DE', performance: 60, wsPort: 9000, mixPort: 1789, role: 'EntryGateway', source: 'directory' });
  t.deepEqual(de.ipAddresses, ['203.0.113.11', '2001:db8::11']);
  t.truthy(de.authenticatorAddress);
  t.is(de.ipPacketRouterAddress, undefined);
  const exits = await client.gateways('exit');
  t.deepEqual(exits.value.map((g) => g.name), ['exit ch']);
  t.truthy(exits.value[0]!.ipPacketRouterAddress);
  t.deepEqual((await client.gateways('entry')).value.map((g) => g.name).sort(), ['entry de', 'entry nl', 'exit ch', 'no authenticator']);
  t.deepEqual((await client.countries('vpn')).value, ['CH', 'DE', 'NL']);
  t.deepEqual((await client.countries('exit')).value, ['CH']);
  t.true(server.requests.includes('/api/public/v1/directory/gateways?mixnet_min_performance=50%25&vpn_min_performance=30%25&show_vpn_only=true'));
});

test('answers younger than maxAge come from memory; concurrent requests share one fetch', async (t) => {
  const server = await labServer();
  t.teardown(() => server.stop());
  const client = new DirectoryClient({ apiUrl: server.apiUrl, maxAgeMs: 60_000 });
  const [a, b, c] = await Promise.all([client.gateways(), client.gateways(), client.gateways()]);
  t.is(server.requests.length, 1);
  t.deepEqual(a.value, b.value);
  t.is(a.fetchedAt, c.fetchedAt);
  await client.gateways();
  t.is(server.requests.length, 1, 'served from memory');
  await client.gateways('vpn', { fresh: true });
  t.is(server.requests.length, 2);
});

test('upstream fixtures served over HTTP parse; malformed ones are skipped and reported per list', async (t) => {
  const server = await labServer();
  t.teardown(() => server.stop());
  const issues: DirectoryIssue[] = [];
  const client = new DirectoryClient({ apiUrl: server.apiUrl, onIssue: (i) => issues.push(i) });
  server.setRawGateways(readFixture('upstream-gateways.json'));
  const all = await client.gateways('vpn');
  t.is(all.value.length, 8);
  t.true(all.value.some((g) => g.id === '3wqfp9ebaajgV8HRKYHeZuZCNXgitnW8BbytxyBH65xZ'));
  t.deepEqual(issues, []);
  server.setRawGateways(readFixture('malformed-gateways.json'));
  const some = await client.gateways('exit');
  t.deepEqual(some.value.map((g) => g.name), ['good-1', 'auth-bad-address', 'good-2']);
  t.is(issues.filter((i) => i.skipped).length, 28);
  t.true(issues.every((i) => i.list === 'gateways-exit' && !i.fromCache));
});

test('a body that is not an array: a clear error without a cache, the cached list with one', async (t) => {
  const server = await labServer();
  t.teardown(() => server.stop());
  server.setRawGateways({ gateways: [] });
  const bare = new DirectoryClient({ apiUrl: server.apiUrl });
  const e = await t.throwsAsync(bare.gateways(), { instanceOf: DirectoryError });
  t.is(e!.code, 'InvalidBody');
  t.regex(e!.message, /gateways\?show_vpn_only=true: the gateway list is not a JSON array but an object/);

  const dir = scratchDir('dircache');
  const cachedClient = new DirectoryClient({ apiUrl: server.apiUrl, cacheDir: dir });
  server.setGateways(LAB);
  const good = await cachedClient.gateways();
  server.setRawGateways('oops');
  const ans = await cachedClient.gateways('vpn', { fresh: true });
  t.true(ans.cached);
  t.is(ans.fetchedAt, good.fetchedAt);
  t.deepEqual(ans.value, good.value);
  t.regex(ans.reason!, /not a JSON array but the string "oops"/);
});

test('the API down: the disk cache serves the last list (cached, with when and why), also after a restart', async (t) => {
  const server = await labServer();
  const dir = scratchDir('dircache');
  const logs: string[] = [];
  const first = new DirectoryClient({ apiUrl: server.apiUrl, cacheDir: dir, log: (l, m) => logs.push(`${l}: ${m}`) });
  const live = await first.gateways();
  const liveCountries = await first.countries('exit');
  t.false(live.cached);
  const file = join(dir, 'gateways-vpn.json');
  const onDisk = JSON.parse(readFileSync(file, 'utf8')) as { format: number; url: string; fetchedAt: number; body: unknown[] };
  t.is(onDisk.format, 1);
  t.is(onDisk.fetchedAt, live.fetchedAt);
  t.is(onDisk.body.length, 4, 'the body as the API sent it');
  t.is(statSync(file).mode & 0o777, 0o644);

  const apiUrl = server.apiUrl;
  const port = server.address!.port;
  await server.stop();
  // The same process: from memory. A new process (new client): from disk.
  const again = await first.gateways('vpn', { fresh: true });
  t.true(again.cached);
  t.regex(again.reason!, /ECONNREFUSED/);
  t.true(logs.some((l) => /^warn: gateway directory: .*ECONNREFUSED.*using the list from/.test(l)));
  const restarted = new DirectoryClient({ apiUrl, cacheDir: dir });
  const fromDisk = await restarted.gateways();
  t.true(fromDisk.cached);
  t.is(fromDisk.fetchedAt, live.fetchedAt);
  t.deepEqual(fromDisk.value, live.value);
  t.deepEqual((await restarted.countries('exit')).value, liveCountries.value);
  t.true((await restarted.gateways()).cached, 'a list read from disk is never passed off as fresh');
  // A list never fetched has no cache: a clear error.
  const e = await t.throwsAsync(restarted.gateways('entry'), { instanceOf: DirectoryError });
  t.is(e!.code, 'Unreachable');

  // The API is back: fresh again.
  const back = new LabDirectoryServer({ gateways: LAB });
  await back.start('127.0.0.1', port);
  t.teardown(() => back.stop());
  const fresh = await restarted.gateways('vpn', { fresh: true });
  t.false(fresh.cached);
  t.true(fresh.fetchedAt > live.fetchedAt || fresh.fetchedAt === live.fetchedAt);
});

test('an unchanged answer does not rewrite the cache file (flash wear)', async (t) => {
  const server = await labServer();
  t.teardown(() => server.stop());
  const dir = scratchDir('dircache');
  const client = new DirectoryClient({ apiUrl: server.apiUrl, cacheDir: dir });
  server.setRawGateways(readFixture('upstream-gateways.json'));  // the lab list stamps each probe with now
  await client.gateways('exit');
  const file = join(dir, 'gateways-exit.json');
  const ino = statSync(file).ino;
  await client.gateways('exit', { fresh: true });
  t.is(statSync(file).ino, ino, 'same file: not replaced');
  server.setGateways(LAB);
  await client.gateways('exit', { fresh: true });
  t.not(statSync(file).ino, ino, 'a changed list is written');
});

test('a corrupt cache file is not used, and says so', async (t) => {
  const dir = scratchDir('dircache');
  writeFileSync(join(dir, 'gateways-vpn.json'), '{"format":1,"url":"x","fetchedAt":1,"body":{"not":"a list"}}');
  writeFileSync(join(dir, 'countries-vpn.json'), 'garbage');
  const logs: string[] = [];
  const client = new DirectoryClient({ apiUrl: 'http://127.0.0.1:9/', cacheDir: dir, log: (_l, m) => logs.push(m), timeoutMs: 2000 });
  await t.throwsAsync(client.gateways(), { instanceOf: DirectoryError, message: /127\.0\.0\.1:9/ });
  await t.throwsAsync(client.countries(), { instanceOf: DirectoryError });
  t.true(logs.some((m) => /cache for gateways-vpn is unusable: the gateway list is not a JSON array/.test(m)));
  t.true(logs.some((m) => /cache is unusable: cache .*countries-vpn.json is not JSON/.test(m)));
});

test('a server that never answers: Timeout after timeoutMs, then the cache', async (t) => {
  const silent = await silentServer();
  t.teardown(() => silent.close());
  const client = new DirectoryClient({ apiUrl: `http://127.0.0.1:${silent.port}/`, timeoutMs: 400 });
  const start = Date.now();
  const e = await t.throwsAsync(client.gateways(), { instanceOf: DirectoryError });
  const took = Date.now() - start;
  t.is(e!.code, 'Timeout');
  t.regex(e!.message, /no complete answer within 400 ms/);
  t.true(took >= 380 && took < 2000, `took ${took} ms`);

  // With a cache from an earlier good answer.
  const server = await labServer();
  const dir = scratchDir('dircache');
  await new DirectoryClient({ apiUrl: server.apiUrl, cacheDir: dir }).gateways();
  await server.stop();
  writeFileSync(join(dir, 'gateways-vpn.json'), readFileSync(join(dir, 'gateways-vpn.json')));
  const stuck = new DirectoryClient({ apiUrl: `http://127.0.0.1:${silent.port}/`, cacheDir: dir, timeoutMs: 300 });
  const ans = await stuck.gateways();
  t.true(ans.cached);
  t.regex(ans.reason!, /no complete answer within 300 ms/);
  t.is(ans.value.length, 4);
});

test('bodies over the size limit are refused (declared or streamed)', async (t) => {
  const server = await labServer();
  t.teardown(() => server.stop());
  server.setRawGateways(readFixture('upstream-gateways.json'));
  const client = new DirectoryClient({ apiUrl: server.apiUrl, maxBytes: 2048 });
  const e = await t.throwsAsync(client.gateways(), { instanceOf: DirectoryError });
  t.is(e!.code, 'TooLarge');
  t.regex(e!.message, /more than the 2048 allowed/);
});

test('HTTP errors name the status and the API\'s message; a cancelled request does not fall back', async (t) => {
  const server = await labServer({ basePath: '/api' });
  t.teardown(() => server.stop());
  const wrongBase = new DirectoryClient({ apiUrl: `${server.apiUrl}/v2` });
  const e = await t.throwsAsync(wrongBase.gateways(), { instanceOf: DirectoryError });
  t.is(e!.code, 'HttpStatus');
  t.regex(e!.message, /HTTP 404: no such path \/api\/v2\/public\/v1\/directory\/gateways$/);

  const dir = scratchDir('dircache');
  const client = new DirectoryClient({ apiUrl: server.apiUrl, cacheDir: dir });
  await client.gateways();
  const ac = new AbortController();
  ac.abort();
  const aborted = await t.throwsAsync(client.gateways('vpn', { fresh: true, signal: ac.signal }), { instanceOf: DirectoryError });
  t.is(aborted!.code, 'Aborted');
});

test('a caller that joined another\'s request is not cancelled with it', async (t) => {
  const server = await labServer();
  t.teardown(() => server.stop());
  const client = new DirectoryClient({ apiUrl: server.apiUrl });
  const ac = new AbortController();
  const first = client.gateways('vpn', { signal: ac.signal });
  const second = client.gateways('vpn');
  ac.abort();
  await t.throwsAsync(first, { instanceOf: DirectoryError, message: /cancelled/ });
  const ans = await second;
  t.false(ans.cached);
  t.is(ans.value.length, 4);
});

test('the mixnet minimum also filters a cached list (its query may have been another)', async (t) => {
  const server = await labServer();
  const dir = scratchDir('dircache');
  const apiUrl = server.apiUrl;
  await new DirectoryClient({ apiUrl, cacheDir: dir }).gateways();
  await server.stop();
  const strict = new DirectoryClient({ apiUrl, cacheDir: dir, minPerformance: { mixnet: 90 } });
  const ans = await strict.gateways();
  t.true(ans.cached);
  t.deepEqual(ans.value.map((g) => g.name), ['entry nl']);
});

test('bad options are refused at construction', (t) => {
  t.throws(() => new DirectoryClient({ apiUrl: 'nymvpn.com/api' }), { instanceOf: TypeError, message: /not a URL/ });
  t.throws(() => new DirectoryClient({ apiUrl: 'ftp://nymvpn.com/api' }), { instanceOf: TypeError, message: /not http/ });
  t.throws(() => new DirectoryClient({ apiUrl: 'https://nymvpn.com/api?x=1' }), { instanceOf: TypeError });
  t.throws(() => new DirectoryClient({ apiUrl: 'https://nymvpn.com/api', minPerformance: { mixnet: 101 } }), { instanceOf: RangeError });
  t.throws(() => new DirectoryClient({ apiUrl: 'https://nymvpn.com/api' }).startRefresh(10), { instanceOf: RangeError });
});

test('the background refresh asks again on its interval, and its timer does not keep a process alive', async (t) => {
  const server = await labServer();
  t.teardown(() => server.stop());
  const client = new DirectoryClient({ apiUrl: server.apiUrl });
  await client.gateways('exit');
  await client.countries('vpn');
  const before = server.requests.length;
  client.startRefresh(1000);
  await new Promise((r) => setTimeout(r, 1500));
  client.stopRefresh();
  const asked = server.requests.slice(before);
  t.true(asked.includes('/public/v1/directory/gateways/exit'), asked.join(' '));
  t.true(asked.includes('/public/v1/directory/gateways/countries?show_vpn_only=true'));

  // A process whose only pending work is the refresh timer exits by itself.
  const script = `
    const { DirectoryClient } = await import(${JSON.stringify(join(repoRoot, 'dist/src/gateways/directory.js'))});
    const c = new DirectoryClient({ apiUrl: ${JSON.stringify(server.apiUrl)} });
    await c.gateways();
    c.startRefresh(60000);
    console.log('started');`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  const code = await new Promise<number | null>((resolve) => {
    const timer = setTimeout(() => {
      child.kill();
      resolve(-1);
    }, 10_000);
    child.on('close', (c) => { // close, not exit: its stdout has been read by then
      clearTimeout(timer);
      resolve(c);
    });
  });
  t.is(code, 0);
  t.is(out.trim(), 'started');
});
