// The number that matters most: LAN → internet TCP throughput through nym-vpnd's two hops, next to
// the same lab path through two nested wireguard-go tunnels on the router, alternating rounds in
// one run; plus added latency, connect time and the daemon's memory. BENCH_ROUNDS (default 3),
// BENCH_SECONDS per iperf3 run (default 5), BENCH_PROFILE=1 also profiles nym-vpnd's CPU.
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildLab, type NymLab } from '../tools/lab/topology.js';
import { startBaselineTwoHop } from '../tools/lab/baseline.js';
import { ADDR } from '../tools/lab/addresses.js';
import { fastMonitor, nymvpnc } from '../tools/lab/control.js';

const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const seconds = Number(process.env.BENCH_SECONDS ?? 5);
const profile = process.env.BENCH_PROFILE === '1';

const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2; };

async function iperf(lab: NymLab): Promise<number> {
  const r = await lab.exec('lan', 'iperf3', ['-c', ADDR.inetWeb.v4, '-t', String(seconds), '-J'], { timeoutMs: (seconds + 20) * 1000 });
  const j = JSON.parse(r.stdout) as { end: { sum_received: { bits_per_second: number } } };
  return j.end.sum_received.bits_per_second / 1e6;
}

async function pingRtt(lab: NymLab): Promise<number> {
  const r = await lab.exec('lan', 'ping', ['-c', '20', '-i', '0.05', '-q', ADDR.inetWeb.v4]);
  const m = /= [\d.]+\/([\d.]+)\//.exec(r.stdout);
  if (!m) throw new Error(`no rtt in ${r.stdout}`);
  return Number(m[1]);
}

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

async function daemonPid(lab: NymLab): Promise<number> {
  return Number(JSON.parse((await nymvpnc(lab, ['--json', 'info'])).stdout).pid);
}

async function main(): Promise<void> {
  const profDir = join('/tmp', `nym-prof-${process.pid}`);
  mkdirSync(profDir, { recursive: true });
  const lab = await buildLab({
    prefix: 'bench',
    editConfig: fastMonitor,
    daemonOptions: profile ? { env: { ...process.env, NYM_VPND_CPU_PROFILE: join(profDir, 'nym-vpnd.cpuprofile') } } : {},
  });
  const nym: number[] = [];
  const wg: number[] = [];
  const rttNym: number[] = [];
  const rttWg: number[] = [];
  const connectMs: number[] = [];
  let idle = NaN;
  let load = 0;
  try {
    const pid = await daemonPid(lab);
    for (let r = 0; r < rounds; r++) {
      const t0 = Date.now();
      const c = await nymvpnc(lab, ['connect', '--wait-until-connected', '--timeout', '30']);
      if (!/State: +connected/.test(c.stdout)) throw new Error(`connect failed: ${c.stdout}${c.stderr}`);
      // Connect time: from the call until the first packet makes it through.
      for (;;) {
        if (await lab.ping('lan', ADDR.inetWeb.v4, 1)) break;
      }
      connectMs.push(Date.now() - t0);
      await new Promise((res) => setTimeout(res, 1000));
      if (Number.isNaN(idle)) idle = rssMb(pid);
      rttNym.push(await pingRtt(lab));
      const sampler = setInterval(() => { load = Math.max(load, rssMb(pid)); }, 200);
      nym.push(await iperf(lab));
      clearInterval(sampler);
      await nymvpnc(lab, ['disconnect']);

      const b = await startBaselineTwoHop(lab);
      try {
        for (let i = 0; i < 50 && !(await lab.ping('lan', ADDR.inetWeb.v4, 1)); i++);
        rttWg.push(await pingRtt(lab));
        wg.push(await iperf(lab));
      } finally {
        await b.stop();
      }
      console.log(`round ${r + 1}: nym-vpnd ${nym[r]!.toFixed(0)} Mbit/s, wireguard-go ${wg[r]!.toFixed(0)} Mbit/s; rtt ${rttNym[r]!.toFixed(2)} / ${rttWg[r]!.toFixed(2)} ms; connect ${connectMs[r]} ms`);
    }
  } finally {
    if (profile) await lab.stopDaemon('SIGINT');
    await lab.destroy();
  }
  const ratios = nym.map((n, i) => n / wg[i]!);
  console.log(`two-hop throughput nym-vpnd ${median(nym).toFixed(0)} Mbit/s, wireguard-go ${median(wg).toFixed(0)} Mbit/s (medians of ${rounds} rounds)`);
  console.log(`two-hop throughput ratio (nym-vpnd / wireguard-go): ${median(ratios).toFixed(2)}`);
  console.log(`two-hop latency ratio (ping RTT nym-vpnd / wireguard-go): ${(median(rttNym) / median(rttWg)).toFixed(2)} (${median(rttNym).toFixed(2)} ms / ${median(rttWg).toFixed(2)} ms)`);
  console.log(`connect time (call → first packet through): ${median(connectMs).toFixed(0)} ms`);
  console.log(`daemon RSS MB idle/load: ${idle.toFixed(0)}/${load.toFixed(0)}`);
  if (profile) summariseProfile(profDir);
}

/** Self time per function of nym-vpnd's CPU profile: where the time goes. */
function summariseProfile(dir: string): void {
  const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'));
  for (const f of files) {
    const p = JSON.parse(readFileSync(join(dir, f), 'utf8')) as { nodes: Array<{ id: number; callFrame: { functionName: string; url: string; lineNumber: number } }>; samples: number[]; timeDeltas: number[] };
    const self = new Map<number, number>();
    p.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (p.timeDeltas[i] ?? 0)));
    const byName = new Map<string, number>();
    let total = 0;
    for (const n of p.nodes) {
      const t = self.get(n.id) ?? 0;
      total += t;
      const where = n.callFrame.url ? `${n.callFrame.url.replace(/^.*\/dist\//, '')}:${n.callFrame.lineNumber + 1}` : '';
      const key = `${n.callFrame.functionName || '(anonymous)'} ${where}`.trim();
      byName.set(key, (byName.get(key) ?? 0) + t);
    }
    console.log(`\nprofile ${f}: top self time`);
    for (const [k, v] of [...byName].sort((a, b) => b[1] - a[1]).slice(0, 20)) console.log(`  ${((v / total) * 100).toFixed(1).padStart(5)}%  ${k}`);
  }
}

main().catch((e: Error) => { console.error(e.stack ?? e.message); process.exit(1); });
