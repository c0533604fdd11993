// The private-metadata client over real sockets on 127.0.0.1: against the lab's stand-in of the gateway's
// service, paid with real tickets (the lab signers behind the lab vpn-api, ticketbooks issued through
// upstream's WASM by the account controller's acquirer, spent by TicketSpender and verified by the lab
// gateway), and against servers that answer badly on purpose. Every failure is a MetadataClientError with
// a code and a reason a status line can show; nothing hangs, nothing follows a redirect.
import test from 'ava';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect as netConnect, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ed25519 } from '@noble/curves/ed25519.js';
import { base58 } from '@scure/base';
import { DeviceKeys } from '../../src/account/device-keys.js';
import { MetadataClient, MetadataClientError, METADATA_PORT, GATEWAY_PRIVATE_IPV4 } from '../../src/bandwidth/metadata-client.js';
import { MetadataMessageError } from '../../src/bandwidth/metadata-messages.js';
import { TicketSpender } from '../../src/zk-nym/ticket-spender.js';
import { LabIssuers } from '../../tools/lab/ecash/issuers.js';
import { LabMetadataServer, UPGRADE_MODE_BANDWIDTH } from '../../tools/lab/metadata-server.js';
import { issueLabTicketbooks } from '../helpers/lab-ticketbooks.js';

const device = DeviceKeys.fromSecret(new Uint8Array(32).fill(4));
const ENTRY_KEY = ed25519.getPublicKey(new Uint8Array(32).fill(7));
const OTHER_KEY = ed25519.getPublicKey(new Uint8Array(32).fill(8));
const ONE_TICKET = 500_000_000n; // a v1-wireguard-entry/-exit ticket (network-defaults ecash.rs)

/**
 * Ticketbooks for the account, issued by the lab signers through the lab API (as the daemon gets them), once
 * for the file: issuance runs upstream's WASM and is the slow part.
 */
const lab = LabIssuers.create({ threshold: 2, count: 3, epochId: 3 });
const stateDir = mkdtempSync(join(tmpdir(), 'nym-bw-'));
let spenderReady: Promise<TicketSpender> | undefined;
test.after.always(() => rmSync(stateDir, { recursive: true, force: true }));

function tickets(t: import('ava').ExecutionContext): Promise<TicketSpender> {
  const ready = spenderReady ??= issueLabTicketbooks({ issuers: lab, device, dir: stateDir }).then((store) => new TicketSpender({ store, now: Date.now }));
  t.log('ticketbooks issued by the lab signers (shared by the tests of this file)');
  return ready;
}

async function gateway(t: import('ava').ExecutionContext, o: Partial<ConstructorParameters<typeof LabMetadataServer>[0]> = {}) {
  const server = new LabMetadataServer({ gatewayIdentity: ENTRY_KEY, verificationKey: (e) => (e === BigInt(lab.epochId) ? lab.masterKey : undefined), initialBandwidth: 0n, ...o });
  const { host, port } = await server.start();
  t.teardown(() => server.stop());
  return { server, host, port };
}

async function refusal(t: import('ava').ExecutionContext, p: Promise<unknown>): Promise<MetadataClientError> {
  const e = await t.throwsAsync(p, { instanceOf: MetadataClientError });
  return e as MetadataClientError;
}

