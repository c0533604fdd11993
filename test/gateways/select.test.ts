// Gateway selection: every mode (id, country, random, low latency with the real TCP probe against
// local sockets), performance tiers and minimums, probe health (exits must route), entry ≠ exit, and
// every error with its upstream reason name.

import test from 'ava';
import { createServer, type Server } from 'node:net';
import {
  GatewaySelectionError,
  measureLatencies,
  selectGateways,
  tcpConnectProbe,
  type Choice,
  type Gateway,
  type GatewayProbe,
  type SelectionReason,
  type SelectionRequest,
} from '../../src/gateways/index.js';
import { closedPort } from './helpers.js';

const NOW = Date.parse('2025-03-01T12:00:00Z');

function probe(minutesAgo: number, exit: 'routes' | 'no-route' | 'none'): GatewayProbe {
  const route = exit === 'routes';
  return {
    lastUpdatedUtc: new Date(NOW - minutesAgo * 60_000).toISOString(),
    lastUpdatedMs: NOW - minutesAgo * 60_000,
    outcome: {
      asEntry: { canConnect: true, canRoute: true },
      ...(exit === 'none' ? {} : { asExit: { canConnect: true, canRouteIpV4: route, canRouteIpExternalV4: route, canRouteIpV6: route, canRouteIpExternalV6: route } }),
    },
  };
}

function gw(id: string, country: string, performance = 90, extra: Partial<Gateway> = {}): Gateway {
  return {
    id, name: id, country, ipAddresses: ['127.0.0.1'], wsPort: 9, performance, source: 'directory',
    authenticatorAddress: `${id}-auth`, ...extra,
  };
}

const choice = (select: Choice['select'], more: Partial<Choice> = {}): Choice =>
  ({ select, id: undefined, country: undefined, minPerformance: undefined, ...more });

async function reason(t: { throwsAsync: Function }, req: SelectionRequest): Promise<{ reason: SelectionReason; message: string }> {
  const e = (await t.throwsAsync(selectGateways(req), { instanceOf: GatewaySelectionError })) as GatewaySelectionError;
  return { reason: e.reason, message: e.message };
}

const LIST = [gw('nl-1', 'NL'), gw('nl-2', 'NL', 80), gw('de-1', 'DE'), gw('ch-1', 'CH', 76), gw('se-1', 'SE', 95)];
const both = (list: Gateway[], entry: Choice, exit: Choice, more: Partial<SelectionRequest> = {}): SelectionRequest =>
  ({ entries: list, exits: list, entry, exit, now: NOW, ...more });

test('by id: both named, performance ignored for a named gateway', async (t) => {
  const list = [...LIST, gw('slow', 'FR', 5)];
  const r = await selectGateways(both(list, choice('id', { id: 'slow' }), choice('id', { id: 'de-1' })));
  t.is(r.entry.id, 'slow');
  t.is(r.exit.id, 'de-1');
  t.deepEqual(r.notes, []);
});

test('by id: the same gateway for both, unknown ids, unusable ids — each named', async (t) => {
  t.like(await reason(t, both(LIST, choice('id', { id: 'de-1' }), choice('id', { id: 'de-1' }))), {
    reason: 'SameEntryAndExitGateway', message: 'entry and exit are both gateway de-1; they must differ',
  });
  t.like(await reason(t, both(LIST, choice('id', { id: 'nope' }), choice('random'))), { reason: 'InvalidEntryGatewayIdentity', message: 'there is no entry gateway nope' });
  t.like(await reason(t, both(LIST, choice('random'), choice('id', { id: 'nope' }))), { reason: 'InvalidExitGatewayIdentity' });
  t.like(await reason(t, both(LIST, choice('id'), choice('random'))), { reason: 'InvalidEntryGatewayIdentity', message: 'no entry gateway id given' });
  const noRoute = gw('broken', 'US', 99, { lastProbe: probe(5, 'no-route') });
  t.like(await reason(t, both([...LIST, noRoute], choice('random'), choice('id', { id: 'broken' }))), {
    reason: 'InvalidExitGatewayIdentity', message: 'exit gateway broken cannot be used: its last probe says it cannot route as an exit',
  });
  const notVpn = gw('mix', 'US', 99, { authenticatorAddress: undefined });
  const mix = await reason(t, both([...LIST, notVpn], choice('id', { id: 'mix' }), choice('random')));
  t.is(mix.reason, 'InvalidEntryGatewayIdentity');
  t.is(mix.message, 'entry gateway mix cannot be used: it is not a WireGuard gateway (no authenticator)');
});

