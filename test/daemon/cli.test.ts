// Every nym-vpnc command against a running nym-vpnd on a real bus: the text a user reads, the
// exit codes a script reads, and that the CLI and `ubus call` get the same answers.
import test from 'ava';
import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { mkdirSync, writeFileSync, readdirSync, statSync } from 'node:fs';
import { BusProcess, bin, waitFor } from '../helpers/bus.js';
import { UbusClient, UbusError } from '../../src/ubus/client.js';
import { Status } from '../../src/ubus/constants.js';
import { loadSchema, checkValue } from '../../src/ubus/schema.js';
import { repoRoot } from '../helpers/bus.js';
import { TicketbookStore } from '../../src/zk-nym/ticketbook-store.js';

const schema = loadSchema(resolve(repoRoot, 'ubus-schema/nym-vpn.json'));

let bus: BusProcess;
let client: UbusClient;
let daemon: import('node:child_process').ChildProcess & { log?: () => string };
const UPSTREAM_MNEMONIC = 'range mystery picture decline olympic acoustic lesson quick rebuild panda royal fold start leader egg hammer width olympic worry length crawl couch link mobile';
test.before(async () => {
  bus = new BusProcess();
  await bus.start();
  // No directory here: a closed local port answers at once instead of the real API.
  mkdirSync(join(bus.dir, 'etc/config'), { recursive: true });
  writeFileSync(join(bus.dir, 'etc/config/nym-vpn'), "config nym-vpn 'main'\n\toption api_url 'http://127.0.0.1:9/api'\n");
  daemon = await bus.startDaemon();
  client = await UbusClient.connect({ socket: bus.socket, reconnect: false });
});
test.after.always(async () => {
  client?.close();
  await bus?.close();
});

test('status: readable text, and --json is the ubus reply unchanged', async (t) => {
  const text = await bus.cli(['status']);
  t.is(text.code, 0);
  t.regex(text.stdout, /^State: +disconnected$/m);
  t.regex(text.stdout, /^Kill switch: +on \(lifted while disconnected\)$/m);
  t.regex(text.stdout, /^Interface: +nym0$/m);
  const json = await bus.cli(['--json', 'status']);
  const fromCli = JSON.parse(json.stdout);
  const fromUbus = await client.call('nym-vpn', 'status');
  t.deepEqual(fromCli, fromUbus);
  t.is(checkValue(schema.methods.status!.reply, fromUbus), null, 'the reply has the schema\'s shape');
  t.regex(json.stdout, /^\t"state": "disconnected",$/m, 'indented with tabs like `ubus call`');
});

test('info answers for real', async (t) => {
  const r = await bus.cli(['--json', 'info']);
  t.is(r.code, 0);
  const info = JSON.parse(r.stdout);
  t.is(info.node, process.versions.node);
  t.is(info.version, '0.1.0');
  t.true(info.uptime >= 0);
  t.is(checkValue(schema.methods.info!.reply, info), null);
  t.regex((await bus.cli(['info'])).stdout, /^Version: +0\.1\.0$/m);
});

test('disconnect while disconnected is a no-op returning the status', async (t) => {
  const r = await bus.cli(['--json', 'disconnect']);
  t.is(r.code, 0);
  t.is(JSON.parse(r.stdout).state, 'disconnected');
});

test('reload re-reads the config and says what changed', async (t) => {
  const r = await bus.cli(['reload']);
  t.is(r.code, 0);
  t.regex(r.stdout, /config reloaded/);
});

