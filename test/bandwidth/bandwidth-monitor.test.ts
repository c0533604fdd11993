// The bandwidth loop against the lab's metadata service over real HTTP, paying with real tickets (the lab
// signers' books, spent by TicketSpender and verified by the lab server as upstream's gateway verifies them).
// The clock is the test's: each `sleep(1000)` of the loop waits until the test lets a second pass, so the
// balance can be changed between two checks exactly as a gateway's metering would.
import test from 'ava';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ed25519 } from '@noble/curves/ed25519.js';
import { base58 } from '@scure/base';
import { DeviceKeys } from '../../src/account/device-keys.js';
import { BandwidthMonitor, type BandwidthEnd } from '../../src/bandwidth/bandwidth-monitor.js';
import { MetadataClient } from '../../src/bandwidth/metadata-client.js';
import { TicketSpender } from '../../src/zk-nym/ticket-spender.js';
import { TicketbookStore } from '../../src/zk-nym/ticketbook-store.js';
import { LabIssuers } from '../../tools/lab/ecash/issuers.js';
import { LabMetadataServer } from '../../tools/lab/metadata-server.js';
import { issueLabTicketbooks } from '../helpers/lab-ticketbooks.js';

const GiB = 1024n ** 3n;
const MiB = 1024n ** 2n;
const ONE_TICKET = 500_000_000n;
const device = DeviceKeys.fromSecret(new Uint8Array(32).fill(5));
const EXIT_KEY = ed25519.getPublicKey(new Uint8Array(32).fill(9));
const issuers = LabIssuers.create({ threshold: 2, count: 3, epochId: 4 });
const stateDir = mkdtempSync(join(tmpdir(), 'nym-bwmon-'));
test.after.always(() => rmSync(stateDir, { recursive: true, force: true }));

let stocked: Promise<TicketbookStore> | undefined;
const books = () => (stocked ??= issueLabTicketbooks({ issuers, device, dir: stateDir }));

/** A clock the test drives: `second()` lets the loop's pending sleep end and waits until it sleeps again. */
function testClock() {
  let wake: (() => void) | undefined;
  let asleep: (() => void) | undefined;
  let asleepPromise = new Promise<void>((r) => { asleep = r; });
  let wall = 1_700_000_000_000;
  return {
    sleep: (_ms: number, signal: AbortSignal) => new Promise<void>((resolve) => {
      const done = () => { signal.removeEventListener('abort', done); resolve(); };
      wake = done;
      signal.addEventListener('abort', done, { once: true });
      asleep?.();
    }),
    now: () => wall,
    async seconds(n: number) {
      for (let i = 0; i < n; i++) {
        await asleepPromise;
        asleepPromise = new Promise<void>((r) => { asleep = r; });
        wall += 1000;
        wake!();
      }
      await asleepPromise;
    },
  };
}

async function world(t: import('ava').ExecutionContext, o: { balance: bigint; store?: TicketbookStore }) {
  const server = new LabMetadataServer({ gatewayIdentity: EXIT_KEY, verificationKey: (e) => (e === BigInt(issuers.epochId) ? issuers.masterKey : undefined), initialBandwidth: o.balance });
  const { host, port } = await server.start();
  t.teardown(() => server.stop());
  const clock = testClock();
  const store = o.store ?? new TicketbookStore(mkdtempSync(join(tmpdir(), 'nym-bwmon-empty-')));
  const spender = new TicketSpender({ store, now: Date.now });
  let traffic = 0;
  const monitor = new BandwidthMonitor({
    hops: { exit: { gatewayId: base58.encode(EXIT_KEY), metadata: new MetadataClient({ host, port }) } },
    spend: (type, id) => spender.spend(type, id),
    sleep: clock.sleep, now: clock.now, trafficBytes: () => traffic, log: { info: () => {}, warn: () => {} },
  });
  const ac = new AbortController();
  t.teardown(() => ac.abort());
  const ended = monitor.run(ac.signal);
  return { server, clock, monitor, ended, ac, store, addTraffic: (n: number) => { traffic += n; } };
}

