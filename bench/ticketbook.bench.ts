// zk-nym ticketbooks, obtained the way the router obtains them:
//   1. the acquirer alone (this process) against the lab vpn-api with 2-of-3 lab signers, polling every
//      100 ms instead of upstream's 5 s: the time to obtain one ticketbook (WASM request → API → signers →
//      unblind → both signature sets verified → stored), median and spread of N;
//   2. the real nym-vpnd on its bus, with the init script's node flags, in a network namespace of its own with the lab API beside it: the
//      account stored, then the time until its three ticketbooks are on disk (upstream's 5 s polling
//      included), and the daemon's resident memory idle, at its peak while the WASM workers run, and once
//      they have ended.
// Run: node scripts/bench.mjs ticketbook   (N from BENCH_TICKETBOOKS, default 5)
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AccountKey } from '../src/account/account-key.js';
import { DeviceKeys } from '../src/account/device-keys.js';
import { Mnemonic } from '../src/account/mnemonic.js';
import { UbusClient } from '../src/ubus/client.js';
import { VpnApiClient } from '../src/vpn-api/client.js';
import { TicketbookAcquirer } from '../src/zk-nym/ticketbook-acquirer.js';
import { TicketbookStore } from '../src/zk-nym/ticketbook-store.js';
import { LAB_ACCOUNT_ADDRESS, LAB_ACCOUNT_MNEMONIC } from '../tools/lab/addresses.js';
import { LabIssuers } from '../tools/lab/ecash/issuers.js';
import { DAEMON_NODE_FLAGS } from '../tools/lab/router.js';
import { LabVpnApi } from '../tools/lab/vpn-api/server.js';
import { anonRssMb, rssMb } from './measure.js';

const N = Number(process.env.BENCH_TICKETBOOKS ?? 5);
const dist = fileURLToPath(new URL('../', import.meta.url));
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function acquirerAlone(): Promise<void> {
  const lab = LabIssuers.create({ threshold: 2, count: 3 });
  const api = new LabVpnApi({ issuer: lab.vpnApiIssuer(), partialVerificationKeys: () => lab.partialVerificationKeys() });
  const url = await api.start();
  const account = AccountKey.fromMnemonic(Mnemonic.parse(LAB_ACCOUNT_MNEMONIC));
  const device = DeviceKeys.fromSecret(new Uint8Array(32).fill(5));
  api.addAccount(account.address).devices.set(device.identity, { status: 'active', createdMs: 0 });
  const times: number[] = [];
  try {
    for (let i = 0; i < N; i++) {
      const dir = mkdtempSync(join(tmpdir(), 'nym-bench-tb-'));
      const store = new TicketbookStore(dir);
      // Two types already stocked, so each round obtains exactly one book (v1-wireguard-entry).
      const far = new Date(Date.now() + 6 * 86_400_000).toISOString().slice(0, 10);
      await store.add({ type: 'v1-mixnet-entry', data: new Uint8Array([1, i]), revision: 1, expirationDate: far, epochId: 1, total: 50 });
      await store.add({ type: 'v1-wireguard-exit', data: new Uint8Array([2, i]), revision: 1, expirationDate: far, epochId: 1, total: 50 });
      const acquirer = new TicketbookAcquirer({
        store, account, device, client: () => new VpnApiClient({ baseUrl: url }), now: Date.now,
        sleep: (ms) => sleep(ms), log: { info: () => {}, warn: (m) => console.error(m) }, pollIntervalMs: 100,
      });
      const started = performance.now();
      const out = await acquirer.acquire(new AbortController().signal);
      if (out.length !== 1 || !out[0]!.ok) throw new Error(`round ${i}: ${JSON.stringify(out)}`);
      times.push(performance.now() - started);
      rmSync(dir, { recursive: true, force: true });
    }
  } finally {
    await api.stop();
  }
  const s = [...times].sort((a, b) => a - b);
  console.log(`one ticketbook (acquirer, 100 ms polls), median of ${N}  ${median(times).toFixed(0)} ms (min ${s[0]!.toFixed(0)}, max ${s[s.length - 1]!.toFixed(0)})`);
}

