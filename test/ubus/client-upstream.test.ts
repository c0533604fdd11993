// Our client and nym-vpnd against the REAL OpenWrt ubusd, ubus CLI and libubus example server, built
// from ../shared/openwrt's sources into build/openwrt-host (test/helpers/openwrt-build.ts), or from
// NYM_UPSTREAM_UBUS's prefix. Without ../shared they skip, saying why; they are the proof that we speak
// ubusd's protocol.
import anyTest, { type TestFn } from 'ava';
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bin, waitFor } from '../helpers/bus.js';
import { ubusExamples } from '../helpers/openwrt-build.js';
import { UbusClient } from '../../src/ubus/client.js';

const built = process.env.NYM_UPSTREAM_UBUS ? null : await ubusExamples();
const prefix = process.env.NYM_UPSTREAM_UBUS ?? (built && !('skip' in built) ? built.parts.prefix : '');
const have = prefix !== '' && existsSync(join(prefix, 'sbin/ubusd')) && existsSync(join(prefix, 'bin/ubus'));
const test = (have ? anyTest : anyTest.skip) as TestFn;
if (!have) anyTest('the real ubusd, ubus CLI and libubus example', (t) => { t.log(`skipped: ${built && 'skip' in built ? built.skip : `no ubus in ${prefix || 'NYM_UPSTREAM_UBUS'}`}`); t.pass(); });
const env = { ...process.env, LD_LIBRARY_PATH: join(prefix, 'lib') };

class RealBus {
  dir = mkdtempSync(join(tmpdir(), 'real-ubus-'));
  socket = join(this.dir, 'ubus.sock');
  procs: ChildProcess[] = [];
  ubusd: ChildProcess | null = null;
  async start() {
    this.ubusd = spawn(join(prefix, 'sbin/ubusd'), ['-s', this.socket], { env, stdio: 'ignore' });
    this.procs.push(this.ubusd);
    if (!await waitFor(() => existsSync(this.socket))) throw new Error('ubusd did not start');
  }
  async stopUbusd() {
    const p = this.ubusd!;
    await new Promise<void>((r) => { p.once('exit', () => r()); p.kill('SIGKILL'); });
    rmSync(this.socket, { force: true });
  }
  spawn(cmd: string, args: string[]) {
    const p = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.procs.push(p);
    return p;
  }
  ubus(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
      execFile(join(prefix, 'bin/ubus'), ['-s', this.socket, ...args], { env }, (err, stdout, stderr) => {
        resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
      });
    });
  }
  async daemon() {
    const d = this.spawn('unshare', ['--net', process.execPath, bin.daemon, '--socket', this.socket, '--root', this.dir]);
    if (!await waitFor(async () => (await this.ubus(['list', 'nym-vpn'])).code === 0, 10000)) throw new Error('nym-vpnd did not register on ubusd');
    return d;
  }
  close() {
    for (const p of this.procs) if (p.exitCode === null) p.kill('SIGKILL');
    rmSync(this.dir, { recursive: true, force: true });
  }
}

test('the real ubus CLI calls nym-vpnd on the real ubusd: list -v, call, errors with the field named', async (t) => {
  const bus = new RealBus();
  try {
    await bus.start();
    await bus.daemon();
    const list = await bus.ubus(['-v', 'list', 'nym-vpn']);
    t.regex(list.stdout, /"connect":\{"entry_id":"String","entry_country":"String","entry_random":"Boolean"/);
    const status = await bus.ubus(['call', 'nym-vpn', 'status']);
    t.is(status.code, 0);
    const parsed = JSON.parse(status.stdout);
    t.is(parsed.state, 'disconnected');
    t.is(parsed.kill_switch, true);
    const c = await UbusClient.connect({ socket: bus.socket, reconnect: false });
    t.deepEqual({ ...(await c.call('nym-vpn', 'status')), since: 0 }, { ...parsed, since: 0 }, 'our client reads the same reply');
    c.close();
    const bad = await bus.ubus(['call', 'nym-vpn', 'connect', '{"entry_random":1}']);
    t.is(bad.code, 254, 'INVALID_ARGUMENT as the real CLI reports it (256 - 2)');
    t.regex(bad.stdout, /"field": "entry_random"/);
    const missing = await bus.ubus(['call', 'nym-vpn', 'nosuch']);
    t.is(missing.code, 253);
  } finally { bus.close(); }
});

test('state pushes reach the real `ubus subscribe` and `ubus listen`', async (t) => {
  const bus = new RealBus();
  try {
    await bus.start();
    const owner = await UbusClient.connect({ socket: bus.socket, reconnect: false });
    const obj = await owner.addObject('nym-vpn-test', { status: { args: [], handler: () => ({ state: 'x' }) } });
    const sub = bus.spawn(join(prefix, 'bin/ubus'), ['-s', bus.socket, 'subscribe', 'nym-vpn-test']);
    const lis = bus.spawn(join(prefix, 'bin/ubus'), ['-s', bus.socket, 'listen', 'nym-vpn.state']);
    let subOut = '';
    let lisOut = '';
    sub.stdout!.on('data', (b: Buffer) => { subOut += b.toString(); });
    lis.stdout!.on('data', (b: Buffer) => { lisOut += b.toString(); });
    t.true(await waitFor(() => obj.hasSubscribers, 5000), 'ubusd told us we have a subscriber');
    await new Promise((r) => setTimeout(r, 200)); // let `ubus listen` register its pattern
    obj.notify('state', { state: 'connecting', retry_attempt: 0 });
    await owner.sendEvent('nym-vpn.state', { state: 'connecting' });
    t.true(await waitFor(() => subOut.includes('"state":"connecting"') && lisOut.includes('"nym-vpn.state"'), 5000));
    t.regex(subOut, /\{ "state": \{"state":"connecting","retry_attempt":0\} \}/);
    t.regex(lisOut, /\{ "nym-vpn.state": \{"state":"connecting"\} \}/);
    sub.kill('SIGKILL');
    t.true(await waitFor(() => !obj.hasSubscribers, 5000), 'and that it left');
    owner.close();
  } finally { bus.close(); }
});

test('our client calls a libubus object (the example server) and follows ubusd through a restart', async (t) => {
  const bus = new RealBus();
  try {
    await bus.start();
    const server = bus.spawn(join(prefix, 'libexec/ubus-examples/server'), ['-s', bus.socket]);
    t.truthy(server.pid);
    const c = await UbusClient.connect({ socket: bus.socket });
    t.true(await waitFor(async () => (await c.lookup('test')).length === 1, 5000));
    t.deepEqual(await c.call('test', 'hello', { id: 1, msg: 'hi' }), { message: 'test received a message: hi' });
    await c.addObject('ours', { ping: { args: [], handler: () => ({ pong: true }) } });
    let reconnected = false;
    c.on('reconnect', () => { reconnected = true; });
    await bus.stopUbusd();
    await bus.start();
    t.true(await waitFor(() => reconnected, 10000));
    const viaCli = await bus.ubus(['call', 'ours', 'ping']);
    t.is(viaCli.code, 0);
    t.deepEqual(JSON.parse(viaCli.stdout), { pong: true });
    c.close();
  } finally { bus.close(); }
});
