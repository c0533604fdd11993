// The connection coordinator against in-memory ports (connection-world.ts): the order of every step,
// teardown in reverse, an abort at each step, the failure of each port (fail closed), offline/online,
// reloads, and overlapping commands. No root, no TUN, no kernel firewall: this file runs in about a second.

import test from 'ava';
import fc from 'fast-check';
import type { ExecutionContext } from 'ava';
import { World as BareWorld, fatal, retryable, type Step } from './connection-world.js';

// A connection left connected keeps checking DNS on the virtual clock: each test stops its own.
function world(t: ExecutionContext): BareWorld {
  const w = new BareWorld();
  t.teardown(() => w.stop());
  return w;
}

const choice = { entry: {}, exit: {} };

const CONNECT_ORDER = [
  'fw.apply', 'fw=connecting',
  'route.resolve', 'fw.apply', 'fw=connecting+own',
  'fw.apply', 'fw=connecting+entry',
  'keys', 'keys', 'tunnel.open', 'tunnel.wait', 'monitor.create', 'monitor.check',
  'routing.install', 'dns.apply',
  'fw.apply', 'fw=connected+entry',
  'monitor.start',
];
// The state says connected only once all of it is done (monitor.start runs with the state change).

test('connect: kill switch first, then the gateway, the tunnel, handshakes, the probe, routes, DNS; answers once the kill switch is up', async (t) => {
  const w = world(t);
  const { conn, machine } = w.connection();
  const held = w.hold('route.resolve');
  await conn.connect(choice);
  // The call has answered: the kill switch is up, nothing else yet.
  t.is(w.firewall.step, 'connecting');
  t.is(machine.state.state, 'connecting');
  t.deepEqual(w.journal, ['intent.save', 'fw.apply', 'fw=connecting', 'route.resolve']);
  held.release();
  await w.until(machine, 'connected');
  await new Promise((r) => setImmediate(r));
  t.deepEqual(w.journal.filter((s) => s !== 'intent.save'), CONNECT_ORDER);
  t.deepEqual(w.violations, []);
  t.is(w.openTunnels.size, 1);
});

test('disconnect: teardown in reverse (monitor, DNS, routes, tunnel), then the kill switch lifted', async (t) => {
  const w = world(t);
  const { conn, machine } = w.connection();
  await conn.connect(choice);
  await w.until(machine, 'connected');
  w.journal.length = 0;
  await conn.disconnect();
  t.deepEqual(w.journal, ['monitor.stop', 'dns.restore', 'routing.remove', 'tunnel.close', 'intent.clear', 'fw.lift']);
  t.is(machine.state.state, 'disconnected');
  t.true(w.clean());
  t.is(w.firewall.step, 'lifted');
  t.false(conn.running);
  t.deepEqual(w.violations, []);
});

test('always-on: disconnect keeps the kill switch; with it off, a disconnect while disconnected still lifts what a crashed daemon left', async (t) => {
  const w = world(t);
  w.config = { ...w.config, main: { ...w.config.main, alwaysOn: true, killSwitch: true } };
  const { conn } = w.connection();
  await conn.connect(choice);
  await conn.disconnect();
  t.not(w.firewall.step, 'lifted');
  t.true((await conn.readKillSwitch(true)).active);
  w.config = { ...w.config, main: { ...w.config.main, alwaysOn: false } };
  w.firewall = { step: 'error', ownCount: 0 }; // as a killed daemon leaves it
  await conn.disconnect();
  t.is(w.firewall.step, 'lifted');
  t.false((await conn.readKillSwitch(true)).active);
});

const STEPS_TO_ABORT: Step[] = ['route.resolve', 'keys', 'tunnel.open', 'tunnel.wait', 'monitor.check', 'routing.install', 'dns.apply'];

for (const step of STEPS_TO_ABORT) {
  test(`disconnect while ${step} is under way: nothing left installed, no loop, kill switch lifted`, async (t) => {
    const w = world(t);
    const { conn, machine } = w.connection();
    const g = w.hold(step);
    await conn.connect(choice);
    await g.reached;
    const done = conn.disconnect();
    // A port that ignores the abort and finishes later must not bring anything back.
    g.release();
    await done;
    t.is(machine.state.state, 'disconnected');
    t.false(conn.running);
    t.true(w.clean(), w.journal.join(' '));
    t.is(w.firewall.step, 'lifted');
    t.deepEqual(w.violations, []);
  });
}

