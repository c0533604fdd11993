// Replay window edge cases, timers driven by an injected clock, allowed-IPs and the rate limiter.
import test from 'ava';
import { AllowedIps } from '../../src/wireguard/allowed-ips.js';
import { formatIp, parseCidr, parseIp } from '../../src/net/ip-address.js';
import { RateLimiter } from '../../src/wireguard/rate-limiter.js';
import { ReplayWindow } from '../../src/wireguard/replay-window.js';
import {
  PeerTimers, canSendWith, needsRekeyOnReceive, needsRekeyOnSend, timerConfig, type TimerAction,
} from '../../src/wireguard/timers.js';

const WINDOW = 8128;
const LIMIT = Number.MAX_SAFE_INTEGER;

test('replay: kernel-style sequence of accepts and rejects', (t) => {
  const w = new ReplayWindow();
  const steps: Array<[number, boolean]> = [
    [0, true], [1, true], [1, false], [9, true], [8, true], [7, true], [7, false],
    [WINDOW + 1, true], [2, true], [1, false], [WINDOW + 3, true], [1, false], [2, false], [3, true],
    [WINDOW + 4, true], [3, false], [4, true], [4, false], [WINDOW + 3, false],
  ];
  for (const [n, ok] of steps) t.is(w.check(n, LIMIT), ok, `counter ${n}`);
});

test('replay: window edge exactly 8128 behind, big jumps, and the limit', (t) => {
  const w = new ReplayWindow();
  t.true(w.check(10_000, LIMIT));
  t.true(w.check(10_000 - WINDOW, LIMIT)); // exactly the window size behind: still inside
  t.false(w.check(10_000 - WINDOW - 1, LIMIT));
  t.true(w.check(10_000 + 1_000_000, LIMIT)); // jump clears the whole ring
  t.true(w.check(10_000 + 1_000_000 - 1, LIMIT));
  t.false(w.check(10_000, LIMIT));
  t.false(w.check(100, 100)); // at the limit
  t.true(w.check(2 ** 52, LIMIT));
  t.false(w.check(-1, LIMIT));
  t.false(w.check(1.5, LIMIT));
  const all = new ReplayWindow();
  for (let i = 0; i < 3 * WINDOW; i++) t.true(all.check(i, LIMIT)) || t.fail(`${i}`);
  for (let i = 2 * WINDOW; i < 3 * WINDOW; i++) if (all.check(i, LIMIT)) t.fail(`replayed ${i}`);
  // out of order inside the window, backwards
  const back = new ReplayWindow();
  t.true(back.check(WINDOW, LIMIT));
  for (let i = WINDOW - 1; i >= 0; i--) if (!back.check(i, LIMIT)) t.fail(`in-window ${i}`);
  back.reset();
  t.true(back.check(0, LIMIT));
});

function drive(timers: PeerTimers, from: number, to: number, step = 1): Array<[number, TimerAction]> {
  const out: Array<[number, TimerAction]> = [];
  for (let now = from; now <= to; now += step) for (const a of timers.expire(now)) out.push([now, a]);
  return out;
}

test('timers: retransmits every RekeyTimeout (+jitter < 334 ms) and gives up after 18 retries', (t) => {
  let r = 0.999;
  const timers = new PeerTimers(timerConfig(), () => r);
  const sent: number[] = [];
  const send = (now: number): void => { sent.push(now); timers.handshakeInitiated(now); };
  send(0);
  let gaveUp = -1;
  for (let now = 0; now < 200_000 && gaveUp < 0; now += 10) {
    for (const a of timers.expire(now)) {
      if (a === 'retransmitHandshake') send(now);
      if (a === 'handshakeGaveUp') gaveUp = now;
    }
  }
  t.is(sent.length, 20); // the first + MaxTimerHandshakes (18) + 1, as wireguard-go (attempts > 18)
  for (let i = 1; i < sent.length; i++) {
    const gap = sent[i]! - sent[i - 1]!;
    t.true(gap >= 5000 + 333 && gap < 5000 + 334 + 10, `gap ${gap}`);
  }
  t.true(gaveUp > sent[19]!);
  t.is(timers.zeroKeyMaterialAt, gaveUp + 540_000);
  r = 0;
  const t2 = new PeerTimers(timerConfig(), () => 0);
  t2.handshakeInitiated(0);
  t2.handshakeComplete();
  t.deepEqual(drive(t2, 0, 20_000, 100), []);
});

