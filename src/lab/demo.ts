#!/usr/bin/env node
// `make demo`: the stack on this machine. For now (before the two-hop lab exists) it starts a bus
// (nym-ubusd) and nym-vpnd in a scratch root and shows `nym-vpnc status`. `--check` does the same
// without waiting for Ctrl-C and exits non-zero if anything did not work.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UbusClient } from '../ubus/client.js';

const dist = fileURLToPath(new URL('..', import.meta.url));
const bin = {
  broker: join(dist, 'ubus/broker-main.js'),
  daemon: join(dist, 'daemon/main.js'),
  cli: join(dist, 'cli/main.js'),
};

const check = process.argv.includes('--check');
const root = mkdtempSync(join(tmpdir(), 'nym-vpn-demo-'));
const socket = join(root, 'ubus.sock');
const children: ChildProcess[] = [];

function start(name: string, args: string[]): ChildProcess {
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'inherit', 'pipe'] });
  child.stderr!.on('data', (d: Buffer) => process.stderr.write(d.toString().replace(/^(?=.)/gm, `[${name}] `)));
  children.push(child);
  return child;
}

function teardown(): void {
  for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
  rmSync(root, { recursive: true, force: true });
}

async function waitFor(what: () => Promise<boolean>, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await what().catch(() => false)) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

async function main(): Promise<number> {
  console.log(`nym-vpn demo in ${root}`);
  start('nym-ubusd', [bin.broker, '--socket', socket]);
  const busUp = await waitFor(async () => { (await UbusClient.connect({ socket, reconnect: false })).close(); return true; }, 5000);
  if (!busUp) { console.error('the bus did not start'); return 1; }
  start('nym-vpnd', [bin.daemon, '--socket', socket, '--root', root]);
  const daemonUp = await waitFor(async () => {
    const c = await UbusClient.connect({ socket, reconnect: false });
    try { return (await c.lookup('nym-vpn')).length === 1; } finally { c.close(); }
  }, 10000);
  if (!daemonUp) { console.error('nym-vpnd did not register on the bus'); return 1; }

  console.log(`\n$ nym-vpnc --socket ${socket} status`);
  const status = spawnSync(process.execPath, [bin.cli, '--socket', socket, 'status'], { stdio: 'inherit' });
  if (status.status !== 0) return 1;
  console.log(`\n$ nym-vpnc --socket ${socket} info`);
  spawnSync(process.execPath, [bin.cli, '--socket', socket, 'info'], { stdio: 'inherit' });
  if (check) return 0;
  console.log('\nThe bus and nym-vpnd keep running; try the commands above. Ctrl-C stops everything.');
  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  return 0;
}

main().then(
  (code) => { teardown(); process.exit(code); },
  (e: Error) => { console.error(e.message); teardown(); process.exit(1); },
);
