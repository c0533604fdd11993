// nym-vpnd and /etc/config/nym-vpn: a bad file never replaces a good config; status and the log
// say why; a good reload says what changed.
import test from 'ava';
import { copyFileSync, mkdirSync, writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BusProcess, repoRoot } from '../helpers/bus.js';
import { UbusClient } from '../../src/ubus/client.js';

const shipped = join(repoRoot, 'files/etc/config/nym-vpn');

async function withDaemon(configText: string | null, body: (c: UbusClient, bus: BusProcess, configPath: string) => Promise<void>) {
  const bus = new BusProcess();
  await bus.start();
  const configPath = join(bus.dir, 'etc/config/nym-vpn');
  mkdirSync(join(bus.dir, 'etc/config'), { recursive: true });
  if (configText !== null) writeFileSync(configPath, configText);
  await bus.startDaemon();
  const c = await UbusClient.connect({ socket: bus.socket, reconnect: false });
  try { await body(c, bus, configPath); } finally { c.close(); await bus.close(); }
}

test('the shipped config is read: DNS and interface show in status', async (t) => {
  const text = readFileSync(shipped, 'utf8').replace("option interface 'nym0'", "option interface 'vpn7'").replace("list dns '1.0.0.1'\n", '');
  await withDaemon(text, async (c) => {
    const s = await c.call('nym-vpn', 'status');
    t.is(s?.interface, 'vpn7');
    t.deepEqual(s?.dns, ['1.1.1.1', '2606:4700:4700::1111', '2606:4700:4700::1001']);
    t.is(s?.config_error, undefined);
  });
});

test('a bad file at start: the defaults run and status says why', async (t) => {
  await withDaemon("config nym-vpn 'main'\n\toption mtu '9000'\n", async (c) => {
    const s = await c.call('nym-vpn', 'status');
    t.is(s?.interface, 'nym0');
    t.regex(String(s?.config_error), /nym-vpn\.main\.mtu: '9000' is not an integer between 1280 and 1500/);
  });
});

test('reload: a bad edit keeps the last good config; a good one applies and names what changed', async (t) => {
  await withDaemon(null, async (c, bus, configPath) => {
    copyFileSync(shipped, configPath);
    t.deepEqual(await c.call('nym-vpn', 'reload'), { reloaded: true, changed: [], reconnect: false });

    writeFileSync(configPath, readFileSync(shipped, 'utf8').replace("option kill_switch '1'", "option kill_switch 'maybe'"));
    const bad = await c.call('nym-vpn', 'reload');
    t.is(bad?.reloaded, false);
    t.regex(String(bad?.error), /nym-vpn\.main\.kill_switch: 'maybe'/);
    const during = await c.call('nym-vpn', 'status');
    t.is(during?.kill_switch, true, 'still the last good value');
    t.regex(String(during?.config_error), /kill_switch/);

    writeFileSync(configPath, readFileSync(shipped, 'utf8').replace("list dns '1.0.0.1'", "list dns '9.9.9.9'").replace("option select 'random'", "option select 'country'\n\toption country 'ch'"));
    const good = await c.call('nym-vpn', 'reload');
    t.deepEqual(good, { reloaded: true, changed: ['main.dns', 'exit.select', 'exit.country'], reconnect: false });
    const after = await c.call('nym-vpn', 'status');
    t.is(after?.config_error, undefined);
    t.true((after?.dns as string[]).includes('9.9.9.9'));
    const cli = await bus.cli(['reload']);
    t.regex(cli.stdout, /config reloaded, nothing changed/);
  });
});
