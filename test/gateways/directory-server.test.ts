// The lab directory server: its JSON is what the strict client parser accepts, filters
// (entry/exit/all, countries, show_vpn_only, min performance as upstream sends it), errors in the
// API's shape, stop/start, and the CLI entry the lab runs in a namespace.

import test from 'ava';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseGatewayList } from '../../src/gateways/index.js';
import { JsonLinesChild } from '../../tools/lab/process.js';
import { LabDirectoryServer, gatewayJson, labIdentity, validateLabGateways, type LabGateway } from '../../tools/lab/directory-server.js';
import { repoRoot, scratchDir } from './helpers.js';

const GWS: LabGateway[] = [
  { id: labIdentity('srv a'), name: 'a', country: 'NL', role: 'entry', ip: '203.0.113.10', performance: 90 },
  { id: labIdentity('srv b'), name: 'b', country: 'DE', role: 'exit', ip: '203.0.113.20', performance: 70 },
  { id: labIdentity('srv c'), name: 'c', country: 'US', role: 'exit', ip: '203.0.113.21', performance: 30, canRoute: false },
  { id: labIdentity('srv d'), name: 'd', country: 'FR', role: 'entry', ip: '203.0.113.30', performance: 99, vpn: false, wsPort: 9001 },
];

async function get(server: LabDirectoryServer, path: string, method = 'GET'): Promise<{ status: number; body: any }> {
  const res = await fetch(`${server.apiUrl}${path}`, { method });
  return { status: res.status, body: await res.json() };
}

test('every gateway the server writes passes the strict parser with the fields it was described with', (t) => {
  const now = Date.parse('2025-02-01T00:00:00Z');
  const list = parseGatewayList(GWS.map((g) => gatewayJson(g, now)), (i) => t.fail(i.reason));
  t.is(list.length, 4);
  t.like(list[1], { name: 'b', country: 'DE', role: 'ExitGateway', performance: 70, wsPort: 9000 });
  t.truthy(list[1]!.ipPacketRouterAddress);
  t.is(list[0]!.ipPacketRouterAddress, undefined);
  t.is(list[3]!.authenticatorAddress, undefined);
  t.is(list[3]!.wsPort, 9001);
  t.is(list[2]!.lastProbe?.outcome.asExit?.canRouteIpV4, false);
  t.is(list[0]!.lastProbe?.lastUpdatedMs, now);
  t.is(labIdentity('x'), labIdentity('x'), 'stable');
});

test('paths, filters and errors', async (t) => {
  const server = new LabDirectoryServer({ gateways: GWS, basePath: '/api/' });
  await server.start('127.0.0.1', 0);
  t.teardown(() => server.stop());
  const names = (body: Array<{ name: string }>): string[] => body.map((g) => g.name);
  const base = '/public/v1/directory/gateways';
  t.deepEqual(names((await get(server, base)).body), ['a', 'b', 'c', 'd']);
  t.deepEqual(names((await get(server, `${base}?show_vpn_only=true`)).body), ['a', 'b', 'c']);
  t.deepEqual(names((await get(server, `${base}/entry`)).body), ['a', 'b', 'c', 'd']);
  t.deepEqual(names((await get(server, `${base}/exit`)).body), ['b', 'c']);
  t.deepEqual(names((await get(server, `${base}?mixnet_min_performance=70%25`)).body), ['a', 'b', 'd']);
  t.deepEqual(names((await get(server, `${base}/exit?vpn_min_performance=50`)).body), ['b']);
  t.deepEqual((await get(server, `${base}/countries`)).body, ['DE', 'FR', 'NL', 'US']);
  t.deepEqual((await get(server, `${base}/countries?show_vpn_only=true&mixnet_min_performance=50%25`)).body, ['DE', 'NL']);
  t.deepEqual((await get(server, `${base}/exit/countries`)).body, ['DE', 'US']);
  t.deepEqual((await get(server, `${base}/entry/countries?show_vpn_only=true`)).body, ['DE', 'NL', 'US']);
  t.deepEqual(await get(server, `${base}?mixnet_min_performance=lots`), { status: 400, body: { message: 'mixnet_min_performance=lots is not a percentage', status: '400' } });
  t.is((await get(server, `${base}/middle`)).status, 404);
  t.is((await get(server, '/public/v1/account')).status, 404);
  t.is((await get(server, base, 'POST')).status, 405);
});

