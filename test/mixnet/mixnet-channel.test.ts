// The mixnet worker with upstream's own nym-client-wasm 1.4.1 against the lab gateway and lab nym-api.
import test from 'ava';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { exchange, ExchangeError } from '../../src/nym-registration/exchange.js';
import { ed25519, x25519 } from '@noble/curves/ed25519.js';
import { base58 } from '@scure/base';
import { MixnetChannel, MixnetStartError } from '../../src/mixnet/mixnet-channel.js';
import { LabNymGateway, type MixPacketFrame } from '../../tools/lab/nym-gateway/gateway-server.js';
import { startLabNymApi, type LabTopologyGateway } from '../../tools/lab/nym-gateway/nym-api.js';
import { NYM_FWMARK } from '../../src/routing/policy.js';

const node = (nodeId: number, wsPort = 0): LabTopologyGateway => ({
  nodeId,
  identityKey: ed25519.getPublicKey(randomBytes(32)),
  sphinxKey: x25519.getPublicKey(randomBytes(32)),
  host: '127.0.0.1',
  wsPort,
  mixPort: 1789,
});

async function lab() {
  const packets: MixPacketFrame[] = [];
  const packetWaiters: Array<(f: MixPacketFrame) => void> = [];
  const gateway = new LabNymGateway({ identityPrivate: randomBytes(32), onMixPacket: (f) => { packets.push(f); for (const w of packetWaiters.splice(0)) w(f); } });
  const wsPort = await gateway.start();
  const entry = { ...node(7, wsPort), identityKey: gateway.identityKey };
  const api = await startLabNymApi([entry], [node(101), node(102), node(103)]);
  const nextPacket = () => new Promise<MixPacketFrame>((resolve) => packetWaiters.push(resolve));
  return { gateway, api, packets, nextPacket, close: async () => { await gateway.close(); await api.close(); } };
}

const mb = (n: number) => (n / 1048576).toFixed(1);

test.serial('the official WASM client, in its own process, completes the registration handshake with the lab gateway; its memory is never the daemon\'s and is all gone when it ends', async (t) => {
  const l = await lab();
  t.teardown(l.close);
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const before = process.memoryUsage().rss;
  const outcome = await MixnetChannel.start({ nymApiUrl: l.api.url, gateway: base58.encode(l.gateway.identityKey), startTimeoutMs: 20_000 }, new AbortController().signal)
    .then((c) => ({ ok: true as const, c }), (e: Error) => ({ ok: false as const, e }));
  if (!outcome.ok) return t.fail(`client start: ${outcome.e.message}`);
  const channel = outcome.c;
  const pid = channel.pid!;
  const childRss = Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]) * 1024;
  const withClient = process.memoryUsage().rss;
  await channel.close();
  gc?.();
  const after = process.memoryUsage().rss;
  t.log(`client process ${pid}: ${mb(childRss)} MiB; this process: before ${mb(before)} MiB, with the client running ${mb(withClient)} MiB, after it ended ${mb(after)} MiB`);
  t.log(`connected as ${channel.address}`);
  t.log(`nym-api requests: ${l.api.requests.join(', ')}`);
  t.log(`gateway: ${l.gateway.journal.join(', ')}`);
  t.true(l.gateway.journal.includes('text supportedProtocol'));
  t.is(l.gateway.clients.size, 1, 'one client finished the handshake (its signature verified, the shared key derived)');
  t.true(l.api.requests.some((r) => r.startsWith('GET /v2/unstable/nym-nodes/skimmed/entry-gateways')));
  t.true(childRss > 20 * 1048576, 'the WASM client lives in the child');
  t.false(existsSync(`/proc/${pid}`), 'the client process is gone once closed');
  // What grows here is the in-process lab gateway's own state, never the WASM client (a worker thread used to
  // leave ~85 MB behind).
  t.true(after - before < 16 * 1048576, `this process grew ${mb(after - before)} MiB`);
});

test.serial('a message sent through the channel reaches the lab gateway as one encrypted ForwardSphinx frame the gateway decrypts', async (t) => {
  const l = await lab();
  t.teardown(l.close);
  const channel = await MixnetChannel.start({ nymApiUrl: l.api.url, gateway: base58.encode(l.gateway.identityKey), startTimeoutMs: 20_000 }, new AbortController().signal);
  t.teardown(() => channel.close());
  t.regex(channel.address, /^[1-9A-HJ-NP-Za-km-z]+\.[1-9A-HJ-NP-Za-km-z]+@[1-9A-HJ-NP-Za-km-z]+$/);
  t.true(channel.address.endsWith(`@${base58.encode(l.gateway.identityKey)}`), 'the client is pinned to the lab entry gateway');
  const arrived = l.nextPacket();
  // The authenticator's address at the entry gateway (the lab's own client keys stand in for it).
  const authenticator = `${base58.encode(ed25519.getPublicKey(randomBytes(32)))}.${base58.encode(x25519.getPublicKey(randomBytes(32)))}@${base58.encode(l.gateway.identityKey)}`;
  await channel.send(authenticator, new TextEncoder().encode('initial request'), new AbortController().signal);
  const frame = await arrived;
  t.log(`first mix packet: kind ${frame.kind}, ${frame.packet.length} bytes, first bytes ${Buffer.from(frame.packet.subarray(0, 8)).toString('hex')}`);
  t.true(frame.kind === 1 || frame.kind === 2);
  t.is(frame.clientIdentity, channel.address.split('.')[0]);
});

