// Issue #11, points 8–11, against a real nym-vpnd on its bus:
//  8. a config that is empty, missing, truncated, a FIFO, a directory, a device or over 1 MiB is a bad edit:
//     the last good config stays (always_on, peers, DNS), config_error says why; only a first start without a
//     file runs on the defaults, and status says so;
//  9. replies and log lines stay bounded and single-line (a 3 MB value, 100,000 DNS entries, a newline);
// 10. one validation per value: what the firewall would refuse is refused at reload (interface names, DNS
//     with a zone, the MTU relation), and by connect's arguments;
// 11. stale temp files go at start; key files are kept 0600; the account store follows no symlink; a killed
//     daemon leaves no child process behind.
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { UbusClient } from '../../src/ubus/client.js';
import { Status } from '../../src/ubus/constants.js';
import { BusProcess, repoRoot, waitFor } from '../helpers/bus.js';

const shipped = readFileSync(join(repoRoot, 'files/etc/config/nym-vpn'), 'utf8');
/** The shipped config with always_on on and a static peer: what a bad edit must not take away. */
const good = shipped.replace("option always_on '0'", "option always_on '1'") + `
config peer
	option role 'entry'
	option gateway_id 'gw-own'
	option public_key 'Lr33lE21hBNW5fiU0CLrCDCdM/EBvL0/mHk5ZtjkdVo='
	option endpoint '203.0.113.9:51820'
	list address '10.9.0.2/32'
`;

async function daemonWith(text: string | null): Promise<{ bus: BusProcess; c: UbusClient; configPath: string; log: () => string; pid: number }> {
  const bus = new BusProcess();
  await bus.start();
  const configPath = join(bus.dir, 'etc/config/nym-vpn');
  mkdirSync(join(bus.dir, 'etc/config'), { recursive: true });
  if (text !== null) writeFileSync(configPath, text);
  const d = await bus.startDaemon(bus.dir, ['--log-level', 'debug']);
  const c = await UbusClient.connect({ socket: bus.socket, reconnect: false });
  return { bus, c, configPath, log: () => (d as unknown as { log: () => string }).log(), pid: d.pid! };
}

test('precondition: the good config carries always_on and a peer', (t) => {
  t.regex(good, /option always_on '1'/);
});

for (const [what, spoil] of [
  ['empty', (p: string) => writeFileSync(p, '')],
  ['missing', (p: string) => rmSync(p)],
  ['truncated (no main section)', (p: string) => writeFileSync(p, good.slice(good.indexOf('config gateway')))],
  ['a FIFO', (p: string) => { rmSync(p); execFileSync('mkfifo', [p]); }],
  ['a directory', (p: string) => { rmSync(p); mkdirSync(p); }],
  ['a device', (p: string) => { rmSync(p); symlinkSync('/dev/zero', p); }],
  ['over 1 MiB', (p: string) => writeFileSync(p, good + `# ${'x'.repeat(1 << 20)}\n`)],
] as const) {
  test(`a config that is ${what} is a bad edit: refused at reload, the last good one (always_on, peers, DNS) kept`, async (t) => {
    const { bus, c, configPath } = await daemonWith(good);
    t.teardown(async () => { c.close(); await bus.close(); });
    const before = await c.call('nym-vpn', 'gateways', { role: 'entry' });
    t.true(JSON.stringify(before).includes('gw-own'));
    spoil(configPath);
    const r = await c.call('nym-vpn', 'reload', {}, 10_000);
    t.is(r?.reloaded, false);
    const s = await c.call('nym-vpn', 'status');
    t.truthy(s?.config_error, 'status says why');
    t.log(`${what}: ${String(s?.config_error)}`);
    t.is(s?.config_defaults, undefined, 'still the good config, not the defaults');
    t.true(JSON.stringify(await c.call('nym-vpn', 'gateways', { role: 'entry' })).includes('gw-own'), 'the static peer is still there');
  });
}

test('only a first start without any file runs on the defaults, and status says so', async (t) => {
  const { bus, c } = await daemonWith(null);
  t.teardown(async () => { c.close(); await bus.close(); });
  const s = await c.call('nym-vpn', 'status');
  t.is(s?.config_defaults, true);
  t.is(s?.config_error, undefined);
});

