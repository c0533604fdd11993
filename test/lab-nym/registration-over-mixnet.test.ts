// Two-hop WireGuard registration over the mixnet, end to end in the lab (issue #13 points 3 and 6): real
// ticketbooks (the lab signers behind the lab vpn-api, requested and unblinded by upstream's issuance WASM,
// stored in a TicketbookStore), one MixnetChannel (upstream's nym-client-wasm 1.4.1 in its own process, pinned to
// the entry gateway), and NymRegistrar registering with the entry's and the exit's authenticators in
// parallel over that one channel, each paying with a ticket of its hop's type made by TicketSpender. The
// exit's messages go client → entry gateway → (TCP, framed) → exit gateway; its answers come back by the
// client's reply SURBs, whose first hop is the entry. Each lab authenticator is a Nym client living on its
// gateway and judges the tickets as a gateway does (tools/lab/ecash/gateway-ticket-check.ts).
import test from 'ava';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ed25519, x25519 } from '@noble/curves/ed25519.js';
import { base58 } from '@scure/base';
import { DeviceKeys } from '../../src/account/device-keys.js';
import { MixnetChannel } from '../../src/mixnet/mixnet-channel.js';
import { NymRegistrar, type BandwidthTickets } from '../../src/nym-registration/nym-registrar.js';
import { RegistrationError, type RegisteredPeer } from '../../src/gateways/registrar.js';
import { parseGateway, type Gateway } from '../../src/gateways/gateway.js';
import { parseIp } from '../../src/net/ip-address.js';
import { keyToBase64, publicKeyFromPrivate } from '../../src/wireguard/keys.js';
import { TicketbookStore } from '../../src/zk-nym/ticketbook-store.js';
import { TicketSpender } from '../../src/zk-nym/ticket-spender.js';
import { ecashToday } from '../../src/zk-nym/ticket-policy.js';
import type { TicketType } from '../../src/zk-nym/ticket-type.js';
import { LabIssuers } from '../../tools/lab/ecash/issuers.js';
import { LabGatewayTickets, zkNymClaimJudge } from '../../tools/lab/ecash/gateway-ticket-check.js';
import { gatewayJson } from '../../tools/lab/directory-server.js';
import { LabAuthenticator } from '../../tools/lab/nym-gateway/authenticator.js';
import { LabAuthenticatorService } from '../../tools/lab/nym-gateway/authenticator-service.js';
import { LabNymGateway } from '../../tools/lab/nym-gateway/gateway-server.js';
import { LabNymClient, type ReceivedMessage } from '../../tools/lab/nym-gateway/lab-nym-client.js';
import { startLabNymApi, type LabNymApi, type LabTopologyGateway } from '../../tools/lab/nym-gateway/nym-api.js';
import { issueLabTicketbooks } from '../helpers/lab-ticketbooks.js';
import type { IpPair } from '../../src/authenticator/ip-pair.js';

/** A shorter authenticator timeout than upstream's 10 s (listen_for_response), so the bad cases stay quick. */
const TEST_TIMEOUT_MS = 3_000;
/** What a registration that does not time out may take here (2-core machine, a CI job beside us). */
const REGISTRATION_BUDGET_MS = 30_000;

const device = DeviceKeys.fromSecret(new Uint8Array(32).fill(3));
const mb = (n: number) => (n / 1048576).toFixed(1);

interface Hop {
  role: 'entry' | 'exit';
  gateway: LabNymGateway;
  authenticator: LabAuthenticator;
  service: LabAuthenticatorService;
  tickets: LabGatewayTickets;
  registered: { key: string; ips: IpPair }[];
  /** As the directory lists it, parsed by the daemon's own parser. */
  directoryEntry: Gateway;
  wgPort: number;
  wsPort: number;
}