test('by country: case-insensitive input, ISO upper-case match, random within the country', async (t) => {
  const seen = new Set<string>();
  for (let i = 0; i < 40; i++) {
    const r = await selectGateways(both(LIST, choice('country', { country: ' nl ' }), choice('country', { country: 'De' })));
    t.is(r.exit.id, 'de-1');
    t.is(r.entry.country, 'NL');
    seen.add(r.entry.id);
  }
  t.deepEqual([...seen].sort(), ['nl-1', 'nl-2'], 'both NL gateways get chosen');
});

test('by country: no gateway there, or not a code → InvalidEntryGatewayCountry / InvalidExitGatewayCountry', async (t) => {
  t.like(await reason(t, both(LIST, choice('country', { country: 'jp' }), choice('random'))), {
    reason: 'InvalidEntryGatewayCountry', message: 'there is no entry gateway in JP; available: CH, DE, NL, SE',
  });
  t.like(await reason(t, both(LIST, choice('random'), choice('country', { country: 'JP' }))), { reason: 'InvalidExitGatewayCountry' });
  t.like(await reason(t, both(LIST, choice('country', { country: 'Germany' }), choice('random'))), {
    reason: 'InvalidEntryGatewayCountry', message: '"Germany" is not a two-letter country code',
  });
  t.like(await reason(t, both(LIST, choice('random'), choice('country'))), { reason: 'InvalidExitGatewayCountry' });
  // A country whose only exit cannot route: no usable exit there.
  const us = gw('us-1', 'US', 99, { lastProbe: probe(1, 'no-route') });
  const r = await reason(t, both([...LIST, us], choice('random'), choice('country', { country: 'us' })));
  t.is(r.reason, 'InvalidExitGatewayCountry');
  t.regex(r.message, /none of the 1 exit gateway\(s\) in US can be used \(its last probe says it cannot route as an exit\)/);
  // Only poor gateways in the country: the country error, naming performance.
  const poor = await reason(t, both([...LIST, gw('it-1', 'IT', 20)], choice('country', { country: 'IT' }), choice('random')));
  t.deepEqual(poor, { reason: 'InvalidEntryGatewayCountry', message: 'no entry gateways in IT with performance ≥ 50%' });
});

test('entry ≠ exit: a flexible exit leaves the only possible entry alone; SameEntryAndExitGateway only when unavoidable', async (t) => {
  for (let i = 0; i < 50; i++) {
    const r = await selectGateways(both(LIST, choice('country', { country: 'DE' }), choice('random')));
    t.is(r.entry.id, 'de-1');
    t.not(r.exit.id, 'de-1');
    const byId = await selectGateways(both(LIST, choice('id', { id: 'se-1' }), choice('random')));
    t.not(byId.exit.id, 'se-1');
  }
  // The exit is pinned to the only gateway of the entry's country.
  t.like(await reason(t, both(LIST, choice('country', { country: 'DE' }), choice('id', { id: 'de-1' }))), {
    reason: 'SameEntryAndExitGateway', message: 'the only possible entry (entry gateways in DE) is the exit de-1',
  });
  // Exit by country with one gateway, entry by the same country.
  t.like(await reason(t, both(LIST, choice('country', { country: 'DE' }), choice('country', { country: 'DE' }))), { reason: 'SameEntryAndExitGateway' });
  // One gateway in all.
  t.like(await reason(t, both([gw('solo', 'NL')], choice('random'), choice('random'))), { reason: 'SameEntryAndExitGateway' });
  // Random and random: always two different gateways.
  for (let i = 0; i < 50; i++) {
    const r = await selectGateways(both(LIST, choice('random'), choice('random')));
    t.not(r.entry.id, r.exit.id);
  }
});

test('performance: ≥75 % first, then ≥50 % (noted), else Performant…Unavailable; a minimum replaces the tiers', async (t) => {
  const mid = [gw('a', 'NL', 60), gw('b', 'DE', 55), gw('c', 'CH', 74)];
  const r = await selectGateways(both(mid, choice('random'), choice('random')));
  t.true(r.notes.some((n) => n === 'no exit gateways with performance ≥ 75%; took one with ≥ 50%'), r.notes.join('; '));
  const high = [gw('a', 'NL', 60), gw('b', 'DE', 90), gw('c', 'CH', 80)];
  for (let i = 0; i < 20; i++) {
    const x = await selectGateways(both(high, choice('random'), choice('random')));
    t.not(x.exit.id, 'a', 'the high tier first');
  }
  const low = [gw('a', 'NL', 40), gw('b', 'DE', 30)];
  t.like(await reason(t, both(low, choice('random'), choice('random'))), {
    reason: 'PerformantExitGatewayUnavailable', message: 'no exit gateway with performance ≥ 50%',
  });
  const ok = await selectGateways(both(low, choice('random', { minPerformance: 30 }), choice('random', { minPerformance: 40 })));
  t.is(ok.exit.id, 'a');
  t.is(ok.entry.id, 'b');
  t.like(await reason(t, both(low, choice('random', { minPerformance: 35 }), choice('random', { minPerformance: 35 }))), { reason: 'SameEntryAndExitGateway' });
  t.like(await reason(t, both([], choice('random'), choice('random'))), { reason: 'PerformantExitGatewayUnavailable', message: 'no usable exit gateway is known' });
  t.like(await reason(t, { entries: [], exits: LIST, entry: choice('random'), exit: choice('random'), now: NOW }), {
    reason: 'PerformantEntryGatewayUnavailable', message: 'no usable entry gateway is known',
  });
});

