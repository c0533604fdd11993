// Issue #13.4: with the Nym registrar, `gateways` lists every directory gateway that has a v6 authenticator and
// whose last probe passes for the role — not only those with a uci peer; static peers stay (self-hosted).
import test from 'ava';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GatewayService } from '../../src/daemon/gateways.js';
import { resolvePaths } from '../../src/daemon/paths.js';
import { defaultNymVpnConfig } from '../../src/config/nym-vpn-config.js';
import { FirstRegistrar, StaticRegistrar } from '../../src/gateways/index.js';
import { NymRegistrar } from '../../src/nym-registration/nym-registrar.js';
import { LabDirectoryServer, labIdentity } from '../../tools/lab/directory-server.js';

const id = (n: string) => labIdentity(n);

test('the Nym registrar lists what it can register: v6 authenticator, probe passing for the role; static peers too', async (t) => {
  const dir = new LabDirectoryServer({
    basePath: '/api',
    gateways: [
      { id: id('good-exit'), name: 'good exit', country: 'CH', role: 'exit', ip: '203.0.113.20', performance: 90 },
      { id: id('good-entry'), name: 'good entry', country: 'DE', role: 'entry', ip: '203.0.113.10', performance: 90 },
      { id: id('no-auth'), name: 'mixnet only', country: 'FR', role: 'exit', ip: '203.0.113.30', performance: 90, vpn: false },
      { id: id('old'), name: 'old build', country: 'NL', role: 'exit', ip: '203.0.113.40', performance: 90, buildVersion: '1.22.0' },
      { id: id('no-route'), name: 'cannot route', country: 'SE', role: 'exit', ip: '203.0.113.50', performance: 90, canRoute: false },
    ],
  });
  await dir.start();
  const root = mkdtempSync(join(tmpdir(), 'nym-reg-'));
  t.teardown(async () => { await dir.stop(); rmSync(root, { recursive: true, force: true }); });
  const config = defaultNymVpnConfig();
  const withPeer = {
    ...config,
    main: { ...config.main, apiUrl: dir.apiUrl },
    peers: [{ section: 'home', role: 'exit' as const, gatewayId: 'home-gw', publicKey: 'A'.repeat(43) + '=', endpoint: { host: '198.51.100.7', port: 51820 }, addresses: ['10.9.0.2/32'], presharedKey: undefined, country: 'AT' }],
  };
  const log = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };
  const keys = { privateKey: async () => new Uint8Array(32).fill(1) };
  const nym = new NymRegistrar({ channel: { send: async () => {}, subscribe: () => () => {} }, privateKey: keys.privateKey, tickets: { spend: async () => new Uint8Array(), upgradeModeToken: async () => undefined } });
  const both = new GatewayService(() => withPeer, resolvePaths(root), log as never, () => undefined, keys, () => new FirstRegistrar([new StaticRegistrar(withPeer.peers), nym]));
  t.teardown(() => both.stop());
  const exits = (await both.list('exit')) as { gateways: Array<{ id: string; static: boolean }> };
  t.deepEqual(exits.gateways.map((g) => g.id).sort(), [id('good-exit'), 'home-gw'].sort());
  t.true(exits.gateways.find((g) => g.id === 'home-gw')!.static);
  t.deepEqual(((await both.list('entry')) as { gateways: Array<{ id: string }> }).gateways.map((g) => g.id).sort(), [id('good-entry'), id('good-exit'), id('no-route'), id('old')].filter((g) => g !== id('old')).sort(),
    'as entries: every gateway with a v6 authenticator (an exit can be an entry); the old build is out');
  t.deepEqual((await both.countries('exit')).countries, ['AT', 'CH']);

  // The static registrar alone: only the uci peers, as before.
  const staticOnly = new GatewayService(() => withPeer, resolvePaths(root), log as never, () => undefined, keys);
  t.teardown(() => staticOnly.stop());
  t.deepEqual(((await staticOnly.list('exit')) as { gateways: Array<{ id: string }> }).gateways.map((g) => g.id), ['home-gw']);
});