test.serial('a start aborted before the client connects ends the client process with a MixnetStartError', async (t) => {
  const l = await lab();
  t.teardown(l.close);
  const ac = new AbortController();
  const started = MixnetChannel.start({ nymApiUrl: l.api.url, gateway: base58.encode(l.gateway.identityKey) }, ac.signal);
  ac.abort();
  const e = await t.throwsAsync(started);
  t.true(e instanceof MixnetStartError);
  t.regex(e!.message, /aborted/);
});

test.serial('a nym-api that does not answer the topology gives a MixnetStartError naming the failure', async (t) => {
  const api = await startLabNymApi([], []);
  t.teardown(api.close);
  const e = await t.throwsAsync(MixnetChannel.start({ nymApiUrl: api.url, gateway: base58.encode(ed25519.getPublicKey(randomBytes(32))), startTimeoutMs: 20_000 }, new AbortController().signal));
  t.true(e instanceof MixnetStartError);
  t.regex(e!.message, /failed to start/);
});

test.serial('with nym-vpnd\'s fwmark the client reads the topology through our fetch and reaches its gateway through our websocket sockets', async (t) => {
  // The marks themselves are what the kill switch lets through: the lab end-to-end test (test/e2e/mixnet.test.ts)
  // registers with the kill switch up. Here: the client works at all over marked-network.ts.
  const l = await lab();
  t.teardown(l.close);
  const channel = await MixnetChannel.start({ nymApiUrl: l.api.url, gateway: base58.encode(l.gateway.identityKey), startTimeoutMs: 20_000, mark: NYM_FWMARK }, new AbortController().signal);
  t.teardown(() => channel.close());
  t.true(channel.address.endsWith(`@${base58.encode(l.gateway.identityKey)}`));
  t.true(l.api.requests.some((r) => r.startsWith('GET /v2/unstable/nym-nodes/skimmed/entry-gateways')), 'the topology came through the marked fetch');
  const arrived = l.nextPacket();
  const authenticator = `${base58.encode(ed25519.getPublicKey(randomBytes(32)))}.${base58.encode(x25519.getPublicKey(randomBytes(32)))}@${base58.encode(l.gateway.identityKey)}`;
  await channel.send(authenticator, new TextEncoder().encode('initial request'), new AbortController().signal);
  t.is((await arrived).clientIdentity, channel.address.split('.')[0]);
});

test.serial('a gateway that takes the connection and then drips (never finishes the websocket handshake): MixnetStartError at the start deadline, the client process killed', async (t) => {
  // A TCP listener that reads and never answers: the websocket upgrade never completes.
  const sockets: import('node:net').Socket[] = [];
  const drip = createServer((s) => { sockets.push(s); s.on('data', () => {}); });
  await new Promise<void>((r) => drip.listen(0, '127.0.0.1', r));
  t.teardown(() => { for (const s of sockets) s.destroy(); drip.close(); });
  const port = (drip.address() as import('node:net').AddressInfo).port;
  const identity = ed25519.getPublicKey(randomBytes(32));
  const api = await startLabNymApi([{ ...node(7, port), identityKey: identity }], [node(101), node(102), node(103)]);
  t.teardown(api.close);
  const started = Date.now();
  const e = await t.throwsAsync(MixnetChannel.start({ nymApiUrl: api.url, gateway: base58.encode(identity), startTimeoutMs: 3_000 }, new AbortController().signal));
  t.true(e instanceof MixnetStartError);
  t.regex(e!.message, /not connected within 3000 ms/);
  t.true(Date.now() - started < 6_000, 'ended at its deadline');
  t.true(sockets.length >= 1, 'the client did connect to the dripping gateway');
  await new Promise((r) => setImmediate(r));
  const children = readFileSync(`/proc/${process.pid}/task/${process.pid}/children`, 'utf8').trim();
  t.is(children, '', 'no client process left behind');
});

test.serial('a gateway that closes the websocket mid-way: a registration exchange over the channel fails cleanly (no answer, or a send error), and the channel still closes', async (t) => {
  const l = await lab();
  const channel = await MixnetChannel.start({ nymApiUrl: l.api.url, gateway: base58.encode(l.gateway.identityKey), startTimeoutMs: 20_000 }, new AbortController().signal);
  t.teardown(() => channel.close());
  await l.close(); // the gateway goes away with the client's websocket open
  const authenticator = `${base58.encode(ed25519.getPublicKey(randomBytes(32)))}.${base58.encode(x25519.getPublicKey(randomBytes(32)))}@${base58.encode(l.gateway.identityKey)}`;
  const e = await t.throwsAsync(exchange(channel, authenticator, { type: 'initial', pubKey: new Uint8Array(32).fill(1) }, new AbortController().signal, 2_000));
  t.true(e instanceof ExchangeError, String(e));
  t.true(['Timeout', 'Unreachable'].includes((e as ExchangeError).kind), (e as ExchangeError).kind);
  const pid = channel.pid!;
  await channel.close();
  t.false(existsSync(`/proc/${pid}`));
});