test('health: a fresh probe saying an exit cannot route keeps it out; stale or absent probe data does not', async (t) => {
  const list = [
    gw('noroute', 'NL', 99, { lastProbe: probe(10, 'no-route') }),
    gw('entryonly', 'NL', 99, { lastProbe: probe(10, 'none') }),
    gw('stale', 'DE', 99, { lastProbe: probe(90, 'no-route') }),
    gw('unprobed', 'CH', 99),
    gw('good', 'SE', 99, { lastProbe: probe(10, 'routes') }),
  ];
  const exits = new Set<string>();
  const entries = new Set<string>();
  for (let i = 0; i < 200; i++) {
    const r = await selectGateways(both(list, choice('random'), choice('random')));
    exits.add(r.exit.id);
    entries.add(r.entry.id);
  }
  t.deepEqual([...exits].sort(), ['good', 'stale', 'unprobed']);
  t.deepEqual([...entries].sort(), ['entryonly', 'good', 'noroute', 'stale', 'unprobed'], 'all of them can be entries');
  const cannotEnter = gw('x', 'NL', 99, { lastProbe: { ...probe(1, 'routes'), outcome: { asEntry: { canConnect: false, canRoute: true } } } });
  t.like(await reason(t, both([cannotEnter, gw('y', 'DE')], choice('id', { id: 'x' }), choice('random'))), { reason: 'InvalidEntryGatewayIdentity' });
});

test('the error carries the tunnel state\'s reason: state.ts has each of them', (t) => {
  t.is(new GatewaySelectionError('SameEntryAndExitGateway', 'm').tunnelReason, 'SameEntryAndExitGateway');
  t.is(new GatewaySelectionError('InvalidExitGatewayCountry', 'm').tunnelReason, 'InvalidExitGatewayCountry');
  t.is(new GatewaySelectionError('PerformantEntryGatewayUnavailable', 'm').tunnelReason, 'PerformantEntryGatewayUnavailable');
  t.is(new GatewaySelectionError('InvalidEntryGatewayIdentity', 'm').name, 'GatewaySelectionError');
});

async function listening(): Promise<{ server: Server; port: number }> {
  const server = createServer((s) => s.destroy());
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as { port: number }).port };
}

test('low latency with the real TCP probe: a listener (SYN-ACK) and a closed port (RST) both measure', async (t) => {
  const { server, port } = await listening();
  t.teardown(() => server.close());
  const closed = await closedPort();
  t.true((await tcpConnectProbe({ host: '127.0.0.1', port }, new AbortController().signal)) >= 0);
  t.true((await tcpConnectProbe({ host: '127.0.0.1', port: closed }, new AbortController().signal)) >= 0);
  t.true((await tcpConnectProbe({ host: '::1', port: closed }, new AbortController().signal)) >= 0);

  const list = [gw('open', 'NL', 90, { wsPort: port }), gw('closed', 'DE', 90, { wsPort: closed }), gw('v6', 'CH', 90, { ipAddresses: ['::1'], wsPort: closed })];
  const r = await selectGateways(both(list, choice('low_latency'), choice('random')));
  t.not(r.entry.id, r.exit.id);
  t.is(typeof r.entryLatencyMs, 'number');
  t.is(r.exitLatencyMs, undefined, 'the exit was drawn at random');
  const measured = r.measurements.filter((m) => m.rttMs !== undefined);
  t.is(measured.length, 2, 'the two entry candidates left after the exit');
  for (const m of measured) {
    t.is(m.attempts, 3);
    t.regex(m.target!, /^(127\.0\.0\.1|\[::1\]):\d+$/);
  }
  const exitLL = await selectGateways(both(list, choice('random'), choice('low_latency')));
  t.is(typeof exitLL.exitLatencyMs, 'number');
});

