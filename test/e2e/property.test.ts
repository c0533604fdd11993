// Issue #11.3: seeded random interleavings of connect / disconnect / reload / status / network_event
// against the real nym-vpnd on its bus in the lab, with a reachable entry (entry-de) and an unreachable one
// (entry-nl, its wireguard-go killed). After every step: the daemon answers, the state is one of the
// schema's, at most one TUN and one connection loop exist, and the kill switch in the kernel is what
// status says. After every sequence a disconnect leaves no TUN, no loop and no kill switch.
// NYM_PROPERTY_SEQUENCES sets the number of sequences (default 1000, the minimum for CI).

import test from 'ava';
import fc from 'fast-check';
import { writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MULTI_GATEWAYS } from '../../tools/lab/addresses.js';
import type { NymLab } from '../../tools/lab/topology.js';
import { UbusClient } from '../../src/ubus/client.js';
import { loadSchema } from '../../src/ubus/schema.js';
import { fileURLToPath } from 'node:url';
import { testLab } from './helpers.js';

const schemaPath = fileURLToPath(new URL('../../../ubus-schema/nym-vpn.json', import.meta.url));
const SEQUENCES = Number(process.env.NYM_PROPERTY_SEQUENCES ?? 1000);
const STATES = (loadSchema(schemaPath).methods.status!.reply as unknown as { fields: { state: { enum: string[] } } }).fields.state.enum;

let lab: NymLab;
let bus: UbusClient;
let configFile: string;
let configText: string;

test.before(async () => {
  lab = await testLab('prop', { gateways: MULTI_GATEWAYS });
  await lab.killGateway(lab.gateway('entry-nl').id, 'SIGKILL');
  bus = await UbusClient.connect({ socket: lab.socket });
  configFile = join(lab.root, 'etc/config/nym-vpn');
  configText = readFileSync(configFile, 'utf8');
});
test.after.always(async () => {
  bus?.close();
  await lab?.destroy();
});

type Op =
  | { op: 'connect'; entry: 'entry-de' | 'entry-nl' }
  | { op: 'disconnect' }
  | { op: 'reload'; dnsChange: boolean }
  | { op: 'status' }
  | { op: 'network_event'; action: 'ifup' | 'ifdown' }
  | { op: 'wan'; up: boolean };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ op: fc.constant('connect' as const), entry: fc.constantFrom('entry-de' as const, 'entry-nl' as const) }),
  fc.record({ op: fc.constant('disconnect' as const) }),
  fc.record({ op: fc.constant('reload' as const), dnsChange: fc.boolean() }),
  fc.record({ op: fc.constant('status' as const) }),
  fc.record({ op: fc.constant('network_event' as const), action: fc.constantFrom('ifup' as const, 'ifdown' as const) }),
  fc.record({ op: fc.constant('wan' as const), up: fc.boolean() }),
);
/** One step: one call, or several fired at once. */
const stepArb = fc.array(opArb, { minLength: 1, maxLength: 3 });

async function call(op: Op): Promise<unknown> {
  switch (op.op) {
    case 'connect': return bus.call('nym-vpn', 'connect', { entry_id: lab.gateway(op.entry).id }, 20_000);
    case 'disconnect': return bus.call('nym-vpn', 'disconnect', {}, 20_000);
    case 'reload':
      // A DNS-only edit (applied to the running tunnel) or none at all; the gateways stay.
      writeFileSync(configFile, op.dnsChange ? configText.replace(/(list dns ')[^']*'/, '$1192.0.2.53\'') : configText);
      return bus.call('nym-vpn', 'reload', {}, 20_000);
    case 'status': return bus.call('nym-vpn', 'status', {}, 5_000);
    case 'network_event': return bus.call('nym-vpn', 'network_event', { action: op.action, interface: 'wan', device: 'wan0' }, 20_000);
    case 'wan':
      // The cable, then hotplug's event, as netifd would send it.
      await setWan(op.up);
      return bus.call('nym-vpn', 'network_event', { action: op.up ? 'ifup' : 'ifdown', interface: 'wan' }, 20_000);
  }
}

let wanUp = true;
async function setWan(up: boolean): Promise<void> {
  if (up === wanUp) return;
  wanUp = up;
  await lab.setWanLink(up ? 'up' : 'down');
}

