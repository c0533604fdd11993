// GatewayService keeps what its low-latency selection measured, through resolve() with the real TCP probe
// over the sockets ownSocket gives: a gateway that answers (a local listener) is kept with its round trip,
// one that never answers with "no answer" — unless the connect was called off meanwhile, when a probe cut
// short says nothing and only answers are kept.
import test from 'ava';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer, Socket, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GatewayService } from '../../src/daemon/gateways.js';
import { resolvePaths } from '../../src/daemon/paths.js';
import { defaultNymVpnConfig } from '../../src/config/nym-vpn-config.js';
import { LatencyBook } from '../../src/gateways/index.js';

// Documentation addresses: the socket factory below decides what happens to each, nothing leaves.
const ANSWERS = '198.51.100.1';
const SILENT = '198.51.100.2';

async function setUp(t: { teardown: (f: () => void | Promise<void>) => void }) {
  const server: Server = createServer((s) => s.destroy());
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  const root = mkdtempSync(join(tmpdir(), 'nym-gw-svc-'));
  const config = defaultNymVpnConfig();
  const cfg = {
    ...config,
    main: { ...config.main, apiUrl: 'http://127.0.0.1:9/api' },
    entry: { ...config.entry, select: 'low_latency' as const },
    exit: { ...config.exit, select: 'random' as const },
    peers: [
      { section: 'answers', role: 'entry' as const, gatewayId: 'gw-answers', endpoint: { host: ANSWERS, port: 51820 } },
      { section: 'silent', role: 'entry' as const, gatewayId: 'gw-silent', endpoint: { host: SILENT, port: 51820 } },
      { section: 'exit', role: 'exit' as const, gatewayId: 'gw-exit', endpoint: { host: '198.51.100.3', port: 51820 } },
    ].map((p, i) => ({ ...p, publicKey: Buffer.alloc(32, i + 1).toString('base64'), addresses: [`10.9.0.${i + 2}/32`], presharedKey: undefined, country: 'AT' })),
  };
  const opened: string[] = [];
  // The probe's sockets: the answering gateway is the local listener; the silent one a socket that never
  // connects (a SYN dropped on the way); anything else (the directory at 127.0.0.1:9) as asked.
  const ownSocket = () => (host: string, p: number): Socket => {
    opened.push(`${host}:${p}`);
    if (host === ANSWERS) return connect({ host: '127.0.0.1', port });
    if (host === SILENT) return new Socket();
    return connect({ host, port: p });
  };
  const book = new LatencyBook({ monotonic: () => performance.now(), wall: () => Date.now() });
  const log = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };
  const service = new GatewayService(() => cfg, resolvePaths(root), log as never, ownSocket, { privateKey: async () => new Uint8Array(32).fill(7) }, undefined, book);
  t.teardown(async () => {
    service.stop();
    await new Promise<void>((r) => server.close(() => r()));
    rmSync(root, { recursive: true, force: true });
  });
  return { service, book, opened };
}

test('a connect\'s probes are kept: the answer with its round trip, the silent gateway as probed without answer', async (t) => {
  const { service, book, opened } = await setUp(t);
  const route = await service.resolve({ entry: { lowLatency: true }, exit: {} }, new AbortController().signal);
  t.is(route.exit.gateway.id, 'gw-exit');
  t.true(opened.includes(`${ANSWERS}:51820`) && opened.includes(`${SILENT}:51820`), opened.join(', '));
  const answered = book.latest('gw-answers');
  t.true(typeof answered?.rttMs === 'number' && answered.rttMs >= 0 && answered.rttMs < 1000, JSON.stringify(answered));
  t.is(typeof answered?.measuredAtMs, 'number');
  const silent = book.latest('gw-silent');
  t.truthy(silent, 'probed');
  t.is(silent?.rttMs, undefined, 'no answer');
  t.is(book.latest('gw-exit'), undefined, 'the exit was chosen at random: not probed');
  const listed = (await service.list('entry')).gateways as Array<{ id: string; latency_ms?: number; measured_at?: number }>;
  t.deepEqual(listed.map((g) => [g.id, typeof g.latency_ms, typeof g.measured_at]), [['gw-answers', 'number', 'number'], ['gw-silent', 'undefined', 'number']]);
});

test('a connect called off while probing keeps the answers only: a cut-short probe is not "no answer"', async (t) => {
  const { service, book } = await setUp(t);
  const ac = new AbortController();
  // The answering gateway answers at once; the silent one is still in its first attempt (1 s) at the abort.
  setTimeout(() => ac.abort(), 300);
  await service.resolve({ entry: { lowLatency: true }, exit: {} }, ac.signal).catch(() => undefined);
  t.is(typeof book.latest('gw-answers')?.rttMs, 'number');
  t.is(book.latest('gw-silent'), undefined);
});