test('low latency draws with weight 1/latency (injected draws, measured latencies)', async (t) => {
  const list = [gw('fast', 'NL'), gw('slow', 'DE'), gw('exit', 'CH')];
  const rtt: Record<string, number> = { 'fast-host': 1, 'slow-host': 99 };
  list[0]!.ipAddresses = []; list[0]!.hostname = 'fast-host';
  list[1]!.ipAddresses = []; list[1]!.hostname = 'slow-host';
  const fakeRtt = async (target: { host: string }): Promise<number> => rtt[target.host] ?? 50;
  const req = (draw: number) => both(list, choice('low_latency'), choice('id', { id: 'exit' }), { latency: { probe: fakeRtt }, random: () => draw });
  // Weights 1 and 1/99: the slow one only in the last 1 % of draws.
  t.is((await selectGateways(req(0.5))).entry.id, 'fast');
  t.is((await selectGateways(req(0.985))).entry.id, 'fast');
  t.is((await selectGateways(req(0.995))).entry.id, 'slow');
  t.is((await selectGateways(req(0.5))).entryLatencyMs, 1);
});

test('low latency: when no gateway answers, a random one with a note; the measurement is bounded in time', async (t) => {
  const list = [gw('a', 'NL', 90, { wsPort: undefined }), gw('b', 'DE', 90, { wsPort: undefined }), gw('c', 'CH')];
  const r = await selectGateways(both(list, choice('low_latency'), choice('id', { id: 'c' })));
  t.true(['a', 'b'].includes(r.entry.id));
  t.true(r.notes.includes('no entry gateway answered the latency probe (2 tried); chose one at random'));
  t.deepEqual(r.measurements.map((m) => m.error), ['no address to probe', 'no address to probe']);

  // A probe that never answers on its own: every attempt ends at the attempt timeout, all by the deadline.
  const never = (_t: unknown, signal: AbortSignal) => new Promise<number>((_r, reject) => signal.addEventListener('abort', () => reject(new Error('aborted'))));
  const many = Array.from({ length: 30 }, (_, i) => gw(`g${i}`, 'NL'));
  const start = Date.now();
  const ms = await measureLatencies(many, { probe: never, attemptTimeoutMs: 200, totalMs: 700, concurrency: 10 });
  const took = Date.now() - start;
  t.true(took >= 650 && took < 1600, `took ${took} ms`);
  t.true(ms.every((m) => m.rttMs === undefined));
  t.true(ms.some((m) => m.error === 'not measured before the deadline'));
  t.true(ms.some((m) => m.error === 'no answer in time'));
});

test('low latency probes at most maxProbed gateways, chosen at random', async (t) => {
  const many = Array.from({ length: 40 }, (_, i) => gw(`g${i}`, 'NL', 90, { ipAddresses: [], hostname: `h${i}` }));
  const probed: string[] = [];
  const r = await selectGateways(both([...many, gw('x', 'DE')], choice('low_latency'), choice('id', { id: 'x' }), {
    maxProbed: 8, latency: { probe: async (tg) => { probed.push(tg.host); return 5; } },
  }));
  t.is(new Set(probed).size, 8);
  t.is(r.measurements.length, 8);
});

test('a caller\'s abort ends the measurement at once', async (t) => {
  const ac = new AbortController();
  const never = (_t: unknown, signal: AbortSignal) => new Promise<number>((_r, reject) => signal.addEventListener('abort', () => reject(new Error('aborted'))));
  setTimeout(() => ac.abort(), 100);
  const start = Date.now();
  await measureLatencies([gw('a', 'NL'), gw('b', 'DE')], { probe: never, attemptTimeoutMs: 5000, totalMs: 5000, signal: ac.signal });
  t.true(Date.now() - start < 1000);
});

test('onMeasured is told each run\'s results, also when the selection fails afterwards (the daemon keeps them)', async (t) => {
  const runs: Array<Array<{ id: string; rttMs?: number }>> = [];
  const onMeasured = (ms: readonly { id: string; rttMs?: number }[]) => runs.push(ms.map((m) => ({ id: m.id, rttMs: m.rttMs })));
  const probe = async (tg: { host: string }) => (tg.host === '192.0.2.1' ? 7 : Promise.reject(new Error('refused')));
  const exits = [gw('a', 'NL', 90, { ipAddresses: ['192.0.2.1'] }), gw('b', 'DE', 90, { ipAddresses: ['192.0.2.2'] })];
  // The exit is measured first; then no entry is performant enough.
  const failing = await reason(t, { entries: [gw('slow', 'FR', 10)], exits, entry: choice('random'), exit: choice('low_latency'), now: NOW, latency: { probe, attempts: 1, onMeasured } });
  t.is(failing.reason, 'PerformantEntryGatewayUnavailable');
  t.is(runs.length, 1);
  t.deepEqual(runs[0]!.sort((x, y) => x.id.localeCompare(y.id)), [{ id: 'a', rttMs: 7 }, { id: 'b', rttMs: undefined }]);

  const direct = await measureLatencies(exits.slice(0, 1), { probe, attempts: 1, onMeasured });
  t.is(runs.length, 2);
  t.deepEqual(runs[1], [{ id: 'a', rttMs: 7 }]);
  t.is(direct[0]!.rttMs, 7, 'and the results are returned as before');
});