const FATAL: Array<[Step, string]> = [['tunnel.open', 'TunDevice'], ['routing.install', 'Routing'], ['dns.apply', 'SetDns']];
for (const [step, reason] of FATAL) {
  test(`${step} fails: state error (${reason}), everything undone, the kill switch kept up (fail closed)`, async (t) => {
    const w = world(t);
    const { conn, machine } = w.connection();
    w.failures.set(step, new Error(`${step} broke`));
    await conn.connect(choice);
    await w.until(machine, 'error');
    await conn.whenIdle();
    t.like(machine.state, { state: 'error', reason });
    t.true(w.clean());
    t.is(w.firewall.step, 'error');
    t.false(conn.running);
    t.deepEqual(w.violations, []);
  });
}

test('the firewall fails: state error (Firewall), nothing is built, status says why', async (t) => {
  const w = world(t);
  const { conn, machine } = w.connection();
  w.failures.set('fw.apply', new Error('nft: interface name refused (failed closed)'));
  await conn.connect(choice);
  t.like(machine.state, { state: 'error', reason: 'Firewall' });
  t.regex(conn.killSwitchError ?? '', /failed closed/);
  t.is(w.openTunnels.size, 0);
  t.false(w.journal.includes('route.resolve'));
  w.failures.delete('fw.apply');
  await conn.connect(choice);
  await w.until(machine, 'connected');
  t.is(conn.killSwitchError, undefined);
});

for (const step of ['route.resolve', 'tunnel.wait', 'keys'] as Step[]) {
  test(`${step} fails in a retryable way: connecting again with a growing attempt count, one tunnel at a time`, async (t) => {
    const w = world(t);
    const { conn, machine } = w.connection();
    w.failures.set(step, step === 'keys' ? new Error('disk hiccup') : retryable('no answer'));
    await conn.connect(choice);
    await new Promise<void>((resolve) => {
      const off = machine.onChange((s) => {
        if (s.state === 'connecting' && s.retryAttempt >= 3) {
          off();
          resolve();
        }
      });
    });
    w.failures.delete(step);
    await w.until(machine, 'connected');
    t.true(conn.lastReconnectReason !== undefined);
    t.deepEqual(w.violations, []);
    await conn.disconnect();
    t.true(w.clean());
  });
}

test('a fatal gateway error (e.g. no gateway in that country) ends in error with the reason, kill switch up', async (t) => {
  const w = world(t);
  const { conn, machine } = w.connection();
  w.failures.set('route.resolve', fatal('no exit gateway in FR'));
  await conn.connect(choice);
  await w.until(machine, 'error');
  t.like(machine.state, { state: 'error', reason: 'Routing', message: 'no exit gateway in FR' });
  t.not(w.firewall.step, 'lifted');
});

test('the monitor declares the tunnel dead: reconnect (a new tunnel after the old is closed), count and reason kept', async (t) => {
  const w = world(t);
  const { conn, machine } = w.connection();
  await conn.connect(choice);
  await w.until(machine, 'connected');
  const first = [...w.openTunnels][0]!;
  w.onDead!('no reply to 3 probes');
  await w.until(machine, 'connecting');
  await w.until(machine, 'connected');
  t.true(first.closed);
  t.is(conn.reconnects, 1);
  t.is(conn.lastReconnectReason, 'no reply to 3 probes');
  t.is(w.openTunnels.size, 1);
  t.deepEqual(w.violations, []);
});

test('bandwidth that nothing can pay for ends the tunnel in an error (BandwidthExceeded), kill switch up, no reconnect loop', async (t) => {
  const w = world(t);
  const { conn, machine } = w.connection();
  await conn.connect(choice);
  await w.until(machine, 'connected');
  const first = [...w.openTunnels][0]!;
  w.onDead!('bandwidth at the exit gateway runs out and no v1-wireguard-exit ticket can pay for more', 'BandwidthExceeded');
  await w.until(machine, 'error');
  t.like(machine.state, { state: 'error', reason: 'BandwidthExceeded' });
  t.regex((machine.state as { message: string }).message, /no v1-wireguard-exit ticket/);
  t.true(first.closed);
  t.is(w.openTunnels.size, 0);
  t.is(conn.reconnects, 0);
  t.is(w.firewall.step, 'error', 'the kill switch stays up in the error state');
  t.deepEqual(w.violations, []);
});