test('a 3 MB bad value: config_error quotes a short excerpt, status stays small; 100,000 DNS entries are refused', async (t) => {
  const { bus, c, configPath } = await daemonWith(good);
  t.teardown(async () => { c.close(); await bus.close(); });
  writeFileSync(configPath, good.replace("option interface 'nym0'", `option interface '${'i'.repeat(3 << 20)}'`));
  const r = await c.call('nym-vpn', 'reload', {}, 10_000);
  t.is(r?.reloaded, false);
  let s = await c.call('nym-vpn', 'status');
  t.true(JSON.stringify(s).length < 4096, `status is ${JSON.stringify(s).length} bytes`);
  // Under the file bound, a 900 kB value is quoted as a short excerpt (once).
  writeFileSync(configPath, good.replace("option interface 'nym0'", `option interface '${'i'.repeat(900_000)}'`));
  t.is((await c.call('nym-vpn', 'reload', {}, 10_000))?.reloaded, false);
  s = await c.call('nym-vpn', 'status');
  t.true(JSON.stringify(s).length < 4096, `status is ${JSON.stringify(s).length} bytes`);
  t.regex(String(s?.config_error), /'i{64}… \(900000 characters\)'/);
  writeFileSync(configPath, good + `config nym-vpn 'extra'\n` + Array.from({ length: 100_000 }, (_, i) => `\tlist dns '10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}'\n`).join(''));
  // (Over 1 MiB, refused as a file; one under the bound but with too many entries is refused by the schema.)
  t.is((await c.call('nym-vpn', 'reload', {}, 10_000))?.reloaded, false);
  writeFileSync(configPath, good.replace("config nym-vpn 'main'", `config nym-vpn 'main'\n${Array.from({ length: 40 }, (_, i) => `\tlist dns '10.0.0.${i + 1}'`).join('\n')}`));
  const r2 = await c.call('nym-vpn', 'reload', {}, 10_000);
  t.is(r2?.reloaded, false);
  t.regex(String(r2?.error), /at most 8/);
});