test('stop and start again on the same port (the cache tests use this)', async (t) => {
  const server = new LabDirectoryServer({ gateways: GWS });
  const { port } = await server.start('127.0.0.1', 0);
  const url = server.apiUrl;
  await server.stop();
  await t.throwsAsync(fetch(`${url}/public/v1/directory/gateways`));
  await server.start('127.0.0.1', port);
  t.teardown(() => server.stop());
  t.is((await fetch(`${url}/public/v1/directory/gateways`)).status, 200);
  await t.throwsAsync(server.start(), { message: /already listening/ });
});

test('descriptions are checked, naming the bad field', (t) => {
  const ok = GWS[0]!;
  t.throws(() => validateLabGateways({}), { message: /JSON array/ });
  t.throws(() => validateLabGateways([{ ...ok, id: 'lab-entry' }]), { message: /gateway 0: id must be a base58 ed25519 key/ });
  t.throws(() => validateLabGateways([ok, { ...ok, country: 'NLD' }]), { message: /gateway 1: country/ });
  t.throws(() => validateLabGateways([{ ...ok, role: 'middle' }]), { message: /role/ });
  t.throws(() => validateLabGateways([{ ...ok, ip: '203.0.113.300' }]), { message: /ip must be/ });
  t.throws(() => validateLabGateways([{ ...ok, performance: 0.9 }]), { message: /performance must be an integer percent/ });
  t.throws(() => validateLabGateways([{ ...ok, wsPort: 0 }]), { message: /wsPort/ });
});

test('CLI: --listen/--gateways, a ready line, SIGHUP reloads, SIGTERM stops; bad input exits 2', async (t) => {
  const dir = scratchDir('dirsrv');
  const file = join(dir, 'gateways.json');
  writeFileSync(file, JSON.stringify(GWS.slice(0, 2)));
  const script = join(repoRoot, 'dist/tools/lab/directory-server.js');
  const child = new JsonLinesChild(spawn(process.execPath, [script, '--listen', '127.0.0.1:0', '--gateways', file, '--base-path', '/api'], { stdio: ['ignore', 'pipe', 'pipe'] }));
  t.teardown(() => child.child.kill('SIGKILL'));
  const ready = await child.next<{ listening: string; gateways: number }>((m) => 'listening' in m);
  t.regex(ready.listening, /^127\.0\.0\.1:\d+$/);
  t.is(ready.gateways, 2);
  const url = `http://${ready.listening}/api/public/v1/directory/gateways`;
  t.is(((await (await fetch(url)).json()) as unknown[]).length, 2);
  writeFileSync(file, JSON.stringify(GWS));
  child.child.kill('SIGHUP');
  await child.next((m) => m.reloaded === true);
  t.is(((await (await fetch(url)).json()) as unknown[]).length, 4);
  writeFileSync(file, '[{"id": "bad"}]');
  child.child.kill('SIGHUP');
  await new Promise((r) => setTimeout(r, 300));
  t.regex(child.stderr, /reload failed, keeping the old list: gateway 0: id must be/);
  t.is(((await (await fetch(url)).json()) as unknown[]).length, 4);
  child.child.kill('SIGTERM');
  t.deepEqual(await child.exited(), { code: 0, signal: null });

  for (const args of [['--listen', '127.0.0.1:0'], ['--listen', 'nowhere', '--gateways', file], ['--listen', '127.0.0.1:0', '--gateways', join(dir, 'missing.json')]]) {
    const bad = new JsonLinesChild(spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] }));
    t.is((await bad.exited()).code, 2, args.join(' '));
    t.regex(bad.stderr, /^directory-server: /);
  }
});

test('IPv6 listen addresses', async (t) => {
  const server = new LabDirectoryServer({ gateways: GWS });
  await server.start('::1', 0);
  t.teardown(() => server.stop());
  t.regex(server.apiUrl, /^http:\/\/\[::1\]:\d+$/);
  t.is((await get(server, '/public/v1/directory/gateways/exit')).body.length, 2);
});