test('a DNS server inside the tunnel stops answering: dnsmasq gets the others; back: all again; all silent: all kept', async (t) => {
  const w = world(t);
  w.config = { ...w.config, main: { ...w.config.main, dns: ['192.0.2.53', '198.51.100.53'], ipv6: false } };
  const { conn, machine } = w.connection();
  await conn.connect(choice);
  await w.until(machine, 'connected');
  t.deepEqual(w.dnsServers, ['192.0.2.53', '198.51.100.53']);
  w.deadDns.add('192.0.2.53');
  t.deepEqual(await w.nextDnsApply(), ['198.51.100.53']);
  t.deepEqual(conn.dnsUnreachable, ['192.0.2.53']);
  w.deadDns.clear();
  t.deepEqual(await w.nextDnsApply(), ['192.0.2.53', '198.51.100.53']);
  t.deepEqual(conn.dnsUnreachable, []);
  // Both silent (the tunnel, not DNS, is at fault): nothing changes.
  w.deadDns.add('192.0.2.53').add('198.51.100.53');
  const before = w.journal.length;
  await w.clock.sleep(60_000, new AbortController().signal);
  for (let i = 0; i < 50; i++) await new Promise((r) => setImmediate(r));
  t.false(w.journal.slice(before).includes('dns.apply'));
  t.deepEqual(conn.dnsUnreachable, []);
});

test('an MTU black hole reported by the monitor: the exit hop is fragmented to 1200 bytes, status says so, a new tunnel starts without', async (t) => {
  const w = world(t);
  const { conn, machine } = w.connection();
  await conn.connect(choice);
  await w.until(machine, 'connected');
  w.onBlackHole!();
  const tunnel = [...w.openTunnels][0]!;
  t.is(tunnel.fragmented, 1200);
  t.true(w.journal.includes('routing.clamp 1120'));
  t.true(conn.mtuBlackHole);
  w.onDead!('gone');
  await w.until(machine, 'connecting');
  t.false(conn.mtuBlackHole);
});

test('offline: tunnel dropped, kill switch kept, Offline; back online: the same choice again', async (t) => {
  const w = world(t);
  const { conn, machine } = w.connection();
  await conn.connect({ entry: { country: 'DE' }, exit: { country: 'CH' } });
  await w.until(machine, 'connected');
  await conn.setOnline(false);
  t.like(machine.state, { state: 'offline' });
  t.true(w.clean());
  t.not(w.firewall.step, 'lifted');
  await conn.setOnline(false); // again: nothing changes
  t.like(machine.state, { state: 'offline' });
  await conn.setOnline(true);
  await w.until(machine, 'connected');
  t.deepEqual(conn.currentChoice, { entry: { country: 'DE' }, exit: { country: 'CH' } });
  // Online while disconnected does nothing.
  await conn.disconnect();
  await conn.setOnline(true);
  t.is(machine.state.state, 'disconnected');
});

test('reload: DNS-only keeps the tunnel (same one, DNS re-applied); a gateway change builds a new one with UCI\'s choice', async (t) => {
  const w = world(t);
  const { conn, machine } = w.connection();
  await conn.connect({ entry: { country: 'DE' }, exit: {}, dns: ['9.9.9.9'] });
  await w.until(machine, 'connected');
  const tunnel = [...w.openTunnels][0]!;
  w.journal.length = 0;
  await conn.reload({ reconnect: false, resetGateways: false });
  t.deepEqual(w.journal, ['dns.apply', 'fw.apply', 'fw=connected+entry']);
  t.false(tunnel.closed);
  await conn.reload({ reconnect: true, resetGateways: true });
  await w.until(machine, 'connected');
  t.true(tunnel.closed);
  t.deepEqual(conn.currentChoice, { entry: {}, exit: {}, dns: ['9.9.9.9'] });
  t.deepEqual(w.violations, []);
});