test('timers: keepalive after receiving data and sending nothing, suppressed by sending', (t) => {
  const timers = new PeerTimers(timerConfig(), () => 0);
  timers.dataReceived(0);
  timers.dataReceived(3000); // already pending: remember we need another
  t.deepEqual(drive(timers, 0, 10_000, 100), [[10_000, 'sendKeepalive']]);
  t.deepEqual(drive(timers, 10_100, 20_000, 100), [[20_000, 'sendKeepalive']]);
  t.deepEqual(drive(timers, 20_100, 40_000, 100), []);
  timers.dataReceived(50_000);
  timers.anyAuthenticatedPacketSent();
  t.deepEqual(drive(timers, 50_000, 70_000, 100), []);
});

test('timers: new handshake when data was sent and nothing came back for 15 s', (t) => {
  const timers = new PeerTimers(timerConfig(), () => 0);
  timers.dataSent(0);
  timers.dataSent(1000); // does not push the deadline
  t.deepEqual(drive(timers, 0, 16_000, 100), [[15_000, 'newHandshake']]);
  timers.dataSent(20_000);
  timers.anyAuthenticatedPacketReceived();
  t.deepEqual(drive(timers, 20_000, 40_000, 100), []);
});

test('timers: persistent keepalive and zeroing keys after 3 × RejectAfterTime', (t) => {
  const timers = new PeerTimers(timerConfig(), () => 0);
  timers.persistentKeepaliveInterval = 25_000;
  timers.anyAuthenticatedPacketTraversal(0);
  timers.sessionDerived(0);
  const seen = drive(timers, 0, 26_000, 500);
  t.deepEqual(seen, [[25_000, 'persistentKeepalive']]);
  timers.anyAuthenticatedPacketTraversal(25_000);
  t.is(timers.nextDeadline(), 50_000);
  t.is(timers.zeroKeyMaterialAt, 540_000);
  timers.persistentKeepaliveInterval = 0;
  t.deepEqual(timers.expire(540_000), ['zeroKeyMaterial']);
  timers.stop();
  timers.dataReceived(0);
  timers.sessionDerived(0);
  t.is(timers.nextDeadline(), Infinity);
});

test('timers: shortened config (tests) and keypair freshness predicates', (t) => {
  const cfg = timerConfig({ rekeyAfterTime: 2000, rejectAfterTime: 3000, keepaliveTimeout: 500, rekeyTimeout: 200, rekeyAfterMessages: 100 });
  const kp = { created: 0, sendCounter: 0, isInitiator: true };
  t.true(canSendWith(kp, 2999, cfg));
  t.false(canSendWith(kp, 3000, cfg));
  t.false(canSendWith(null, 0, cfg));
  t.false(needsRekeyOnSend(kp, 2000, cfg));
  t.true(needsRekeyOnSend(kp, 2001, cfg));
  t.false(needsRekeyOnSend({ ...kp, isInitiator: false }, 2001, cfg));
  t.true(needsRekeyOnSend({ ...kp, isInitiator: false, sendCounter: 101 }, 0, cfg));
  t.false(needsRekeyOnReceive(kp, 2300, cfg));
  t.true(needsRekeyOnReceive(kp, 2301, cfg));
  t.false(needsRekeyOnReceive({ ...kp, isInitiator: false }, 2301, cfg));
  const timers = new PeerTimers(cfg, () => 0);
  timers.handshakeInitiated(0);
  t.is(timers.retransmitHandshakeAt, 200);
  t.is(timers.maxHandshakes, 450);
});

