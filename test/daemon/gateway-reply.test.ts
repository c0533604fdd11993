// The `gateways` reply with and without latency measurements: the fields the schema names, latency_ms only
// from a recent answered probe, measured_at alone for a silent one, neither when the measurement is stale or
// absent — each reply checked against ubus-schema/nym-vpn.json. Also through GatewayService.list with a
// real LatencyBook on a test clock (the static peers of UCI, no directory).
import test from 'ava';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gatewayListReply, latencyFields } from '../../src/daemon/gateway-reply.js';
import { GatewayService } from '../../src/daemon/gateways.js';
import { resolvePaths } from '../../src/daemon/paths.js';
import { defaultNymVpnConfig } from '../../src/config/nym-vpn-config.js';
import { LATENCY_MAX_AGE_MS, LatencyBook, type Gateway, type LatencyRecord } from '../../src/gateways/index.js';
import { checkValue, loadSchema } from '../../src/ubus/schema.js';
import { repoRoot } from '../helpers/bus.js';

const reply = loadSchema(resolve(repoRoot, 'ubus-schema/nym-vpn.json')).methods.gateways!.reply;
const AT = Date.parse('2025-03-01T12:00:00.750Z');

const gw = (id: string, extra: Partial<Gateway> = {}): Gateway => ({
  id, name: `gw ${id}`, country: 'NL', ipAddresses: ['192.0.2.1'], performance: 90, source: 'directory', ...extra,
});

function listed(records: Record<string, LatencyRecord>): Array<Record<string, unknown>> {
  const r = gatewayListReply({ gateways: [gw('a'), gw('b'), gw('c', { name: undefined, country: undefined })], statics: new Set(['b']), latency: (id) => records[id], cached: false });
  return r.gateways as Array<Record<string, unknown>>;
}

test('without measurements: the reply as before, no latency field, valid by the schema', (t) => {
  const r = gatewayListReply({ gateways: [gw('a'), gw('c', { name: undefined, country: undefined })], statics: new Set(['a']), latency: () => undefined, cached: true });
  t.deepEqual(r, {
    gateways: [
      { id: 'a', name: 'gw a', country: 'NL', performance: 90, ip_addresses: ['192.0.2.1'], static: true },
      { id: 'c', country: '', performance: 90, ip_addresses: ['192.0.2.1'], static: false },
    ],
    cached: true,
  });
  t.is(checkValue(reply, r), null);
});

test('with measurements: latency_ms in whole ms and measured_at in unix seconds; a silent probe gives measured_at only', (t) => {
  const gws = listed({ a: { rttMs: 23.4, measuredAtMs: AT }, b: { measuredAtMs: AT } });
  t.like(gws[0], { id: 'a', latency_ms: 23, measured_at: Math.floor(AT / 1000) });
  t.deepEqual(gws[1], { id: 'b', name: 'gw b', country: 'NL', performance: 90, ip_addresses: ['192.0.2.1'], static: true, measured_at: Math.floor(AT / 1000) });
  t.false('latency_ms' in gws[1]!, 'no answer: no latency');
  t.false('latency_ms' in gws[2]! || 'measured_at' in gws[2]!, 'never measured: neither');
  t.is(checkValue(reply, { gateways: gws }), null);
});

test('rounding: half a millisecond up, sub-millisecond LAN gateways 0, an absurd round trip capped at int32', (t) => {
  t.deepEqual(latencyFields({ rttMs: 0.4, measuredAtMs: AT }), { latency_ms: 0, measured_at: Math.floor(AT / 1000) });
  t.is(latencyFields({ rttMs: 0.5, measuredAtMs: AT }).latency_ms, 1);
  t.is(latencyFields({ rttMs: 999.49, measuredAtMs: AT }).latency_ms, 999);
  const huge = latencyFields({ rttMs: 1e12, measuredAtMs: AT });
  t.is(huge.latency_ms, 2 ** 31 - 1);
  t.is(checkValue(reply, { gateways: [{ id: 'x', country: 'NL', performance: 1, ...huge }] }), null);
});