interface World {
  dir: string;
  store: TicketbookStore;
  issuers: LabIssuers;
  entry: Hop;
  exit: Hop;
  /** A Nym client on the exit gateway that receives and never answers. */
  silent: { client: LabNymClient; received: ReceivedMessage[]; directoryEntry: Gateway };
  nymApi: LabNymApi;
  channel?: MixnetChannel;
  /** The first test's WireGuard keys and the peers it got. */
  first?: { keys: Record<'entry' | 'exit', Uint8Array>; peers: Record<'entry' | 'exit', RegisteredPeer> };
  /** The bytes of every ticket paid, by type, in order. */
  paid: Map<TicketType, Uint8Array[]>;
  /** How long each TicketSpender.spend took (ms). */
  spendMs: number[];
  closers: (() => Promise<void>)[];
}

let w: World;

function directoryEntry(g: LabNymGateway, name: string, role: 'entry' | 'exit', authenticatorAddress: string): Gateway {
  const raw = gatewayJson({ id: base58.encode(g.identityKey), name, country: 'DE', role, ip: '127.0.0.1', performance: 99 });
  (raw.authenticator as { address: string }).address = authenticatorAddress;
  raw.mix_port = g.mixAddress.port;
  return parseGateway(raw);
}

async function hop(role: 'entry' | 'exit', issuers: LabIssuers, subnet: number): Promise<Hop> {
  const gateway = new LabNymGateway({ identityPrivate: randomBytes(32), sphinxPrivate: randomBytes(32), mixListener: true });
  const wsPort = await gateway.start();
  const tickets = new LabGatewayTickets({ gatewayIdentity: gateway.identityKey, verificationKey: (epoch) => (epoch === BigInt(issuers.epochId) ? issuers.masterKey : undefined) });
  const registered: Hop['registered'] = [];
  let next = 2;
  const wgPort = role === 'entry' ? 51820 : 51821;
  const authenticator = new LabAuthenticator({
    privateKey: new Uint8Array(randomBytes(32)),
    wgPort,
    allocate: () => ({ ipv4: parseIp(`10.${subnet}.0.${next}`), ipv6: parseIp(`fc0${subnet}::${(next++).toString(16)}`) }),
    acceptClaim: zkNymClaimJudge(tickets),
    // In the lab this is where the peer is `wg set` into wireguard-go.
    onRegistered: (key, ips) => registered.push({ key: keyToBase64(key), ips }),
  });
  const service = new LabAuthenticatorService({ gateway, authenticator });
  return { role, gateway, authenticator, service, tickets, registered, directoryEntry: directoryEntry(gateway, `lab ${role}`, role, service.address), wgPort, wsPort };
}

function topology(g: LabNymGateway, nodeId: number, wsPort: number): LabTopologyGateway {
  return { nodeId, identityKey: g.identityKey, sphinxKey: g.sphinxKey!, host: '127.0.0.1', wsPort, mixPort: g.mixAddress.port };
}

const mixnode = (nodeId: number): LabTopologyGateway => ({
  nodeId, identityKey: ed25519.getPublicKey(randomBytes(32)), sphinxKey: x25519.getPublicKey(randomBytes(32)), host: '127.0.0.1', wsPort: 0, mixPort: 1789,
});

/** Pays with TicketSpender and remembers each ticket's bytes (the replay case pays with one again). */
function spenderTickets(store: TicketbookStore, paid: World['paid']): BandwidthTickets {
  const spender = new TicketSpender({ store, now: Date.now });
  return {
    async spend(type, gatewayId) {
      const started = performance.now();
      const bytes = await spender.spend(type, gatewayId);
      w.spendMs.push(performance.now() - started);
      paid.set(type, [...(paid.get(type) ?? []), bytes]);
      return bytes;
    },
    async upgradeModeToken() { return undefined; },
  };
}

function registrar(tickets: BandwidthTickets, timeoutMs?: number) {
  const keys = { entry: new Uint8Array(randomBytes(32)), exit: new Uint8Array(randomBytes(32)) };
  const r = new NymRegistrar({ channel: w.channel!, privateKey: async (role) => keys[role], tickets, ...(timeoutMs ? { timeoutMs } : {}) });
  const register = (role: 'entry' | 'exit', gateway: Gateway) => r.register({ gateway, role, ourPublicKey: keyToBase64(publicKeyFromPrivate(keys[role])) }, new AbortController().signal);
  return { r, keys, register };
}

