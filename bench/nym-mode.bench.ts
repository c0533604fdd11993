// The daemon's memory as a router on the Nym network runs it, next to two-hop.bench.ts's (static peers, where
// no account, no ticketbook and no registration are in play): the lab account stored from its recovery
// phrase, its three zk-nym ticketbooks obtained (upstream's WASM in worker threads), both hops registered
// over the mixnet (upstream's client in a child process), then the same TCP upload and download as the
// two-hop bench. RSS is sampled every 200 ms under load, as there.
// Run: node scripts/bench.mjs nym-mode
import { readFileSync } from 'node:fs';
import { buildLab, type NymLab } from '../tools/lab/topology.js';
import { ADDR, LAB_ACCOUNT_MNEMONIC } from '../tools/lab/addresses.js';
import { nymvpnc as cli } from '../tools/lab/control.js';
import { anonRssMb, rssMb } from './measure.js';

const SECONDS = 5;

/** The CLI's output; a failed command throws with what it printed. */
async function nymvpnc(lab: NymLab, args: string[], input?: string): Promise<string> {
  const r = await cli(lab, args, input);
  if (r.code !== 0) throw new Error(`nym-vpnc ${args.join(' ')} exited ${r.code}: ${r.stdout}${r.stderr}`);
  return r.stdout;
}

async function iperf(lab: NymLab, reverse: boolean): Promise<number> {
  const r = await lab.exec('lan', 'iperf3', ['-c', ADDR.inetWeb.v4, '-t', String(SECONDS), '-J', ...(reverse ? ['-R'] : [])], { timeoutMs: (SECONDS + 30) * 1000 });
  return (JSON.parse(r.stdout) as { end: { sum_received: { bits_per_second: number } } }).end.sum_received.bits_per_second / 1e6;
}

async function main(): Promise<void> {
  const lab = await buildLab({ prefix: 'nymb', editConfig: undefined, registration: 'mixnet' });
  try {
    const pid = Number((JSON.parse(await nymvpnc(lab, ['--json', 'info'])) as { pid: number }).pid);
    const start = rssMb(pid);
    await nymvpnc(lab, ['store-account'], `${LAB_ACCOUNT_MNEMONIC}\n`);
    const account = await nymvpnc(lab, ['refresh-account-state']);
    if (!/^Ready: +ready to connect$/m.test(account)) throw new Error(`the lab account is not ready:\n${account}`);
    const stocked = (text: string) => ['mixnet-entry', 'wireguard-entry', 'wireguard-exit'].every((type) => new RegExp(`^Tickets: .*\\b${type} 50\\b`, 'm').test(text));
    for (const until = Date.now() + 180_000; !stocked(await nymvpnc(lab, ['get-account-state']));) {
      if (Date.now() > until) throw new Error('no ticketbooks within 180 s');
      await new Promise((r) => setTimeout(r, 1000));
    }
    const entry = lab.defaultEntry;
    const exit = lab.defaultExit;
    const c = await nymvpnc(lab, ['connect', '--entry-gateway-country', entry.country, '--exit-gateway-country', exit.country, '--wait-until-connected', '--timeout', '60']);
    if (!/State: +connected/.test(c)) throw new Error(`connect failed:\n${c}`);
    while (!(await lab.ping('lan', ADDR.inetWeb.v4, 1)));
    const idle = rssMb(pid);
    const idleAnon = anonRssMb(pid);
    let load = idle;
    let loadAnon = idleAnon;
    const sampler = setInterval(() => {
      load = Math.max(load, rssMb(pid));
      loadAnon = Math.max(loadAnon, anonRssMb(pid));
    }, 200);
    let up: number;
    let down: number;
    try {
      up = await iperf(lab, false);
      down = await iperf(lab, true);
    } finally {
      clearInterval(sampler);
    }
    // What the daemon runs beside itself once connected (the mixnet client must not be among them): each
    // command as its tethering shell (src/system/tethered.ts) runs it.
    const kids = (p: number | string) => readFileSync(`/proc/${p}/task/${p}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
    const command = (p: string) => readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0').filter(Boolean);
    const children = kids(pid).map((child) => {
      try {
        const argv = command(child);
        const inner = argv[0]?.endsWith('sh') ? kids(child)[0] : undefined;
        return (inner === undefined ? argv : command(inner)).slice(0, 3).join(' ');
      } catch { return `${child} (gone)`; }
    }).join('; ');
    console.log(`Nym mode (account stored, 3 ticketbooks, both hops registered over the mixnet): up ${up.toFixed(0)} Mbit/s, down ${down.toFixed(0)} Mbit/s, ${SECONDS} s each`);
    console.log(`daemon RSS MB in Nym mode idle/load: ${idle.toFixed(0)}/${load.toFixed(0)} (its own, anonymous: ${idleAnon.toFixed(0)}/${loadAnon.toFixed(0)}; at start, before the account: ${start.toFixed(0)}; processes beside it: ${children === '' ? 'none' : children})`);
  } finally {
    await lab.destroy();
  }
}

main().then(
  () => process.exit(0),
  (e: Error) => { process.stderr.write(`nym-mode bench: ${e.stack ?? e.message}\n`); process.exit(1); },
);
