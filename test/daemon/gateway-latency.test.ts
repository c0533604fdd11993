// Issue #15.4: the latency nym-vpnd measures shows in its `gateways` reply — against a real nym-vpnd on its
// bus, probing with its real (marked) TCP sockets over a real IP path. In the daemon's own network namespace
// a TUN device stands for three entry gateways and one exit (test/gateways/fixtures/latency-child.ts): one
// answers a SYN at once with a RST, one after 60 ms with a SYN-ACK, one never; it counts every SYN, so the
// test sees what the daemon sent. Listing gateways in a loop — before any probe and after one — sends nothing.
import test from 'ava';
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BusProcess, repoRoot, waitFor } from '../helpers/bus.js';
import { UbusClient } from '../../src/ubus/client.js';
import { checkValue, loadSchema } from '../../src/ubus/schema.js';
import { JsonLinesChild } from '../../tools/lab/process.js';

const schema = loadSchema(resolve(repoRoot, 'ubus-schema/nym-vpn.json'));
const RESPONDERS = [
  { ip: '10.62.0.10', delayMs: 0, answer: 'rst' },
  { ip: '10.62.0.11', delayMs: 60, answer: 'synack' },
  { ip: '10.62.0.13', delayMs: 0, answer: 'silent' },
  { ip: '10.62.0.20', delayMs: 5, answer: 'rst' },
];
const PEERS = [
  { id: 'gw-fast', role: 'entry', ip: '10.62.0.10', country: 'NL' },
  { id: 'gw-slow', role: 'entry', ip: '10.62.0.11', country: 'DE' },
  { id: 'gw-silent', role: 'entry', ip: '10.62.0.13', country: 'SE' },
  { id: 'gw-exit', role: 'exit', ip: '10.62.0.20', country: 'CH' },
];
const peerSections = PEERS.map((p, i) => `
config peer
	option role '${p.role}'
	option gateway_id '${p.id}'
	option public_key '${Buffer.alloc(32, i + 1).toString('base64')}'
	option endpoint '${p.ip}:51820'
	option country '${p.country}'
	list address '10.9.0.${i + 2}/32'
`).join('');

let bus: BusProcess;
let client: UbusClient;
let responder: JsonLinesChild;
let daemonLog: () => string = () => '';

type Listed = { gateways: Array<{ id: string; latency_ms?: number; measured_at?: number }>; cached?: boolean };

async function list(role: 'entry' | 'exit', args: Record<string, unknown> = {}): Promise<Listed> {
  const r = await client.call('nym-vpn', 'gateways', { role, ...args }, 10_000);
  const problem = checkValue(schema.methods.gateways!.reply, r);
  if (problem) throw new Error(`the gateways reply breaks the schema at ${problem.path}: ${problem.message}`);
  return r as unknown as Listed;
}
const byId = (l: Listed) => new Map(l.gateways.map((g) => [g.id, g]));
const syns = async () => (await responder.request<{ syns: Record<string, number> }>({ op: 'syns' })).syns;
const totalSyns = async () => Object.values(await syns()).reduce((a, b) => a + b, 0);

/** Calls `gateways` many times over, as a LAN user with read access could: in parallel, both roles, with filters. */
async function hammer(times: number): Promise<void> {
  for (let round = 0; round < times / 25; round++) {
    await Promise.all(Array.from({ length: 25 }, (_, i) =>
      client.call('nym-vpn', 'gateways', i % 3 === 0 ? { role: 'exit' } : i % 3 === 1 ? { role: 'entry', country: 'nl' } : { role: 'entry', min_performance: 0 }, 10_000)));
  }
}

test.before(async () => {
  bus = new BusProcess();
  await bus.start();
  // The shipped config (kill switch on: the probes pass it as the daemon's own traffic) with no directory (a
  // closed port), so the static peers alone, and a LAN given as a range (this namespace has no `lan`).
  const shipped = readFileSync(join(repoRoot, 'files/etc/config/nym-vpn'), 'utf8');
  mkdirSync(join(bus.dir, 'etc/config'), { recursive: true });
  writeFileSync(join(bus.dir, 'etc/config/nym-vpn'), shipped
    .replace(/(config nym-vpn 'main'\n)/, "$1\toption api_url 'http://127.0.0.1:9/api'\n")
    .replace("list source 'lan'", "list source '192.168.77.0/24'") + peerSections);
  const daemon = await bus.startDaemon(bus.dir, ['--log-level', 'debug']);
  daemonLog = (daemon as unknown as { log: () => string }).log;
  // The responder in the daemon's network namespace (unshare exec'd the daemon: its pid is the daemon's).
  const script = fileURLToPath(new URL('../gateways/fixtures/latency-child.js', import.meta.url));
  const child = spawn('nsenter', [`--net=/proc/${daemon.pid}/ns/net`, process.execPath, script], { stdio: ['pipe', 'pipe', 'pipe'] });
  bus.children.push(child);
  responder = new JsonLinesChild(child);
  await responder.request({ op: 'setup', gateways: RESPONDERS });
  client = await UbusClient.connect({ socket: bus.socket, reconnect: false });
});