async function inTheDaemon(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'nym-bench-tbd-'));
  const socket = join(dir, 'ubus.sock');
  mkdirSync(join(dir, 'etc/config'), { recursive: true });
  writeFileSync(join(dir, 'etc/config/nym-vpn'), "config nym-vpn 'main'\n\toption api_url 'http://127.0.0.1:8080/api'\n");
  const accounts = join(dir, 'accounts.json');
  writeFileSync(accounts, JSON.stringify([{ address: LAB_ACCOUNT_ADDRESS }]));
  const gateways = join(dir, 'gateways.json');
  writeFileSync(gateways, '[]');
  const broker = spawn(process.execPath, [join(dist, 'tools/ubusd/broker-main.js'), '-s', socket], { stdio: 'ignore' });
  let client: UbusClient | undefined;
  let ns: ReturnType<typeof spawn> | undefined;
  try {
    for (let i = 0; ; i++) {
      try { client = await UbusClient.connect({ socket, reconnect: false }); break; } catch { if (i > 100) throw new Error('no bus'); await sleep(50); }
    }
    // The lab API and the daemon share one fresh network namespace (only its loopback), so nothing reaches
    // this machine's network and the daemon's firewall rules stay inside it.
    const script = `ip link set lo up && ${process.execPath} ${join(dist, 'tools/lab/directory-server.js')} --listen 127.0.0.1:8080 --gateways ${gateways} --base-path /api --accounts ${accounts} --signers 2/3 >/dev/null & exec ${process.execPath} ${DAEMON_NODE_FLAGS.join(' ')} ${join(dist, 'src/daemon/main.js')} --socket ${socket} --root ${dir}`;
    ns = spawn('unshare', ['--net', 'sh', '-c', script], { stdio: ['ignore', 'ignore', 'inherit'], detached: true });
    for (let i = 0; (await client.lookup('nym-vpn')).length === 0; i++) {
      if (i > 400) throw new Error('nym-vpnd did not register');
      await sleep(50);
    }
    const pid = ns.pid!; // sh exec'd into node: the daemon itself
    await sleep(2000);
    const idle = rssMb(pid);
    const idleAnon = anonRssMb(pid);
    const started = performance.now();
    await client.call('nym-vpn', 'account_set', { mnemonic: LAB_ACCOUNT_MNEMONIC });
    let peak = idle;
    let stocked = 0;
    for (;;) {
      peak = Math.max(peak, rssMb(pid));
      const reply = (await client.call('nym-vpn', 'account')) as { tickets?: Record<string, number> } | undefined;
      const t = reply?.tickets ?? {};
      if (t['v1-mixnet-entry'] === 50 && t['v1-wireguard-entry'] === 50 && t['v1-wireguard-exit'] === 50) { stocked = performance.now() - started; break; }
      if (performance.now() - started > 180_000) throw new Error(`no ticketbooks after 180 s: ${JSON.stringify(t)}`);
      await sleep(100);
    }
    await sleep(5000);
    const after = rssMb(pid);
    const afterAnon = anonRssMb(pid);
    console.log(`nym-vpnd: account stored → 3 ticketbooks on disk  ${(stocked / 1000).toFixed(1)} s (one after another, upstream's 5 s polling included)`);
    console.log(`nym-vpnd RSS idle / peak with the WASM workers / 5 s after  ${idle.toFixed(1)} / ${peak.toFixed(1)} / ${after.toFixed(1)} MB (anonymous, idle / after: ${idleAnon.toFixed(1)} / ${afterAnon.toFixed(1)})`);
  } finally {
    client?.close();
    if (ns) {
      const exited = new Promise((r) => ns!.once('exit', r));
      process.kill(-ns.pid!, 'SIGTERM'); // the daemon and the lab API beside it
      await exited;
    }
    broker.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  await acquirerAlone();
  await inTheDaemon();
}

main().then(() => process.exit(0), (e: Error) => {
  console.error(e.message);
  process.exit(1);
});