test('bad arguments: the daemon names the field, the CLI exits with INVALID_ARGUMENT (2)', async (t) => {
  const r = await bus.cli(['connect', '--entry-gateway-country', 'Germany']);
  t.is(r.code, Status.INVALID_ARGUMENT);
  t.regex(r.stderr, /entry_country: 'Germany' is not a two-letter ISO 3166 country code \[INVALID_ARGUMENT/);
  const both = await bus.cli(['connect', '--entry-gateway-country', 'DE', '--entry-gateway-random']);
  t.is(both.code, Status.INVALID_ARGUMENT);
  t.regex(both.stderr, /entry_random: cannot be combined with entry_country/);
  const viaUbus = await t.throwsAsync(client.call('nym-vpn', 'connect', { entry_country: 'Germany' }), { instanceOf: UbusError });
  t.is(viaUbus!.status, Status.INVALID_ARGUMENT);
  t.is(viaUbus!.data?.field, 'entry_country');
});

test('gateways and countries: with no directory and no static peers, empty lists (not errors)', async (t) => {
  const g = await bus.cli(['--json', 'list-entry-gateways']);
  t.is(g.code, 0, g.stderr);
  t.deepEqual(JSON.parse(g.stdout), { gateways: [], cached: false });
  const c = await bus.cli(['list-exit-countries']);
  t.is(c.code, 0);
  t.is(c.stdout, 'no countries\n');
  const bad = await bus.cli(['list-entry-gateways', '--country', 'Atlantis']);
  t.is(bad.code, Status.INVALID_ARGUMENT);
});

test.serial('connect with nothing to connect to ends in Error with a reason, kill switch still reported', async (t) => {
  const r = await bus.cli(['--json', 'connect', '--wait-until-connected', '--timeout', '10']);
  t.is(r.code, 0);
  const s = JSON.parse(r.stdout);
  t.is(s.state, 'error');
  t.truthy(s.error.reason);
  t.true(s.kill_switch);
  t.regex((await bus.cli(['disconnect'])).stdout, /State: +disconnected/);
});

test.serial('account: refused mnemonics change nothing; upstream\'s vector gives upstream\'s id; forget', async (t) => {
  t.is((await bus.cli(['is-account-stored'])).stdout, 'false\n');
  const bad = await bus.cli(['store-account'], 'range mystery picture decline olympic acoustic lesson quick rebuild panda royal fold start leader egg hammer width olympic worry length crawl couch link link');
  t.is(bad.code, Status.INVALID_ARGUMENT);
  t.regex(bad.stderr, /mnemonic: /);
  t.notRegex(bad.stderr, /mystery|olympic/, 'the words are never echoed');
  t.is((await bus.cli(['is-account-stored'])).stdout, 'false\n', 'nothing was stored');
  const ok = await bus.cli(['store-account'], UPSTREAM_MNEMONIC + '\n');
  t.is(ok.code, 0, ok.stderr);
  t.is(ok.stdout, 'n1sslaag27wfydyrvyua72hg5e0vteglxrs8nw3c\n');
  t.is((await bus.cli(['get-account-id'])).stdout, 'n1sslaag27wfydyrvyua72hg5e0vteglxrs8nw3c\n');
  const info = JSON.parse((await bus.cli(['--json', 'get-account-id'])).stdout);
  t.is(info.stored, true);
  t.truthy(info.device_id);
  t.is((await bus.cli(['get-device-id'])).stdout, `${String(info.device_id)}\n`);
  // The API is a closed port here: the sync fails, says why, and the account stays stored.
  const refreshed = await bus.cli(['refresh-account-state']);
  t.is(refreshed.code, 0, refreshed.stderr);
  t.regex(refreshed.stdout, /^Account: +n1sslaag27wfydyrvyua72hg5e0vteglxrs8nw3c$/m);
  t.regex(refreshed.stdout, /^Ready: +not yet synced with nym-vpn-api$/m);
  t.regex(refreshed.stdout, /^Last sync: +\d{4}-\d\d-\d\d .*, failed: \S/m);
  t.regex(refreshed.stdout, /^Tickets: +wireguard-entry 0, wireguard-exit 0, mixnet-entry 0, mixnet-exit 0$/m);
  // A ticketbook in the store shows in the count; one expiring today does not (upstream's has_expired).
  const books = new TicketbookStore(join(bus.dir, 'etc/nym-vpn'));
  const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
  await books.add({ type: 'v1-wireguard-exit', data: new Uint8Array(64).fill(1), revision: 1, expirationDate: day(7), epochId: 1, total: 50 });
  await books.add({ type: 'v1-wireguard-exit', data: new Uint8Array(64).fill(2), revision: 1, expirationDate: day(0), epochId: 1, total: 50 });
  t.regex((await bus.cli(['get-account-state'])).stdout, /^Tickets: +wireguard-entry 0, wireguard-exit 50, mixnet-entry 0, mixnet-exit 0$/m);
  const state = JSON.parse((await bus.cli(['--json', 'get-account-state'])).stdout);
  t.is(checkValue(schema.methods.account!.reply, state), null, 'the reply has the schema\'s shape');
  t.like(state, { stored: true, ready_to_connect: 'account_not_synced', device_id: info.device_id });
  t.is(typeof state.last_sync_error, 'string');
  const stateDir = join(bus.dir, 'etc/nym-vpn');
  for (const f of readdirSync(stateDir)) {
    if (statSync(join(stateDir, f)).isFile()) t.is(statSync(join(stateDir, f)).mode & 0o777, 0o600, f);
  }
  t.is(statSync(stateDir).mode & 0o777, 0o700);
  t.is((await bus.cli(['forget-account'])).code, 0);
  t.is((await bus.cli(['is-account-stored'])).stdout, 'false\n');
  t.is((await bus.cli(['get-account-state'])).stdout, 'no account stored\n');
  t.deepEqual((await books.list()).books, [], 'the ticketbooks went with the account, as upstream');
  // Nothing the daemon said, and no reply, ever held the words.
  t.notRegex(daemon.log?.() ?? '', /mystery|olympic|crawl/);
});

test('usage errors exit 64 with a clear message; help comes from the schema', async (t) => {
  const unknown = await bus.cli(['conect']);
  t.is(unknown.code, 64);
  t.regex(unknown.stderr, /unknown command 'conect'/);
  const badOpt = await bus.cli(['status', '--verbose']);
  t.is(badOpt.code, 64);
  const help = await bus.cli(['connect', '--help']);
  t.is(help.code, 0);
  t.regex(help.stdout, /--entry-gateway-country CC +entry gateway in this country/);
  t.regex(help.stdout, /Calls: ubus call nym-vpn connect/);
  const top = await bus.cli(['--help']);
  t.regex(top.stdout, /list-exit-countries +List the countries with exit gateways/);
  const noInt = await bus.cli(['connect', '--timeout', 'soon']);
  t.is(noInt.code, 64);
});

test('the extra ubus_rpc_session that uhttpd adds is accepted', async (t) => {
  const s = await client.call('nym-vpn', 'status', { ubus_rpc_session: '0123456789abcdef0123456789abcdef' });
  t.is(s?.state, 'disconnected');
});

test('no daemon: NOT_FOUND (4) with a hint; no bus: CONNECTION_FAILED (10)', async (t) => {
  const empty = new BusProcess();
  await empty.start();
  try {
    const r = await empty.cli(['status']);
    t.is(r.code, Status.NOT_FOUND);
    t.regex(r.stderr, /is nym-vpnd running\?/);
  } finally {
    await empty.close();
  }
  const none = await empty.cli(['status']);
  t.is(none.code, Status.CONNECTION_FAILED);
  t.regex(none.stderr, /Failed to connect to ubus/);
});

test('listen-to-state-changes prints the status, then follows the daemon through a restart', async (t) => {
  const own = new BusProcess();
  await own.start();
  const daemon = await own.startDaemon();
  const l = spawn(process.execPath, [bin.cli, '--socket', own.socket, '--json', 'listen-to-state-changes']);
  let out = '';
  let err = '';
  l.stdout.on('data', (b: Buffer) => { out += b.toString(); });
  l.stderr.on('data', (b: Buffer) => { err += b.toString(); });
  try {
    t.true(await waitFor(() => out.includes('"state":"disconnected"'), 5000));
    daemon.kill('SIGKILL');
    t.true(await waitFor(() => err.includes('nym-vpnd went away'), 5000));
    t.is(l.exitCode, null, 'still listening');
  } finally {
    l.kill('SIGINT');
    await own.close();
  }
});