test.after.always(async () => {
  client?.close();
  await bus?.close();
});

test.afterEach.always((t) => {
  if (!t.passed) t.log(daemonLog().split('\n').filter((l) => !l.includes('call gateways')).slice(-40).join('\n'));
});

test.serial('before any probe: no latency in the list, and 500 list calls send no SYN to any gateway', async (t) => {
  const entries = await list('entry');
  t.deepEqual(entries.gateways.map((g) => g.id).sort(), ['gw-fast', 'gw-silent', 'gw-slow']);
  for (const g of [...entries.gateways, ...(await list('exit')).gateways]) {
    t.is(g.latency_ms, undefined, g.id);
    t.is(g.measured_at, undefined, g.id);
  }
  await hammer(500);
  t.deepEqual(await syns(), {}, 'listing never probes');
  t.false((await list('entry')).gateways.some((g) => g.latency_ms !== undefined || g.measured_at !== undefined));
});

test.serial('a low-latency connect probes for real; then the list shows each entry\'s measured round trip', async (t) => {
  const since = Math.floor(Date.now() / 1000);
  await client.call('nym-vpn', 'connect', { entry_low_latency: true }, 10_000);
  // The selection probes the three entries (3 attempts each, the silent one until its timeouts), then goes on
  // to build a tunnel no gateway here answers: the measurements are there as soon as the selection is done.
  t.true(await waitFor(async () => (await list('entry')).gateways.some((g) => g.measured_at !== undefined), 20_000), 'the latencies appear');
  const seen = await syns();
  t.true((seen['10.62.0.10'] ?? 0) >= 1 && (seen['10.62.0.11'] ?? 0) >= 1 && (seen['10.62.0.13'] ?? 0) >= 1, `SYNs seen: ${JSON.stringify(seen)}`);
  t.false('10.62.0.20' in seen, 'the exit (chosen at random, not by latency) is not probed');

  const entries = byId(await list('entry'));
  const fast = entries.get('gw-fast')!;
  const slow = entries.get('gw-slow')!;
  const silent = entries.get('gw-silent')!;
  t.true(Number.isInteger(fast.latency_ms) && fast.latency_ms! < 40, `fast: ${fast.latency_ms} ms`);
  t.true(Number.isInteger(slow.latency_ms) && slow.latency_ms! >= 58 && slow.latency_ms! < 400, `slow (answers after 60 ms): ${slow.latency_ms} ms`);
  t.true(fast.latency_ms! < slow.latency_ms!);
  t.is(silent.latency_ms, undefined, 'no answer: no latency');
  for (const g of [fast, slow, silent]) t.true(g.measured_at! >= since - 1 && g.measured_at! <= Math.floor(Date.now() / 1000), `${g.id} measured_at ${g.measured_at}`);
  const exit = (await list('exit')).gateways[0]!;
  t.is(exit.latency_ms, undefined);
  t.is(exit.measured_at, undefined);
  t.deepEqual((await list('entry', { country: 'DE' })).gateways.map((g) => [g.id, g.latency_ms]), [['gw-slow', slow.latency_ms]], 'filters keep the latency');

  // nym-vpnc shows the column: the round trip, "no answer".
  const cli = await bus.cli(['list-entry-gateways']);
  t.is(cli.code, 0, cli.stderr);
  t.regex(cli.stdout, new RegExp(`^gw-slow +DE +\\d+%  +${slow.latency_ms} ms  \\S`, 'm'));
  t.regex(cli.stdout, /^gw-silent +SE +\d+%  no answer  \S/m);
  t.deepEqual(JSON.parse((await bus.cli(['--json', 'list-entry-gateways'])).stdout), await list('entry'), '--json is the reply');

  await client.call('nym-vpn', 'disconnect', {}, 30_000);
  t.true(await waitFor(async () => (await client.call('nym-vpn', 'status'))?.state === 'disconnected', 30_000));
});

test.serial('after the probe: 500 more list calls send no SYN, and the latencies stay as measured', async (t) => {
  const before = await list('entry');
  const count = await totalSyns();
  t.true(count > 0);
  await hammer(500);
  // SYNs the kernel retransmits for a probe still open would count too: the probes are long over by now.
  t.is(await totalSyns(), count, 'listing never probes');
  t.deepEqual(await list('entry'), before);
});