test('values that are not times are left out, never sent', (t) => {
  t.deepEqual(latencyFields(undefined), {});
  t.deepEqual(latencyFields({ rttMs: 5, measuredAtMs: Number.NaN }), {});
  t.deepEqual(latencyFields({ rttMs: 5, measuredAtMs: -1 }), {});
  t.deepEqual(latencyFields({ rttMs: Number.NaN, measuredAtMs: AT }), { measured_at: Math.floor(AT / 1000) });
  t.deepEqual(latencyFields({ rttMs: -3, measuredAtMs: AT }), { measured_at: Math.floor(AT / 1000) });
});

test('the schema refuses what the reply must never hold: a negative or fractional latency, a string time', (t) => {
  const one = (extra: Record<string, unknown>) => ({ gateways: [{ id: 'x', country: 'NL', performance: 1, ...extra }] });
  t.is(checkValue(reply, one({ latency_ms: -1 }))?.path, '.gateways[0].latency_ms');
  t.is(checkValue(reply, one({ latency_ms: 2.5 }))?.path, '.gateways[0].latency_ms');
  t.is(checkValue(reply, one({ measured_at: '2025-03-01' }))?.path, '.gateways[0].measured_at');
});

test('GatewayService.list: the book\'s measurements per gateway; stale ones gone; listing never probes', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'nym-gw-reply-'));
  const config = defaultNymVpnConfig();
  // No directory (a closed port): the static peers alone.
  const cfg = {
    ...config,
    main: { ...config.main, apiUrl: 'http://127.0.0.1:9/api' },
    peers: ['one', 'two'].map((g, i) => ({ section: g, role: 'entry' as const, gatewayId: `gw-${g}`, publicKey: 'A'.repeat(43) + '=', endpoint: { host: `198.51.100.${i + 1}`, port: 51820 }, addresses: ['10.9.0.2/32'], presharedKey: undefined, country: 'AT' })),
  };
  const clock = { mono: 0, wall: AT };
  const book = new LatencyBook({ monotonic: () => clock.mono, wall: () => clock.wall });
  const log = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };
  // Every TCP connection the service opens goes through ownSocket: the directory's, and a probe's would.
  const opened: string[] = [];
  const ownSocket = () => (host: string, port: number): never => { opened.push(`${host}:${port}`); throw new Error('no sockets in this test'); };
  const service = new GatewayService(() => cfg, resolvePaths(root), log as never, ownSocket, { privateKey: async () => new Uint8Array(32) }, undefined, book);
  t.teardown(() => { service.stop(); rmSync(root, { recursive: true, force: true }); });

  const before = await service.list('entry');
  t.is(checkValue(reply, before), null);
  t.deepEqual((before.gateways as Array<Record<string, unknown>>).map((g) => [g.id, g.latency_ms, g.measured_at]), [['gw-one', undefined, undefined], ['gw-two', undefined, undefined]]);

  book.record([{ id: 'gw-one', attempts: 3, rttMs: 41.7 }, { id: 'gw-two', attempts: 3, error: 'no answer in time' }]);
  const after = await service.list('entry');
  t.is(checkValue(reply, after), null);
  t.deepEqual((after.gateways as Array<Record<string, unknown>>).map((g) => [g.id, g.latency_ms, g.measured_at]), [['gw-one', 42, Math.floor(AT / 1000)], ['gw-two', undefined, Math.floor(AT / 1000)]]);
  t.is(service.latencies, book);

  clock.mono += LATENCY_MAX_AGE_MS;
  const stale = await service.list('entry');
  t.is(checkValue(reply, stale), null);
  t.deepEqual((stale.gateways as Array<Record<string, unknown>>).map((g) => [g.id, g.latency_ms, g.measured_at]), [['gw-one', undefined, undefined], ['gw-two', undefined, undefined]], 'an hour on: not recent, left out');

  for (let i = 0; i < 50; i++) await service.list('entry');
  t.is(book.size, 0, 'listing records nothing');
  t.deepEqual(opened.filter((a) => a.startsWith('198.51.100.')), [], 'no connection to a gateway: listing never probes');
  t.true(opened.every((a) => a === '127.0.0.1:9'), `only the directory was asked: ${opened.join(', ')}`);
});