test('allowed-ips: longest prefix match for IPv4 and IPv6, from packet bytes', (t) => {
  const table = new AllowedIps<string>();
  table.insert('0.0.0.0/0', 'default4');
  table.insert('10.0.0.0/8', 'a');
  table.insert('10.1.0.0/16', 'b');
  table.insert('10.1.2.3/32', 'c');
  table.insert('::/0', 'default6');
  table.insert('fd00::/8', 'd');
  table.insert('fd00:1::/32', 'e');
  table.insert('fd00:1::1/128', 'f');
  const at = (ip: string): string | null => {
    const b = parseIp(ip);
    return table.lookup(b, 0, b.length === 4 ? 4 : 6);
  };
  t.is(at('10.1.2.3'), 'c');
  t.is(at('10.1.2.4'), 'b');
  t.is(at('10.2.0.0'), 'a');
  t.is(at('11.0.0.1'), 'default4');
  t.is(at('fd00:1::1'), 'f');
  t.is(at('fd00:1::2'), 'e');
  t.is(at('fd00:2::'), 'd');
  t.is(at('2001:db8::1'), 'default6');
  const v4 = new Uint8Array(20);
  v4[0] = 0x45;
  v4.set([10, 1, 2, 3], 16);
  v4.set([10, 9, 9, 9], 12);
  t.is(table.lookupDestination(v4), 'c');
  t.is(table.lookupSource(v4), 'a');
  const v6 = new Uint8Array(40);
  v6[0] = 0x60;
  v6.set(parseIp('fd00:1::1'), 24);
  t.is(table.lookupDestination(v6), 'f');
  t.is(table.lookupDestination(v6.subarray(0, 39)), null);
  t.is(table.lookupDestination(Uint8Array.of(0x50)), null);
  t.is(table.lookupDestination(new Uint8Array(0)), null);
  table.removeValue('c');
  t.is(at('10.1.2.3'), 'b');
  t.deepEqual(table.entriesFor('e'), ['fd00:1::/32']);
  table.insert('10.1.0.0/16', 'x'); // same prefix: replaced
  t.is(at('10.1.2.3'), 'x');
  t.deepEqual(table.entriesFor('b'), []);
  const empty = new AllowedIps<string>();
  t.is(empty.lookup(parseIp('1.2.3.4'), 0, 4), null);
});

test('ip-address: parse/format round trips and rejects junk', (t) => {
  for (const ip of ['1.2.3.4', '::', '::1', 'fd00::1', '2001:db8:0:1:1:1:1:1', 'fe80::1:0:0:1', '1::', '::ffff:1.2.3.4']) {
    const b = parseIp(ip);
    t.is(b.length, ip.includes(':') ? 16 : 4);
    t.deepEqual(parseIp(formatIp(b)), b, ip);
  }
  t.is(formatIp(parseIp('2001:0db8:0000:0000:0000:0000:0000:0001')), '2001:db8::1');
  t.deepEqual(parseCidr('10.1.2.3/8'), { address: Uint8Array.of(10, 0, 0, 0), bits: 8 });
  for (const bad of ['1.2.3', '10.0.0.0/33', '::/129', '10.0.0.0/', '10.0.0.0/-1', 'x', '1.2.3.4/8x']) {
    t.throws(() => parseCidr(bad), undefined, bad);
  }
});

test('rate limiter: 20/s with a burst of 5 per source, as wireguard-go', (t) => {
  const rl = new RateLimiter();
  const burst = [0, 0, 0, 0, 0, 0].map(() => rl.allow('1.2.3.4', 1000));
  t.deepEqual(burst, [true, true, true, true, false, false]);
  t.true(rl.allow('5.6.7.8', 1000)); // separate bucket
  t.true(rl.allow('1.2.3.4', 1040)); // one token left (50) + 40 ms
  t.false(rl.allow('1.2.3.4', 1041));
  t.true(rl.allow('1.2.3.4', 1100)); // 50 ms refills one packet's worth
  let allowed = 0;
  for (let now = 2000; now < 12_000; now += 5) if (rl.allow('9.9.9.9', now)) allowed++;
  t.true(allowed >= 199 && allowed <= 205, `${allowed} in 10 s`);
  rl.allow('x', 100_000); // idle entries are collected
  t.is(rl.size, 1);
});