test('a v2 gateway: version, balance, a real ticket credited once, its replay and misbound or misdated tickets refused', async (t) => {
  const spender = await tickets(t);
  const gw = await gateway(t);
  const opened: string[] = [];
  const client = new MetadataClient({
    host: gw.host, port: gw.port,
    connect: (host, port) => { opened.push(`${host}:${port}`); return netConnect(port, host); },
  });

  t.is(await client.version(), 'V2');
  t.deepEqual(await client.availableBandwidth(), { bytes: 0n, upgradeMode: false });

  const ticket = await spender.spend('v1-wireguard-entry', base58.encode(ENTRY_KEY));
  t.deepEqual(await client.topUp(ticket), { bytes: ONE_TICKET, upgradeMode: false });
  t.deepEqual(await client.availableBandwidth(), { bytes: ONE_TICKET, upgradeMode: false });

  const replay = await refusal(t, client.topUp(ticket));
  t.is(replay.code, 'Refused');
  t.is(replay.status, 400);
  t.is(replay.reason, 'Credential verification error: the provided bandwidth credential has already been spent before at this gateway');
  t.regex(replay.message, /^top up bandwidth: HTTP 400: Credential verification error/);

  const misbound = await refusal(t, client.topUp(await spender.spend('v1-wireguard-entry', base58.encode(OTHER_KEY))));
  t.is(misbound.reason, 'Credential verification error: provided payinfo\'s public key does not match provider\'s');

  const exitTicket = await spender.spend('v1-wireguard-exit', base58.encode(ENTRY_KEY));
  t.deepEqual(await client.topUp({ kind: 'zk-nym', credentialBincode: exitTicket }), { bytes: 2n * ONE_TICKET, upgradeMode: false }, 'an exit ticket is worth the same');
  t.is(gw.server.balances.get('127.0.0.1'), 2n * ONE_TICKET);

  // the gateway's clock is a day ahead: today's ticket is dated wrong for it
  const ahead = await gateway(t, { now: () => Date.now() + 86_400_000 });
  const misdated = await refusal(t, new MetadataClient({ host: ahead.host, port: ahead.port }).topUp(await spender.spend('v1-wireguard-entry', base58.encode(ENTRY_KEY))));
  t.regex(misdated.reason ?? '', /^Credential verification error: the provided credential has an invalid spending date\. got \d{4}-\d\d-\d\d but expected \d{4}-\d\d-\d\d$/);

  t.true(opened.length >= 6 && opened.every((a) => a === `${gw.host}:${gw.port}`), 'every exchange on the socket handed in');
  t.deepEqual(gw.server.seen.map((s) => [s.method, s.path, s.status]), [
    ['GET', '/v1/bandwidth/version', 200],
    ['POST', '/v1/bandwidth/available', 200],
    ['POST', '/v1/bandwidth/topup', 200],
    ['POST', '/v1/bandwidth/available', 200],
    ['POST', '/v1/bandwidth/topup', 400],
    ['POST', '/v1/bandwidth/topup', 400],
    ['POST', '/v1/bandwidth/topup', 200],
  ], 'the version asked once');
  t.true(gw.server.seen.filter((s) => s.method === 'POST').every((s) => s.version === 'V2'));
});

test('a v1 gateway: the client speaks v1 (bare credential, no upgrade-mode field) and the ticket is credited', async (t) => {
  const spender = await tickets(t);
  const gw = await gateway(t, { latestVersion: 1, initialBandwidth: 7n });
  const client = new MetadataClient({ host: gw.host, port: gw.port });
  t.is(await client.version(), 'V1');
  t.deepEqual(await client.availableBandwidth(), { bytes: 7n, upgradeMode: undefined });
  t.deepEqual(await client.topUp(await spender.spend('v1-wireguard-exit', base58.encode(ENTRY_KEY))), { bytes: 7n + ONE_TICKET, upgradeMode: undefined });
  t.true(gw.server.seen.filter((s) => s.method === 'POST').every((s) => s.version === 'V1'));
  const jwt = await refusal(t, client.topUp({ kind: 'upgrade-mode-jwt', token: 'a.b.c' }));
  t.is(jwt.code, 'Unsupported');
  t.is(gw.server.seen.length, 3, 'nothing sent for what v1 cannot say');
});

test('the lab gateway refuses as upstream does: non-peers, wrong route, bodies axum would not take; upgrade mode floors the balance', async (t) => {
  const strict = await gateway(t, { initialBandwidth: undefined });
  const nonPeer = await refusal(t, new MetadataClient({ host: strict.host, port: strict.port }).availableBandwidth());
  t.is(nonPeer.reason, 'query was not successful: kernel should have the requested client entry: 127.0.0.1');

  const gw = await gateway(t, { initialBandwidth: 1000n });
  const base = `http://${gw.host}:${gw.port}`;
  const post = (path: string, body: string, type = 'application/json') => fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': type }, body });
  const wrongRoute = await post('/v1/bandwidth/topup', '{"version":"V2","inner":[0,0]}');
  t.is(wrongRoute.status, 400);
  t.is(await wrongRoute.text(), 'incorrect request type');
  const noType = await post('/v1/bandwidth/available', '{"version":"V2","inner":[0,0]}', 'text/plain');
  t.is(noType.status, 415);
  t.is(await noType.text(), 'Expected request with `Content-Type: application/json`');
  const syntax = await post('/v1/bandwidth/available', '{"version":');
  t.is(syntax.status, 400);
  t.regex(await syntax.text(), /^Failed to parse the request body as JSON/);
  const v0 = await post('/v1/bandwidth/available', '{"version":"V0","inner":[0,0]}');
  t.is(v0.status, 422);
  t.regex(await v0.text(), /^Failed to deserialize the JSON body into the target type: unknown version "V0"/);
  const junk = await post('/v1/bandwidth/available', '{"version":"V2","inner":[0,2,0]}');
  t.is(junk.status, 400);
  t.regex(await junk.text(), /^Models error: /);
  t.is((await fetch(`${base}/v1/bandwidth/available`)).status, 405);
  t.is((await fetch(`${base}/v1/nothing`)).status, 404);
  t.is(await (await fetch(`${base}/v1/bandwidth/version`)).text(), '2');

  const older = await gateway(t, { latestVersion: 1 });
  const v2ToOld = await fetch(`http://${older.host}:${older.port}/v1/bandwidth/available`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"version":"V2","inner":[0,0]}' });
  t.is(v2ToOld.status, 422, 'a v1 gateway does not know the V2 variant');
  t.regex(await v2ToOld.text(), /unknown variant `V2`, expected `V1`/);
  t.is((await fetch(`http://${older.host}:${older.port}/v1/network/upgrade-mode-check`, { method: 'POST' })).status, 404);

  const client = new MetadataClient({ host: gw.host, port: gw.port });
  await refusal(t, client.checkUpgradeMode('a.b.c'));
  gw.server.upgradeMode = true;
  t.deepEqual(await client.availableBandwidth(), { bytes: UPGRADE_MODE_BANDWIDTH, upgradeMode: true }, 'at least 1 GiB while metering is off');
  t.deepEqual(await client.topUp({ kind: 'upgrade-mode-jwt', token: 'a.b.c' }), { bytes: UPGRADE_MODE_BANDWIDTH, upgradeMode: true });
  t.true(await client.checkUpgradeMode('a.b.c'));
  t.is(gw.server.balances.get('127.0.0.1'), 1000n, 'the true balance is untouched');
});

