// The real check of the lab gateway's final hop: upstream's own nym-client-wasm 1.4.1 (in its own process, via
// MixnetChannel) sends messages to a lab Nym client living on the lab gateway; the gateway unwraps the Sphinx
// packets, hands the reassembled message to the handler, sends the SURB-ACK back (so the client stops
// retransmitting) and carries the handler's answer back by one of the client's reply SURBs as a
// PushedMixMessage. Malformed packets are refused by name and the gateway keeps serving.
import test from 'ava';
import { randomBytes } from 'node:crypto';
import { ed25519, x25519 } from '@noble/curves/ed25519.js';
import { base58 } from '@scure/base';
import { MixnetChannel } from '../../src/mixnet/mixnet-channel.js';
import { LabNymGateway, type MixPacketFrame } from '../../tools/lab/nym-gateway/gateway-server.js';
import { LabNymClient, type ReceivedMessage } from '../../tools/lab/nym-gateway/lab-nym-client.js';
import { encodeMixPacketV2 } from '../../tools/lab/nym-gateway/mix-packet.js';
import { startLabNymApi, type LabTopologyGateway } from '../../tools/lab/nym-gateway/nym-api.js';
import { buildOneHopPacket } from '../../tools/lab/nym-gateway/sphinx.js';

/**
 * Long enough to see a retransmission: the client retransmits an unacknowledged packet after its ack wait
 * (no_cover_debug: average ack delay × 1.5 + 1.5 s), 1.5 s apart as seen in the lab; the control test below
 * shows the same window catching retransmissions when no SURB-ACK comes back.
 */
const RETRANSMISSION_WINDOW_MS = 4_000;

const mixnode = (nodeId: number): LabTopologyGateway => ({
  nodeId, identityKey: ed25519.getPublicKey(randomBytes(32)), sphinxKey: x25519.getPublicKey(randomBytes(32)), host: '127.0.0.1', wsPort: 0, mixPort: 1789,
});

