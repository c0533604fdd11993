// Every nym-vpnc command against a running nym-vpnd on a real bus: the text a user reads, the
// exit codes a script reads, and that the CLI and `ubus call` get the same answers.
import test from 'ava';
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { BusProcess, bin, waitFor } from '../helpers/bus.js';
import { UbusClient, UbusError } from '../../src/ubus/client.js';
import { Status } from '../../src/ubus/constants.js';
import { loadSchema, checkValue } from '../../src/ubus/schema.js';
import { repoRoot } from '../helpers/bus.js';

const schema = loadSchema(resolve(repoRoot, 'ubus-schema/nym-vpn.json'));

let bus: BusProcess;
let client: UbusClient;
test.before(async () => {
  bus = new BusProcess();
  await bus.start();
  await bus.startDaemon();
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
  t.regex(text.stdout, /^Kill switch: +on$/m);
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

test('methods whose machinery is not built answer NOT_SUPPORTED (8) saying what is missing', async (t) => {
  for (const args of [['list-entry-gateways'], ['list-exit-countries'], ['get-account-id'], ['is-account-stored'], ['forget-account']]) {
    const r = await bus.cli(args);
    t.is(r.code, Status.NOT_SUPPORTED, args.join(' '));
    t.regex(r.stderr, /is not built yet .*\[NOT_SUPPORTED: Operation not supported\]/, args.join(' '));
  }
});

test('store-account reads the mnemonic from stdin, never from argv', async (t) => {
  const r = await bus.cli(['store-account'], 'word '.repeat(12));
  t.is(r.code, Status.NOT_SUPPORTED);
  const argv = await bus.cli(['store-account', '--mnemonic', 'a b c']);
  t.is(argv.code, 64, 'there is no --mnemonic option');
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