// --- servers that answer badly ----------------------------------------------------------------------------

async function serve(t: import('ava').ExecutionContext, handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ port: number; hits: string[] }> {
  const hits: string[] = [];
  const server: Server = createServer((req, res) => {
    hits.push(`${req.method} ${req.url}`);
    res.on('error', () => {});
    handler(req, res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => new Promise<void>((r) => { server.close(() => r()); server.closeAllConnections(); }));
  return { port: (server.address() as AddressInfo).port, hits };
}

const send = (res: ServerResponse, status: number, body: string, type = 'application/json') => {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
  res.end(body);
};

/** A server that announces v2 and answers POSTs with `answer`. */
async function answering(t: import('ava').ExecutionContext, answer: (res: ServerResponse) => void) {
  return serve(t, (req, res) => {
    if (req.url === '/v1/bandwidth/version') return send(res, 200, '2');
    req.resume();
    req.on('end', () => answer(res));
  });
}

const clientOf = (port: number, timeoutMs = 2000) => new MetadataClient({ host: '127.0.0.1', port, timeoutMs });

test('malformed answers are BadAnswer with what was wrong', async (t) => {
  const cases: Array<[(res: ServerResponse) => void, RegExp]> = [
    [(res) => send(res, 200, 'not json', 'text/plain'), /not JSON/],
    [(res) => send(res, 200, ''), /empty body/],
    [(res) => send(res, 200, '{"version":"V1","inner":[0,1,84]}'), /the answer is V1, the request was V2/],
    [(res) => send(res, 200, '{"version":"V2","inner":[1,2,84,0]}'), /the answer is for top-up-bandwidth/],
    [(res) => send(res, 200, '{"version":"V2","inner":[0,3,84,0,0]}'), /trailing/],
    [(res) => send(res, 200, '{"version":"V2","inner":[0,2,84,7]}'), /not a bool/],
    [(res) => send(res, 200, '{"version":"V2","inner":"VAE="}'), /not an array/],
    [(res) => send(res, 200, '{"version":"V9","inner":[]}'), /unknown version "V9"/],
    [(res) => send(res, 200, '[0,2,84,0]'), /not a JSON object/],
  ];
  for (const [answer, re] of cases) {
    const s = await answering(t, answer);
    const e = await refusal(t, clientOf(s.port).availableBandwidth());
    t.is(e.code, 'BadAnswer', e.message);
    t.regex(e.message, re);
    t.regex(e.message, /^available bandwidth: /);
  }
  for (const body of ['"2"', '-1', '1.5', 'null', 'two']) {
    const s = await serve(t, (_req, res) => send(res, 200, body));
    const e = await refusal(t, clientOf(s.port).version());
    t.is(e.code, 'BadAnswer', body);
  }
});

test('huge and endless answers are cut off; a slow drip ends at the deadline; silence and cancellation are NoAnswer', async (t) => {
  const huge = await answering(t, (res) => { res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(50 << 20) }); res.write('['); });
  const e1 = await refusal(t, clientOf(huge.port).availableBandwidth());
  t.is(e1.code, 'BadAnswer');
  t.regex(e1.message, /more than the 16384 allowed/);

  const endless = await answering(t, (res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    const chunk = Buffer.alloc(4096, 0x20);
    const pump = () => { while (res.write(chunk)) { /* until the socket pushes back */ } };
    res.on('drain', pump);
    pump();
  });
  const e2 = await refusal(t, clientOf(endless.port).availableBandwidth());
  t.is(e2.code, 'BadAnswer');
  t.regex(e2.message, /more than the 16384 bytes allowed/);

  const drip = await answering(t, (res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    const timer = setInterval(() => res.write(' '), 50);
    res.on('close', () => clearInterval(timer));
  });
  const started = Date.now();
  const e3 = await refusal(t, clientOf(drip.port, 400).availableBandwidth());
  t.is(e3.code, 'NoAnswer');
  t.regex(e3.message, /no complete answer within 400 ms/);
  t.true(Date.now() - started < 3000);

  const closed = await serve(t, () => {});
  const port = closed.port;
  const dead = createServer();
  await new Promise<void>((r) => dead.listen(0, '127.0.0.1', r));
  const deadPort = (dead.address() as AddressInfo).port;
  await new Promise<void>((r) => dead.close(() => r()));
  const e4 = await refusal(t, clientOf(deadPort).version());
  t.is(e4.code, 'NoAnswer');
  t.regex(e4.message, /ECONNREFUSED/);

  const controller = new AbortController();
  const pending = new MetadataClient({ host: '127.0.0.1', port, signal: controller.signal }).version();
  setTimeout(() => controller.abort(), 50);
  const e5 = await refusal(t, pending);
  t.is(e5.code, 'NoAnswer');
  t.regex(e5.message, /cancelled/);
});