async function usedTickets(): Promise<Record<string, number>> {
  return Object.fromEntries((await w.store.list()).books.map((b) => [b.type, b.used]));
}

test.before(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'nym-mixreg-'));
  const closers: World['closers'] = [async () => rmSync(dir, { recursive: true, force: true })];
  // Real ticketbooks: the lab signers behind the lab vpn-api, requested as upstream's account controller does.
  const issuers = LabIssuers.create({ threshold: 2, count: 3, epochId: 3 });
  const store = await issueLabTicketbooks({ issuers, device, dir });

  const entry = await hop('entry', issuers, 1);
  const exit = await hop('exit', issuers, 2);
  closers.push(() => entry.gateway.close(), () => exit.gateway.close());
  // Each gateway's routing filter knows the other (upstream: every node in the topology).
  entry.gateway.knowNode(exit.gateway.mixAddress);
  exit.gateway.knowNode(entry.gateway.mixAddress);
  const received: ReceivedMessage[] = [];
  const silentClient = new LabNymClient({
    gatewayIdentity: exit.gateway.identityKey, gatewayMixAddress: exit.gateway.mixAddress, gatewaySphinxPublic: exit.gateway.sphinxKey!,
    sendMixPacket: (b) => exit.gateway.receiveMixPacket(b), handler: (m) => { received.push(m); return undefined; },
  });
  exit.gateway.addLocalDestination(silentClient);
  const silent = { client: silentClient, received, directoryEntry: directoryEntry(exit.gateway, 'lab silent exit', 'exit', silentClient.address) };
  // The topology the WASM client reads: both gateways with their real mix ports (and the three mixnodes it
  // insists on, which nothing is sent to with mix hops disabled).
  const nymApi = await startLabNymApi(
    [topology(entry.gateway, 7, entry.wsPort), topology(exit.gateway, 8, exit.wsPort)],
    [mixnode(101), mixnode(102), mixnode(103)],
  );
  closers.push(() => nymApi.close());
  w = { dir, store, issuers, entry, exit, silent, nymApi, paid: new Map(), spendMs: [], closers };
});

test.after.always(async () => {
  await w?.channel?.close();
  for (const c of (w?.closers ?? []).reverse()) await c();
});

