// nym-vpnd on the bus: `status` calls per second through nym-ubusd (our client, 1 and 8 callers in
// parallel, each waiting for its answer), and the daemon's resident memory at idle.
// Run: node scripts/bench.mjs daemon
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UbusClient } from '../src/ubus/client.js';
import { rssMb } from './measure.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 2);
const dist = fileURLToPath(new URL('../src/', import.meta.url));

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'nym-bench-'));
  const socket = join(dir, 'ubus.sock');
  const broker = spawn(process.execPath, [join(dist, '../tools/ubusd/broker-main.js'), '-s', socket], { stdio: 'ignore' });
  let daemon: ReturnType<typeof spawn> | undefined;
  try {
    for (let i = 0; ; i++) {
      try { (await UbusClient.connect({ socket, reconnect: false })).close(); break; } catch { if (i > 100) throw new Error('no bus'); await new Promise((r) => setTimeout(r, 50)); }
    }
    daemon = spawn('unshare', ['--net', process.execPath, join(dist, 'daemon/main.js'), '--socket', socket, '--root', dir], { stdio: 'ignore' });
    const probe = await UbusClient.connect({ socket, reconnect: false });
    for (let i = 0; (await probe.lookup('nym-vpn')).length === 0; i++) {
      if (i > 200) throw new Error('nym-vpnd did not register');
      await new Promise((r) => setTimeout(r, 50));
    }
    probe.close();
    await new Promise((r) => setTimeout(r, 2000)); // settle: what a router sees between calls
    console.log(`nym-vpnd RSS at idle: ${rssMb(daemon.pid!).toFixed(1)} MB`);
    for (const callers of [1, 8]) {
      const clients = await Promise.all(Array.from({ length: callers }, () => UbusClient.connect({ socket, reconnect: false })));
      const id = await clients[0]!.lookupId('nym-vpn');
      let calls = 0;
      const end = Date.now() + SECONDS * 1000;
      await Promise.all(clients.map(async (c) => {
        while (Date.now() < end) {
          await c.invoke(id, 'status');
          calls++;
        }
      }));
      console.log(`status through nym-ubusd, ${callers} caller${callers > 1 ? 's' : ''}: ${Math.round(calls / SECONDS)} calls/s`);
      for (const c of clients) c.close();
    }
    console.log(`nym-vpnd RSS after the calls: ${rssMb(daemon.pid!).toFixed(1)} MB`);
  } finally {
    daemon?.kill('SIGTERM');
    broker.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 300));
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e: Error) => { console.error(e.stack ?? e.message); process.exit(1); });