test('a value with a newline or control characters cannot forge a log line', async (t) => {
  const { bus, c, configPath, log } = await daemonWith(good);
  t.teardown(async () => { c.close(); await bus.close(); });
  writeFileSync(configPath, good.replace("option interface 'nym0'", "option interface 'x\nerror: forged line\u001b[31m'"));
  await c.call('nym-vpn', 'reload', {}, 10_000);
  await waitFor(() => log().includes('config not reloaded'), 5000);
  t.false(log().split('\n').some((l) => l.startsWith('error: forged line')), log());
  t.regex(log(), /x\\nerror: forged line\\x1b\[31m/);
});

for (const [what, edit, field] of [
  ['an interface name with a quote', (g: string) => g.replace("option interface 'nym0'", 'option interface \'n"x\''), 'interface'],
  ['an interface name with a semicolon', (g: string) => g.replace("option interface 'nym0'", "option interface 'a;b'"), 'interface'],
  ['a DNS server with a zone', (g: string) => g.replace("list dns '1.1.1.1'", "list dns 'fe80::1%wan0'"), 'dns'],
  ['a multicast DNS server', (g: string) => g.replace("list dns '1.1.1.1'", "list dns '224.0.0.251'"), 'dns'],
  ['mtu 1400 with entry_mtu 1420', (g: string) => g.replace("option mtu '1340'", "option mtu '1400'"), 'mtu'],
] as const) {
  test(`reload refuses ${what} (the firewall would refuse it later)`, async (t) => {
    const { bus, c, configPath } = await daemonWith(good);
    t.teardown(async () => { c.close(); await bus.close(); });
    const text = edit(good);
    t.not(text, good, 'the edit applies');
    writeFileSync(configPath, text);
    const r = await c.call('nym-vpn', 'reload', {}, 10_000);
    t.is(r?.reloaded, false);
    t.regex(String(r?.error), new RegExp(`main\\.${field}`));
  });
}

test('connect refuses DNS servers with a zone or that are not unicast, naming the field', async (t) => {
  const { bus, c } = await daemonWith(good);
  t.teardown(async () => { c.close(); await bus.close(); });
  for (const dns of ['fe80::1%wan0', '0.0.0.0', 'ff02::1', '127.0.0.1']) {
    const e = await t.throwsAsync(c.call('nym-vpn', 'connect', { dns: [dns] }), { instanceOf: Error });
    t.is((e as unknown as { status: number }).status, Status.INVALID_ARGUMENT, dns);
  }
  t.is((await c.call('nym-vpn', 'status'))?.state, 'disconnected');
});

test('files: stale temp files go at start, key files are made private again, the account store follows no symlink', async (t) => {
  const bus = new BusProcess();
  await bus.start();
  t.teardown(() => bus.close());
  const state = join(bus.dir, 'etc/nym-vpn');
  const run = join(bus.dir, 'var/run/nym-vpn');
  mkdirSync(state, { recursive: true, mode: 0o700 });
  mkdirSync(run, { recursive: true });
  writeFileSync(join(state, '.account-mnemonic.json.0123456789ab.tmp'), 'half a secret');
  writeFileSync(join(run, '.attest.key.0123456789ab.tmp'), 'x');
  writeFileSync(join(state, 'wg-entry.key'), 'cHJpdmF0ZWtleXByaXZhdGVrZXlwcml2YXRla2V5MDA=\n', { mode: 0o644 });
  chmodSync(join(state, 'wg-entry.key'), 0o644);
  // A planted link where the mnemonic lives, pointing at a file that is not the daemon's.
  const victim = join(bus.dir, 'victim');
  writeFileSync(victim, 'not yours', { mode: 0o644 });
  chmodSync(victim, 0o644);
  symlinkSync(victim, join(state, 'account-mnemonic.json'));
  await bus.startDaemon();
  t.false(existsSync(join(state, '.account-mnemonic.json.0123456789ab.tmp')));
  t.false(existsSync(join(run, '.attest.key.0123456789ab.tmp')));
  const c = await UbusClient.connect({ socket: bus.socket, reconnect: false });
  t.teardown(() => c.close());
  const e = await t.throwsAsync(c.call('nym-vpn', 'account'));
  t.regex(JSON.stringify((e as unknown as { data?: unknown }).data ?? e!.message), /symbolic link|UNKNOWN|error/);
  t.is(statSync(victim).mode & 0o777, 0o644, 'the link\'s target was not chmodded');
  t.is(readFileSync(victim, 'utf8'), 'not yours');
  t.true(lstatSync(join(state, 'account-mnemonic.json')).isSymbolicLink());
  // Forget overwrites files before removing them: never a link's target.
  await c.call('nym-vpn', 'account_forget');
  t.is(readFileSync(victim, 'utf8'), 'not yours');
  // The key is read on connect once gateways are chosen (static peers here; no gateway answers): 0600 again.
  mkdirSync(join(bus.dir, 'etc/config'), { recursive: true });
  writeFileSync(join(bus.dir, 'etc/config/nym-vpn'), good + `
config peer
	option role 'exit'
	option gateway_id 'gw-own-exit'
	option public_key 'Lr33lE21hBNW5fiU0CLrCDCdM/EBvL0/mHk5ZtjkdVo='
	option endpoint '203.0.113.8:51820'
	list address '10.8.0.2/32'

config policy 'lan'
	list source '192.168.77.0/24'
`);
  const rl = await c.call('nym-vpn', 'reload', {}, 10_000);
  t.is(rl?.reloaded, true, JSON.stringify(rl));
  await c.call('nym-vpn', 'connect', { entry_id: 'gw-own', exit_id: 'gw-own-exit' }).catch(() => {});
  const ok = await waitFor(() => (statSync(join(state, 'wg-entry.key')).mode & 0o777) === 0o600, 10_000);
  t.true(ok, `the WireGuard key file is 0600 again; status: ${JSON.stringify(await c.call('nym-vpn', 'status'))}`);
  await c.call('nym-vpn', 'disconnect').catch(() => {});
});

test('a SIGKILLed daemon leaves no child behind (its `ip monitor` goes with it)', async (t) => {
  const bus = new BusProcess();
  await bus.start();
  t.teardown(() => bus.close());
  const d = await bus.startDaemon();
  const children = () => readdirSync('/proc').filter((p) => /^\d+$/.test(p)).filter((p) => {
    try {
      const st = readFileSync(`/proc/${p}/stat`, 'utf8');
      return Number(st.slice(st.lastIndexOf(')') + 2).split(' ')[1]) === d.pid;
    } catch {
      return false;
    }
  });
  t.true(await waitFor(() => children().length > 0, 5000), 'the daemon has its watcher');
  const shell = children()[0]!;
  const grandchildren = readdirSync('/proc').filter((p) => /^\d+$/.test(p)).filter((p) => {
    try {
      const st = readFileSync(`/proc/${p}/stat`, 'utf8');
      return st.slice(st.lastIndexOf(')') + 2).split(' ')[1] === shell;
    } catch {
      return false;
    }
  });
  const all = [shell, ...grandchildren];
  process.kill(d.pid!, 'SIGKILL');
  t.true(await waitFor(() => all.every((p) => !existsSync(`/proc/${p}`) || readFileSync(`/proc/${p}/stat`, 'utf8').includes(') Z ')), 10_000, 50),
    `left behind: ${all.filter((p) => existsSync(`/proc/${p}`)).join(' ')}`);
});