test('refusals carry the gateway\'s status and words; a redirect is not followed', async (t) => {
  const target = await serve(t, (_req, res) => send(res, 200, '2'));
  const redirect = await serve(t, (_req, res) => { res.writeHead(307, { location: `http://127.0.0.1:${target.port}/v1/bandwidth/version` }); res.end(); });
  const e1 = await refusal(t, clientOf(redirect.port).version());
  t.is(e1.code, 'Refused');
  t.is(e1.status, 307);
  t.regex(e1.message, /redirect \(not followed\)/);
  t.deepEqual(target.hits, []);

  const refusing = await answering(t, (res) => send(res, 400, 'incorrect request type', 'text/plain; charset=utf-8'));
  const e2 = await refusal(t, clientOf(refusing.port).topUp(new Uint8Array([1, 2, 3])));
  t.deepEqual([e2.code, e2.status, e2.reason], ['Refused', 400, 'incorrect request type']);
  const posts = () => refusing.hits.filter((h) => h.startsWith('POST')).length;
  const before = posts();
  await t.throwsAsync(clientOf(refusing.port).topUp(new Uint8Array()), { instanceOf: MetadataMessageError, message: /credential is empty/ });
  t.is(posts(), before, 'an empty credential is never sent');

  const binary = await answering(t, (res) => send(res, 500, '\u0000\u0001oops\u0007', 'application/octet-stream'));
  const e3 = await refusal(t, clientOf(binary.port).availableBandwidth());
  t.deepEqual([e3.status, e3.reason], [500, 'oops']);
});

test('the version is asked once when it was answered, and again after it failed', async (t) => {
  let failFirst = true;
  const s = await serve(t, (req, res) => {
    if (req.url === '/v1/bandwidth/version') {
      if (failFirst) { failFirst = false; return send(res, 503, 'starting'); }
      return send(res, 200, '1');
    }
    req.resume();
    req.on('end', () => send(res, 200, '{"version":"V1","inner":[0,1,84]}'));
  });
  const client = clientOf(s.port);
  t.is((await refusal(t, client.availableBandwidth())).status, 503);
  t.deepEqual(await client.availableBandwidth(), { bytes: 42n, upgradeMode: undefined });
  t.deepEqual(await client.availableBandwidth(), { bytes: 42n, upgradeMode: undefined });
  t.deepEqual(s.hits, ['GET /v1/bandwidth/version', 'GET /v1/bandwidth/version', 'POST /v1/bandwidth/available', 'POST /v1/bandwidth/available']);
});

test('defaults: upstream\'s address and port inside the tunnel', (t) => {
  t.is(GATEWAY_PRIVATE_IPV4, '10.1.0.1');
  t.is(METADATA_PORT, 51830);
});