/** Resolves with the next value `register` hands over, or rejects after `ms`. */
function next<T>(register: (f: (v: T) => void) => void, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${what} within ${ms} ms`)), ms);
    register((v) => { clearTimeout(timer); resolve(v); });
  });
}

async function lab(o: { withSphinxKey: boolean; answer?: (m: ReceivedMessage) => Uint8Array | undefined }) {
  const frames: MixPacketFrame[] = [];
  const frameWaiters: Array<(f: MixPacketFrame) => void> = [];
  const sphinxPrivate = randomBytes(32);
  const gateway = new LabNymGateway({
    identityPrivate: randomBytes(32),
    sphinxPrivate: o.withSphinxKey ? sphinxPrivate : undefined,
    onMixPacket: (f) => { frames.push(f); for (const w of frameWaiters.splice(0)) w(f); },
  });
  const wsPort = await gateway.start();
  const entry: LabTopologyGateway = { nodeId: 7, identityKey: gateway.identityKey, sphinxKey: gateway.sphinxKey ?? x25519.getPublicKey(sphinxPrivate), host: '127.0.0.1', wsPort, mixPort: 1789 };
  const api = await startLabNymApi([entry], [mixnode(101), mixnode(102), mixnode(103)]);
  const received: ReceivedMessage[] = [];
  const receivedWaiters: Array<(m: ReceivedMessage) => void> = [];
  const service = new LabNymClient({
    gatewayIdentity: gateway.identityKey,
    gatewayMixAddress: gateway.mixAddress,
    gatewaySphinxPublic: entry.sphinxKey,
    sendMixPacket: (b) => gateway.receiveMixPacket(b),
    handler: (m) => { received.push(m); for (const w of receivedWaiters.splice(0)) w(m); return o.answer?.(m); },
  });
  if (o.withSphinxKey) gateway.addLocalDestination(service);
  const channel = await MixnetChannel.start({ nymApiUrl: api.url, gateway: base58.encode(gateway.identityKey), startTimeoutMs: 20_000 }, new AbortController().signal);
  const replies: Uint8Array[] = [];
  const replyWaiters: Array<(m: Uint8Array) => void> = [];
  channel.subscribe((m) => { replies.push(m); for (const w of replyWaiters.splice(0)) w(m); });
  return {
    gateway, service, channel, frames, received, replies, sphinxPrivate,
    nextFrame: (ms: number) => next<MixPacketFrame>((f) => frameWaiters.push(f), ms, 'mix packet'),
    nextReceived: (ms: number) => next<ReceivedMessage>((f) => receivedWaiters.push(f), ms, 'message at the lab client'),
    nextReply: (ms: number) => next<Uint8Array>((f) => replyWaiters.push(f), ms, 'reply at the WASM client'),
    close: async () => { await channel.close(); await gateway.close(); await api.close(); },
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test.serial('the WASM client\'s message reaches the lab client byte for byte, the answer comes back by reply SURB byte for byte, and the SURB-ACK stops retransmission', async (t) => {
  const request = randomBytes(300);
  const answer = randomBytes(200);
  const l = await lab({ withSphinxKey: true, answer: () => answer });
  t.teardown(l.close);
  const received = l.nextReceived(10_000);
  const replied = l.nextReply(10_000);
  const sentAt = performance.now();
  await l.channel.send(l.service.address, request, new AbortController().signal);
  const m = await received;
  const atService = performance.now() - sentAt;
  t.deepEqual(m.message, Uint8Array.from(request), 'the handler gets exactly the bytes sent');
  t.is(m.replySurbs, 2, 'with the 2 reply SURBs the channel attaches');
  const reply = await replied;
  const roundTrip = performance.now() - sentAt;
  t.deepEqual(reply, Uint8Array.from(answer), 'the WASM client receives exactly the answer');
  // Nothing more from the client for longer than its retransmission interval: the SURB-ACK was accepted.
  await sleep(RETRANSMISSION_WINDOW_MS);
  t.is(l.frames.length, 1, 'one fragment, sent once: no retransmission after the SURB-ACK');
  const processed = l.gateway.mixnet!.processed;
  t.deepEqual(processed.map((p) => p.kind), ['message', 'ack', 'message', 'ack'], 'request, its SURB-ACK to the client, the reply by SURB, the reply\'s SURB-ACK to the lab client');
  t.true(processed.every((p) => p.version === 259));
  t.is(l.service.acknowledged.size, 1, 'the lab client\'s own reply was acknowledged through the gateway too');
  t.is(l.service.surbsFor(m.senderTag!), 1, 'one of the two reply SURBs used');
  t.log(`request at the lab client after ${atService.toFixed(0)} ms, answer at the WASM client after ${roundTrip.toFixed(0)} ms; unwrap µs per packet: ${processed.map((p) => p.unwrapMicros.toFixed(0)).join(', ')}`);
  t.log(`gateway: ${l.gateway.journal.filter((j) => !j.startsWith('text ')).join(' | ')}`);
});

test.serial('a 5,000-byte message (four fragments) is reassembled for the handler and a 3,000-byte answer (two fragments) takes both reply SURBs', async (t) => {
  const request = randomBytes(5_000);
  const answer = randomBytes(3_000);
  const l = await lab({ withSphinxKey: true, answer: () => answer });
  t.teardown(l.close);
  const received = l.nextReceived(10_000);
  const replied = l.nextReply(10_000);
  await l.channel.send(l.service.address, request, new AbortController().signal);
  t.deepEqual((await received).message, Uint8Array.from(request));
  t.deepEqual(await replied, Uint8Array.from(answer));
  await sleep(RETRANSMISSION_WINDOW_MS);
  t.is(l.frames.length, 4, 'four fragments, each sent once');
  t.is(l.service.acknowledged.size, 2, 'both reply fragments acknowledged');
});

test.serial('malformed packets (truncated, a flipped MAC bit, made for another key, for another node) are refused by name; the gateway goes on answering', async (t) => {
  const l = await lab({ withSphinxKey: true, answer: (m) => m.message.slice().reverse() });
  t.teardown(l.close);
  const firstFrame = l.nextFrame(10_000);
  const first = l.nextReply(10_000);
  await l.channel.send(l.service.address, new TextEncoder().encode('one'), new AbortController().signal);
  const real = (await firstFrame).packet;
  t.deepEqual(await first, new TextEncoder().encode('eno'));
  const flippedMac = real.slice(); flippedMac[9 + 32] ^= 0x80;
  const truncated = real.slice(0, 1000);
  const otherKey = encodeMixPacketV2({
    keyRotation: 0, nextHop: l.gateway.mixAddress,
    packet: buildOneHopPacket({ nodePublicKey: x25519.getPublicKey(randomBytes(32)), destination: l.service.identity, plaintext: new Uint8Array(2048), payloadSize: 2065 }),
  });
  const otherNode = real.slice(); otherNode[8] = 2; // next hop 127.0.0.2 (type, rotation, 4, port 2, then the octets)
  const before = l.gateway.journal.length;
  for (const p of [truncated, flippedMac, otherKey, otherNode]) l.gateway.receiveMixPacket(p);
  const refusals = l.gateway.journal.slice(before);
  t.is(refusals.length, 4);
  t.regex(refusals[0]!, /^mix packet refused: malformed mix packet: a 991-byte packet is not of a known packet size/);
  t.regex(refusals[1]!, /^mix packet refused: sphinx packet refused: the sphinx header failed its integrity MAC/);
  t.regex(refusals[2]!, /^mix packet refused: sphinx packet refused: the sphinx header failed its integrity MAC/);
  t.regex(refusals[3]!, /^mix packet refused: mix packet for 127\.0\.0\.2:1789, not this gateway/);
  t.false(refusals.some((r) => r.startsWith('mix packet processing failed')), 'no unexpected error');
  const second = l.nextReply(10_000);
  await l.channel.send(l.service.address, new TextEncoder().encode('two'), new AbortController().signal);
  t.deepEqual(await second, new TextEncoder().encode('owt'), 'still answering after the refusals');
});

test.serial('control: without a sphinx key the gateway sends no SURB-ACK and the same client retransmits within the window', async (t) => {
  const l = await lab({ withSphinxKey: false });
  t.teardown(l.close);
  const firstFrame = l.nextFrame(10_000);
  await l.channel.send(l.service.address, new TextEncoder().encode('x'), new AbortController().signal);
  const first = await firstFrame;
  const started = performance.now();
  const retransmitted = await l.nextFrame(RETRANSMISSION_WINDOW_MS);
  t.log(`retransmitted after ${(performance.now() - started).toFixed(0)} ms`);
  t.deepEqual(retransmitted.packet.subarray(0, 9), first.packet.subarray(0, 9));
  t.is(l.received.length, 0);
});