test.serial('entry and exit registered in parallel over one mixnet channel, each with a verified ticket of its own type; the exit\'s messages travel through the entry gateway', async (t) => {
  t.true(new NymRegistrar({ channel: { send: async () => {}, subscribe: () => () => {} }, privateKey: async () => new Uint8Array(32), tickets: spenderTickets(w.store, w.paid) }).canRegister(w.exit.directoryEntry, 'exit', Date.now()),
    'the directory entry (authenticator address, build 1.24.0) passes the daemon\'s own parser and canRegister');
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const rssBefore = process.memoryUsage().rss;
  let rssPeak = rssBefore;
  const sampler = setInterval(() => { rssPeak = Math.max(rssPeak, process.memoryUsage().rss); }, 20);
  t.teardown(() => clearInterval(sampler));
  const started = performance.now();
  w.channel = await MixnetChannel.start({ nymApiUrl: w.nymApi.url, gateway: base58.encode(w.entry.gateway.identityKey), startTimeoutMs: 30_000 }, new AbortController().signal);
  const ready = performance.now() - started;
  const rssReady = process.memoryUsage().rss;
  t.true(w.channel.address.endsWith(`@${base58.encode(w.entry.gateway.identityKey)}`), 'the client is pinned to the entry gateway');

  const { keys, register } = registrar(spenderTickets(w.store, w.paid));
  const [entryPeer, exitPeer] = await Promise.all([register('entry', w.entry.directoryEntry), register('exit', w.exit.directoryEntry)]);
  const registeredAfter = performance.now() - started;
  clearInterval(sampler);
  t.true(registeredAfter - ready < REGISTRATION_BUDGET_MS, `registration took ${(registeredAfter - ready).toFixed(0)} ms`);

  const expectPeer = (h: Hop, peer: RegisteredPeer, ourKey: Uint8Array) => {
    t.deepEqual(peer, { publicKey: keyToBase64(h.authenticator.publicKey), endpoint: { host: '127.0.0.1', port: h.wgPort }, addresses: { ipv4: `10.${h.role === 'entry' ? 1 : 2}.0.2`, ipv6: `fc0${h.role === 'entry' ? 1 : 2}::2` }, metered: true });
    // The authenticator checked our MAC with its key in Final and we checked its MAC in PendingRegistration.
    t.deepEqual(h.authenticator.journal, ['initial: pending', `final: registered (zk-nym, v1-wireguard-${h.role})`]);
    t.deepEqual(h.registered.map((r) => r.key), [keyToBase64(publicKeyFromPrivate(ourKey))], 'onRegistered named our key');
  };
  expectPeer(w.entry, entryPeer, keys.entry);
  expectPeer(w.exit, exitPeer, keys.exit);
  w.first = { keys, peers: { entry: entryPeer, exit: exitPeer } };

  // The tickets: verified by each gateway, of each hop's type, bound to that gateway, and not the same ticket.
  const [entryTicket] = w.entry.tickets.accepted;
  const [exitTicket] = w.exit.tickets.accepted;
  t.is(w.entry.tickets.accepted.length, 1);
  t.is(w.exit.tickets.accepted.length, 1);
  t.is(entryTicket!.ticketType, 'v1-wireguard-entry');
  t.is(exitTicket!.ticketType, 'v1-wireguard-exit');
  t.deepEqual(entryTicket!.provider, w.entry.gateway.identityKey);
  t.deepEqual(exitTicket!.provider, w.exit.gateway.identityKey);
  t.not(entryTicket!.serial, exitTicket!.serial);
  t.is(entryTicket!.epochId, 3n);
  t.like(await usedTickets(), { 'v1-wireguard-entry': 1, 'v1-wireguard-exit': 1, 'v1-mixnet-entry': 0 });

  // The way the exit's messages went: the client's packets for the exit were forwarded by the entry over
  // TCP and were final at the exit; the SURB-ACKs and the reply-SURB answers went back to the entry.
  const entryNode = w.entry.gateway.mixnet!;
  const exitNode = w.exit.gateway.mixnet!;
  const exitAt = `${w.exit.gateway.mixAddress.host}:${w.exit.gateway.mixAddress.port}`;
  const entryAt = `${w.entry.gateway.mixAddress.host}:${w.entry.gateway.mixAddress.port}`;
  t.true(entryNode.forwarded.some((f) => f === `${exitAt} regular`), 'client packets forwarded entry → exit');
  t.true(exitNode.processed.some((p) => p.via === 'mix' && p.kind === 'message' && p.destination === w.exit.service.address.split('.')[0]), 'final at the exit, for its authenticator');
  t.true(exitNode.forwarded.some((f) => f === `${entryAt} ack`), 'the client\'s SURB-ACKs sent back to the entry');
  t.true(exitNode.forwarded.some((f) => f === `${entryAt} regular`), 'the answers, by reply SURB, sent to the entry');
  t.true(entryNode.processed.some((p) => p.via === 'mix' && p.kind === 'message' && p.destination === w.channel!.address.split('.')[0]), 'and pushed from the entry to the client');
  t.true(entryNode.forwarded.some((f) => f === `${exitAt} ack`), 'the exit authenticator\'s own SURB-ACKs went back to the exit');
  t.false([...w.entry.gateway.journal, ...w.exit.gateway.journal].some((j) => /refused|failed|corrupted/.test(j)), [...w.entry.gateway.journal, ...w.exit.gateway.journal].filter((j) => /refused|failed|corrupted/.test(j)).join('\n'));
  t.is(w.exit.service.client.surbsFor([...w.exit.service.journal.join('\n').matchAll(/received data from ([0-9a-f]+)/g)][0]![1]!), 19,
    '20 SURBs with the Initial and 1 with the Final, one used for each answer: 19 held, above the reserve of 10');

  t.log(`mixnet client ready ${ready.toFixed(0)} ms after start; both hops Registered ${registeredAfter.toFixed(0)} ms after start (${(registeredAfter - ready).toFixed(0)} ms of registration)`);
  t.log(`rss of this process (the client runs in its own): before ${mb(rssBefore)} MiB, client ready ${mb(rssReady)} MiB (+${mb(rssReady - rssBefore)}), peak while registering ${mb(rssPeak)} MiB (+${mb(rssPeak - rssBefore)})`);
  const count = (xs: string[]) => Object.entries(xs.reduce<Record<string, number>>((a, x) => ({ ...a, [x]: (a[x] ?? 0) + 1 }), {})).map(([k, n]) => `${n}× ${k}`).join(', ');
  t.log(`spending: ${w.spendMs.map((m) => m.toFixed(0)).join(' + ')} ms (TicketSpender, own worker); verifying at the gateways: ${[entryTicket!, exitTicket!].map((x) => x.verifyMs.toFixed(0)).join(' + ')} ms (lab pairings in JS on the test's own thread, which also runs both gateways)`);
  t.log(`client frames at the entry: ${w.entry.gateway.journal.filter((j) => j.startsWith('mix packet kind')).length}; exit processed: ${count(exitNode.processed.map((p) => `${p.via} ${p.kind}`))}; exit forwarded: ${count(exitNode.forwarded)}; mean unwrap ${(exitNode.processed.reduce((a, p) => a + p.unwrapMicros, 0) / exitNode.processed.length / 1000).toFixed(1)} ms`);
  t.log(`exit authenticator's client: ${w.exit.service.journal.join(' | ')}`);
});

