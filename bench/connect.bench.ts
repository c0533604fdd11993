// Connect time with registration over the mixnet next to static peers (issue #13), and the daemon's memory
// with and without the mixnet client loaded. Connect time is the `connect` call until a LAN ping gets through
// both hops (the call answers once the first probe got through; the ping confirms the path from the LAN).
// Static: uci `config peer` sections, no registration at all. Mixnet: upstream's nym-client-wasm in a worker,
// started for the attempt, both hops registered through the lab Nym gateways (the first connect pays a ticket
// per hop; later ones find their key known and are registered at once), the worker ended before the tunnel.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildLab, type NymLab } from '../tools/lab/topology.js';
import { ADDR, LAB_ACCOUNT_MNEMONIC } from '../tools/lab/addresses.js';
import { fastMonitor, nymvpnc } from '../tools/lab/control.js';
import { rssMb, median } from './measure.js';

const ROUNDS = Number(process.env.CONNECT_ROUNDS ?? 5);
const spread = (xs: number[]) => `${median(xs).toFixed(0)} ms (range ${Math.min(...xs).toFixed(0)}–${Math.max(...xs).toFixed(0)}, n=${xs.length})`;

/** The daemon's child processes (the mixnet client while it lives). */
function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

async function connectOnce(lab: NymLab, args: string[] = []): Promise<number> {
  const t0 = Date.now();
  const c = await nymvpnc(lab, ['connect', ...args, '--wait-until-connected', '--timeout', '90']);
  if (!/State: +connected/.test(c.stdout)) throw new Error(`connect failed: ${c.stdout}${c.stderr}`);
  while (!(await lab.ping('lan', ADDR.inetWeb.v4, 1)));
  const ms = Date.now() - t0;
  await nymvpnc(lab, ['disconnect']);
  return ms;
}

async function daemonPid(lab: NymLab): Promise<number> {
  return Number(JSON.parse((await nymvpnc(lab, ['--json', 'info'])).stdout).pid);
}

async function staticSide(): Promise<number[]> {
  const lab = await buildLab({ prefix: 'bcs', editConfig: fastMonitor });
  try {
    const times: number[] = [];
    for (let i = 0; i < ROUNDS; i++) times.push(await connectOnce(lab));
    return times;
  } finally {
    await lab.destroy();
  }
}

async function mixnetSide(): Promise<{ first: number; again: number[]; idle: number; peak: number; after: number; clientPeak: number }> {
  const lab = await buildLab({ prefix: 'bcm', editConfig: fastMonitor, registration: 'mixnet' });
  try {
    const file = join(lab.root, 'tmp/mnemonic');
    writeFileSync(file, `${LAB_ACCOUNT_MNEMONIC}\n`, { mode: 0o600 });
    await nymvpnc(lab, ['store-account', '--mnemonic-file', file]);
    const until = Date.now() + 180_000;
    // The ticketbooks come in one type after another (the issuance WASM runs for each): wait for the three.
    for (;;) {
      const t = (JSON.parse((await nymvpnc(lab, ['--json', 'get-account-state'])).stdout) as { tickets?: Record<string, number> }).tickets ?? {};
      if (t['v1-wireguard-entry'] === 50 && t['v1-wireguard-exit'] === 50 && t['v1-mixnet-entry'] === 50) break;
      if (Date.now() > until) throw new Error(`no ticketbooks: ${JSON.stringify(t)}`);
      await new Promise((r) => setTimeout(r, 500));
    }
    const pid = await daemonPid(lab);
    global.gc?.();
    await new Promise((r) => setTimeout(r, 2000)); // the issuance workers' memory settles
    const idle = rssMb(pid);
    let peak = idle;
    let clientPeak = 0;
    const sampler = setInterval(() => {
      peak = Math.max(peak, rssMb(pid));
      for (const c of childrenOf(pid)) {
        try {
          const mb = rssMb(c);
          if (!Number.isNaN(mb)) clientPeak = Math.max(clientPeak, mb); // NaN: exiting, its memory already gone
        } catch { /* gone */ }
      }
    }, 20);
    const args = ['--entry-gateway-country', lab.defaultEntry.country, '--exit-gateway-country', lab.defaultExit.country];
    let first: number;
    const again: number[] = [];
    try {
      first = await connectOnce(lab, args);
      for (let i = 0; i < ROUNDS; i++) again.push(await connectOnce(lab, args));
    } finally {
      clearInterval(sampler);
    }
    await new Promise((r) => setTimeout(r, 2000));
    return { first, again, idle, peak, after: rssMb(pid), clientPeak };
  } finally {
    await lab.destroy();
  }
}

async function main(): Promise<void> {
  const st = await staticSide();
  const mx = await mixnetSide();
  console.log(`connect time, static peers (no registration): ${spread(st)}`);
  console.log(`connect time, registration over the mixnet, first (a ticket per hop): ${mx.first.toFixed(0)} ms`);
  console.log(`connect time, registration over the mixnet, reconnect (registration reused): ${spread(mx.again)}`);
  console.log(`connect time ratio mixnet reconnect / static: ${(median(mx.again) / median(st)).toFixed(2)}`);
  console.log(`nym-vpnd RSS before connecting / peak while registering / after: ${mx.idle.toFixed(1)} / ${mx.peak.toFixed(1)} / ${mx.after.toFixed(1)} MB (the mixnet client is a child process: ${mx.clientPeak.toFixed(1)} MB at its peak, gone once registered)`);
}

main().catch((e: Error) => { console.error(e.stack ?? e.message); process.exit(1); });