async function tunCount(): Promise<number> {
  const out = (await lab.exec('router', 'ip', ['-j', 'link', 'show', 'type', 'tun'])).stdout;
  return (JSON.parse(out || '[]') as unknown[]).length;
}

async function ourTables(): Promise<boolean> {
  const out = (await lab.exec('router', 'nft', ['list', 'tables', 'inet'])).stdout;
  return /table inet nym(_boot)?$/m.test(out);
}

/** The checks after every step; a string says what broke. */
async function invariants(): Promise<string | null> {
  const before = await ourTables();
  const s = (await bus.call('nym-vpn', 'status', {}, 5_000)) as Record<string, unknown>;
  const after = await ourTables();
  if (!STATES.includes(s.state as string)) return `state ${String(s.state)} is not one of the schema's`;
  const tuns = await tunCount();
  if (tuns > 1) return `${tuns} TUN devices`;
  const info = (await bus.call('nym-vpn', 'info', {}, 5_000)) as Record<string, unknown>;
  if ((info.connection_loops as number) > 1) return `${String(info.connection_loops)} connection loops`;
  if (before === after && s.kill_switch_active !== before) return `status says kill_switch_active=${String(s.kill_switch_active)}, the kernel ${before ? 'holds' : 'does not hold'} our tables`;
  return null;
}

test.serial(`${SEQUENCES} random sequences of calls against the real daemon keep its invariants`, async (t) => {
  t.timeout(SEQUENCES * 3_000 + 60_000, 'the sequences take about half a second each');
  const pid = Number((await bus.call('nym-vpn', 'info', {}, 5_000) as Record<string, unknown>).pid);
  const started = Date.now();
  let steps = 0;
  let calls = 0;
  let why = '';
  const replay = process.env.NYM_PROPERTY_PATH;
  await fc.assert(
    fc.asyncProperty(fc.array(stepArb, { minLength: 1, maxLength: 5 }), async (seq) => {
      try {
        await runSequence(seq);
      } catch (e) {
        why = (e as Error).message;
        throw e;
      }
    }),
    { numRuns: SEQUENCES, seed: 20261203, endOnFailure: true, ...(replay ? { path: replay } : {}) },
  ).catch((e: Error) => {
    throw new Error(`${why}\n${e.message}`);
  });
  async function runSequence(seq: Op[][]): Promise<void> {
    for (const step of seq) {
      steps++;
      calls += step.length;
      // The cable is one thing: its changes go one after another; the calls all at once.
      for (const o of step) if (o.op === 'wan') await call(o);
      const answers = await Promise.allSettled(step.filter((o) => o.op !== 'wan').map(call));
      for (const a of answers) if (a.status === 'rejected') throw new Error(`a call failed: ${(a.reason as Error).message} in ${JSON.stringify(step)}`);
      const broken = await invariants();
      if (broken) throw new Error(`${broken} after ${JSON.stringify(step)}`);
    }
    await call({ op: 'disconnect' });
    await setWan(true);
    const s = (await bus.call('nym-vpn', 'status', {}, 5_000)) as Record<string, unknown>;
    const info = (await bus.call('nym-vpn', 'info', {}, 5_000)) as Record<string, unknown>;
    if (s.state !== 'disconnected') throw new Error(`after disconnect: ${String(s.state)}`);
    if (info.connection_loops !== 0) throw new Error(`after disconnect: ${String(info.connection_loops)} loops`);
    if ((await tunCount()) !== 0) throw new Error('after disconnect: a TUN is left');
    if (await ourTables()) throw new Error('after disconnect: the kill switch is left');
    if (s.kill_switch_active !== false) throw new Error('after disconnect: status says the kill switch is active');
  }
  const info = (await bus.call('nym-vpn', 'info', {}, 5_000)) as Record<string, unknown>;
  t.is(Number(info.pid), pid, 'the same daemon answered throughout (it never crashed)');
  writeFileSync(configFile, configText);
  t.log(`${SEQUENCES} sequences, ${steps} steps, ${calls} calls in ${((Date.now() - started) / 1000).toFixed(1)} s`);
});