test.serial('a second registration with the same keys is answered Registered at once, without spending', async (t) => {
  const first = w.first;
  if (!first) return t.fail('needs the registration of the first test');
  const before = await usedTickets();
  const again = new NymRegistrar({
    channel: w.channel!, privateKey: async (role) => first.keys[role],
    tickets: { spend: async () => { throw new Error('a reused registration must not spend'); }, upgradeModeToken: async () => undefined },
  });
  const started = performance.now();
  const [entryPeer, exitPeer] = await Promise.all(
    (['entry', 'exit'] as const).map((role) => again.register({ gateway: w[role].directoryEntry, role, ourPublicKey: keyToBase64(publicKeyFromPrivate(first.keys[role])) }, new AbortController().signal)),
  );
  const took = performance.now() - started;
  t.deepEqual(entryPeer, first.peers.entry, 'the same peer: key, endpoint, private IPs');
  t.deepEqual(exitPeer, first.peers.exit);
  t.deepEqual(await usedTickets(), before, 'nothing spent');
  t.is(w.entry.authenticator.journal.at(-1), 'initial: already registered');
  t.is(w.exit.authenticator.journal.at(-1), 'initial: already registered');
  t.is(w.exit.tickets.accepted.length, 1, 'no ticket reached the exit the second time');
  t.is(w.exit.registered.length, 1, 'and it added no peer');
  t.log(`re-registration of both hops (one round trip each): ${took.toFixed(0)} ms`);
});

test.serial('an authenticator that never answers: Timeout within the configured timeout, nothing spent', async (t) => {
  const before = await usedTickets();
  const { register } = registrar(spenderTickets(w.store, w.paid), TEST_TIMEOUT_MS);
  const started = performance.now();
  const e = await t.throwsAsync(register('exit', w.silent.directoryEntry), { instanceOf: RegistrationError });
  const took = performance.now() - started;
  t.is(e?.failure, 'Timeout');
  t.true(e!.retryable);
  t.regex(e!.message, /no answer from the authenticator at .* within 3 s/);
  t.true(took >= TEST_TIMEOUT_MS && took < TEST_TIMEOUT_MS + 2_000, `failed after ${took.toFixed(0)} ms`);
  t.is(w.silent.received.length, 1, 'the Initial did arrive at the silent client (the exit really was reached)');
  t.is(w.silent.received[0]!.replySurbs, 20);
  t.deepEqual(await usedTickets(), before);
});