test('start: a previous daemon\'s intent is resumed (its kill switch adopted); without one, a stray kill switch is lifted', async (t) => {
  const w = world(t);
  w.intent = { entry: { id: 'g1' }, exit: {} };
  w.firewall = { step: 'connecting', ownCount: 0 };
  const { conn } = w.connection();
  t.deepEqual(await conn.start(false), { entry: { id: 'g1' }, exit: {} });
  t.is(w.firewall.step, 'connecting');
  const w2 = world(t);
  w2.firewall = { step: 'error', ownCount: 0 };
  const c2 = w2.connection().conn;
  t.is(await c2.start(false), undefined);
  t.is(w2.firewall.step, 'lifted');
  // With autoconnect the kill switch stays for the connection about to start.
  const w3 = world(t);
  w3.firewall = { step: 'error', ownCount: 0 };
  await w3.connection().conn.start(true);
  t.is(w3.firewall.step, 'error');
  // Always on: the kill switch goes up at start, with nothing in the kernel and no connect asked for.
  const w4 = world(t);
  w4.config = { ...w4.config, main: { ...w4.config.main, alwaysOn: true, killSwitch: true } };
  t.is(w4.firewall.step, 'lifted');
  await w4.connection().conn.start(false);
  t.not(w4.firewall.step, 'lifted');
  t.true(w4.journal.includes('fw.lift'), 'the disconnected step applied (which keeps blocking when always on)');
});

test('two overlapping connects then a disconnect: one loop, one tunnel at a time, nothing left after disconnect answers', async (t) => {
  const w = world(t);
  const { conn, machine } = w.connection();
  const a = conn.connect(choice);
  const b = conn.connect({ entry: { country: 'DE' }, exit: {} });
  await Promise.all([a, b]);
  const d = conn.disconnect();
  const c = conn.connect(choice);
  const d2 = conn.disconnect();
  await Promise.all([d, c, d2]);
  t.is(machine.state.state, 'disconnected');
  t.false(conn.running);
  t.true(w.clean());
  t.is(w.firewall.step, 'lifted');
  t.deepEqual(w.violations, []);
});

test('illegal transitions are logged as bugs, never thrown', async (t) => {
  const w = world(t);
  const { conn, machine } = w.connection();
  await conn.disconnect();
  await conn.disconnect();
  await conn.setOnline(true);
  t.is(machine.state.state, 'disconnected');
  t.deepEqual(w.logs.filter((l) => l.includes('bug')), []);
});

// Random interleavings of the commands with ports that succeed, fail or hang: after each command the
// world's invariants hold, and after a final disconnect nothing is left and no loop runs.
test('random interleavings of connect/disconnect/reload/offline/online/monitor deaths keep the invariants', async (t) => {
  type Cmd = { op: 'connect' | 'disconnect' | 'reload' | 'reloadGw' | 'offline' | 'online' | 'dead' | 'failOnce'; step?: Step; concurrent: boolean };
  const cmd = fc.record({
    op: fc.constantFrom('connect', 'disconnect', 'reload', 'reloadGw', 'offline', 'online', 'dead', 'failOnce'),
    step: fc.constantFrom<Step>('route.resolve', 'tunnel.open', 'tunnel.wait', 'routing.install', 'dns.apply', 'fw.apply'),
    concurrent: fc.boolean(),
  }) as fc.Arbitrary<Cmd>;
  let runs = 0;
  await fc.assert(
    fc.asyncProperty(fc.array(cmd, { minLength: 1, maxLength: 25 }), async (cmds) => {
      runs++;
      const w = world(t);
      const { conn, machine } = w.connection();
      const pending: Promise<unknown>[] = [];
      for (const c of cmds) {
        let p: Promise<unknown>;
        switch (c.op) {
          case 'connect': p = conn.connect(choice); break;
          case 'disconnect': p = conn.disconnect(); break;
          case 'reload': p = conn.reload({ reconnect: false, resetGateways: false }); break;
          case 'reloadGw': p = conn.reload({ reconnect: true, resetGateways: true }); break;
          case 'offline': p = conn.setOnline(false); break;
          case 'online': p = conn.setOnline(true); break;
          case 'dead': w.onDead?.('probe failed'); p = Promise.resolve(); break;
          case 'failOnce': {
            const step = c.step!;
            w.failures.set(step, step === 'tunnel.wait' || step === 'route.resolve' ? retryable('flaky') : new Error(`${step} broke`));
            p = new Promise<void>((r) => setImmediate(() => { w.failures.delete(step); r(); }));
            break;
          }
        }
        if (c.concurrent) pending.push(p);
        else await p;
        if (w.openTunnels.size > 1) return false;
      }
      await Promise.all(pending);
      await conn.disconnect();
      return machine.state.state === 'disconnected' && !conn.running && w.clean() && w.firewall.step === 'lifted' && w.violations.length === 0
        && w.logs.every((l) => !l.includes('bug:'));
    }),
    { numRuns: 300, seed: 0x4e594d },
  );
  t.is(runs, 300);
});