const checks = (s: LabMetadataServer) => s.seen.filter((x) => x.path === '/v1/bandwidth/available').length;

test('plenty left and nothing used: asked 5 s after the tunnel is up, then every 5 s; nothing paid; status has the balance', async (t) => {
  const w = await world(t, { balance: 4n * GiB });
  await w.clock.seconds(4);
  t.is(checks(w.server), 0, 'not before 5 s');
  await w.clock.seconds(1);
  t.is(checks(w.server), 1);
  t.is(w.monitor.view.exit?.remainingBytes, 4n * GiB);
  t.is(w.monitor.view.exit?.checkedAt, 1_700_000_005_000);
  await w.clock.seconds(5);
  t.is(checks(w.server), 2);
  t.is(w.monitor.view.exit?.topUps, 0);
  t.false(w.server.seen.some((x) => x.path === '/v1/bandwidth/topup'));
});

test('a balance that will not last ten periods is topped up with one real exit ticket before it runs out', async (t) => {
  const store = await books();
  const before = (await store.list()).books.find((b) => b.type === 'v1-wireguard-exit')!.used;
  const w = await world(t, { balance: 2n * GiB, store });
  await w.clock.seconds(5);
  const client = w.server.seen[0]!.client;
  // 300 MiB used in the next 5 s: 60 MiB/s, so 1.7 GiB lasts ~29 s — fewer than 10 periods of 5 s.
  w.server.setBandwidth(client, 2n * GiB - 300n * MiB);
  await w.clock.seconds(5);
  t.is(w.monitor.view.exit?.topUps, 1);
  t.is(w.monitor.view.exit?.remainingBytes, 2n * GiB - 300n * MiB + ONE_TICKET, 'the gateway credited one ticket');
  t.is((await store.list()).books.find((b) => b.type === 'v1-wireguard-exit')!.used, before + 1);
});

test('running out with no ticket left ends the tunnel with a clear reason, not a stall', async (t) => {
  const w = await world(t, { balance: 100n * MiB });
  await w.clock.seconds(5);
  w.server.setBandwidth(w.server.seen[0]!.client, 50n * MiB);
  await w.clock.seconds(4);
  // The tenth second's check pays: the loop ends by itself (it does not sleep again, so no await on the clock).
  const wake = w.clock.seconds(1).catch(() => {});
  const end = (await w.ended) as BandwidthEnd;
  void wake;
  t.is(end.kind, 'exhausted');
  t.is(end.hop, 'exit');
  t.regex(end.message, /no v1-wireguard-exit ticket can pay/);
});

test('a gateway that answered and then stops answering twice ends the tunnel; a first failure is only remembered', async (t) => {
  const w = await world(t, { balance: 4n * GiB });
  await w.clock.seconds(5);
  t.is(checks(w.server), 1);
  await w.server.stop();
  await w.clock.seconds(5);
  t.regex(w.monitor.view.exit?.problem ?? '', /available bandwidth/);
  const wake = w.clock.seconds(5).catch(() => {});
  const end = (await w.ended) as BandwidthEnd;
  void wake;
  t.is(end.kind, 'silent');
  t.regex(end.message, /stopped answering/);
});

test('a burst of traffic brings a 30 s period back to 5 s', async (t) => {
  const w = await world(t, { balance: 100n * GiB });
  await w.clock.seconds(5);
  const client = w.server.seen[0]!.client;
  w.server.setBandwidth(client, 100n * GiB - 10n * MiB); // 2 MiB/s: lasts for hours → the next period is 30 s
  await w.clock.seconds(5);
  t.is(checks(w.server), 2);
  await w.clock.seconds(5);
  t.is(checks(w.server), 2, 'waiting 30 s now');
  w.addTraffic(9 * 1024 * 1024);
  await w.clock.seconds(1);
  t.is(checks(w.server), 3, 'the burst made it check at once (11 s after the last check)');
});