test.serial('a PendingRegistration whose MAC fails: ProtocolError, no ticket spent', async (t) => {
  const before = await usedTickets();
  const { register } = registrar(spenderTickets(w.store, w.paid), TEST_TIMEOUT_MS);
  w.exit.authenticator.corruptNextMac = true;
  const e = await t.throwsAsync(register('exit', w.exit.directoryEntry), { instanceOf: RegistrationError });
  t.is(e?.failure, 'ProtocolError');
  t.regex(e!.message, /failed its MAC check/);
  t.deepEqual(await usedTickets(), before);
  t.is(w.exit.authenticator.journal.at(-1), 'initial: pending');
});

test.serial('replayed tickets are refused by the exit\'s authenticator (no answer, as upstream): CredentialRejected, the failure upstream reports as credential wasted', async (t) => {
  const exitTicket = w.paid.get('v1-wireguard-exit')![0]!;
  const entryTicket = w.paid.get('v1-wireguard-entry')![0]!;
  const replaying = (bytes: Uint8Array): BandwidthTickets => ({ spend: async () => bytes, upgradeModeToken: async () => undefined });
  const sameGateway = registrar(replaying(exitTicket), TEST_TIMEOUT_MS);
  const otherGateway = registrar(replaying(entryTicket), TEST_TIMEOUT_MS);
  const accepted = w.exit.tickets.accepted.length;
  const [a, b] = await Promise.all([
    t.throwsAsync(sameGateway.register('exit', w.exit.directoryEntry), { instanceOf: RegistrationError }),
    t.throwsAsync(otherGateway.register('exit', w.exit.directoryEntry), { instanceOf: RegistrationError }),
  ]);
  for (const e of [a, b]) {
    t.is(e?.failure, 'CredentialRejected');
    t.false(e!.retryable);
    t.regex(e!.message, /after the final message went out \(its v1-wireguard-exit ticket is spent; upstream: credential wasted on the exit gateway\)/);
  }
  const refusals = w.exit.authenticator.journal.filter((j) => j.startsWith('final: credential refused'));
  t.true(refusals.some((j) => /ticket refused \(already-spent\)/.test(j)), refusals.join('\n'));
  t.true(refusals.some((j) => /ticket refused \(pay-info-key\)/.test(j)), 'the entry\'s ticket is bound to the entry');
  t.is(w.exit.tickets.accepted.length, accepted, 'nothing accepted');
});

test.serial('an exhausted ticketbook: CredentialUnavailable before anything is sent with a ticket; closing the channel ends the client process', async (t) => {
  const today = ecashToday(Date.now());
  const book = (await w.store.list()).books.find((b) => b.type === 'v1-wireguard-exit')!;
  await w.store.take('v1-wireguard-exit', today, book.total - book.used);
  const { register } = registrar(spenderTickets(w.store, w.paid), TEST_TIMEOUT_MS);
  const e = await t.throwsAsync(register('exit', w.exit.directoryEntry), { instanceOf: RegistrationError });
  t.is(e?.failure, 'CredentialUnavailable');
  t.is(e?.tunnelReason, 'RequestZkNym');
  t.regex(e!.message, /no v1-wireguard-exit ticket left/);
  t.is(w.exit.authenticator.journal.at(-1), 'initial: pending', 'the Initial went out, no Final followed');

  const pid = w.channel!.pid!;
  t.true(existsSync(`/proc/${pid}`));
  await w.channel!.close();
  w.channel = undefined;
  t.false(existsSync(`/proc/${pid}`), 'the client process (and all of its memory) is gone once the channel is closed');
});
