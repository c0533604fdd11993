// The numbers that matter most, measured so they cannot flatter: LAN ↔ internet through nym-vpnd's two hops
// next to the same lab path through two nested wireguard-go tunnels on the router, in one run, the order
// alternated each round (nym-vpnd first in odd rounds, wireguard-go first in even ones). Per round and side:
// iperf3 TCP upload (LAN → internet) and download (-R), a UDP run at a fixed offered rate (loss and rate
// received), ping idle and under load (min and median, not averages), and the CPU seconds the router's tunnel
// processes spent (utime+stime from /proc) per Gbit moved. Ratios are paired per round; the median is given
// with its min–max. Steal time (from /proc/stat) is printed, since it skews everything on a shared VM.
// Then the router-class rows: the same, with each side's tunnel processes pinned to one core (nym-vpnd's one
// process, and both wireguard-go processes of the baseline), as on a router with one core to spare.
// BENCH_ROUNDS (default 5), BENCH_SECONDS per iperf3 run (default 5), BENCH_UDP_MBPS (default 200),
// BENCH_PIN_ROUNDS (router-class rounds, default 3), BENCH_PIN=0 (no router-class rows) or 1 (only those),
// BENCH_PROFILE=1 profiles nym-vpnd's CPU.
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildLab, type NymLab } from '../tools/lab/topology.js';
import { startBaselineTwoHop, type Baseline } from '../tools/lab/baseline.js';
import { ADDR } from '../tools/lab/addresses.js';
import { fastMonitor, nymvpnc } from '../tools/lab/control.js';
import { anonRssMb, rssMb, median } from './measure.js';

const rounds = Number(process.env.BENCH_ROUNDS ?? 5);
const seconds = Number(process.env.BENCH_SECONDS ?? 5);
const udpMbps = Number(process.env.BENCH_UDP_MBPS ?? 200);
const pinRounds = Number(process.env.BENCH_PIN_ROUNDS ?? 3);
const phases: Array<{ pin: boolean; rounds: number }> = process.env.BENCH_PIN === '1' ? [{ pin: true, rounds: pinRounds }]
  : process.env.BENCH_PIN === '0' ? [{ pin: false, rounds }] : [{ pin: false, rounds }, { pin: true, rounds: pinRounds }];
/** The phase running now pins the tunnel processes. */
let pin = false;
const profile = process.env.BENCH_PROFILE === '1';
const CLK_TCK = 100;

const spread = (xs: number[]) => `${median(xs).toFixed(2)} (range ${Math.min(...xs).toFixed(2)}–${Math.max(...xs).toFixed(2)})`;

interface Side {
  up: number[];
  down: number[];
  udp: number[];
  udpLoss: number[];
  rttIdleMin: number[];
  rttIdleMed: number[];
  rttLoadMed: number[];
  cpuPerGbit: number[];
  /** CPU seconds per Gbit the rest of the lab (gateways, iperf3, the kernel) spent, upload and download. */
  restUp: number[];
  restDown: number[];
}
const side = (): Side => ({ up: [], down: [], udp: [], udpLoss: [], rttIdleMin: [], rttIdleMed: [], rttLoadMed: [], cpuPerGbit: [], restUp: [], restDown: [] });

/** CPU seconds (user + system) of a process so far. */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
}

function stealPercent(before: number[], after: number[]): number {
  const d = after.map((v, i) => v - before[i]!);
  const total = d.reduce((a, b) => a + b, 0);
  return total > 0 ? (100 * (d[7] ?? 0)) / total : 0;
}
function cpuTimes(): number[] {
  return readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
}
/** CPU seconds the whole machine spent busy so far (everything but idle and iowait). */
function busySeconds(): number {
  const t = cpuTimes();
  return (t.reduce((a, b) => a + b, 0) - t[3]! - (t[4] ?? 0)) / CLK_TCK;
}
const cores = (): number => readFileSync('/proc/stat', 'utf8').split('\n').filter((l) => /^cpu\d+ /.test(l)).length;

async function tcp(lab: NymLab, reverse: boolean): Promise<{ mbps: number; bytes: number }> {
  const args = ['-c', ADDR.inetWeb.v4, '-t', String(seconds), '-J', ...(reverse ? ['-R'] : [])];
  const r = await lab.exec('lan', 'iperf3', args, { timeoutMs: (seconds + 20) * 1000 });
  const j = JSON.parse(r.stdout) as { end: { sum_received: { bits_per_second: number; bytes: number } } };
  return { mbps: j.end.sum_received.bits_per_second / 1e6, bytes: j.end.sum_received.bytes };
}

async function udp(lab: NymLab): Promise<{ mbps: number; loss: number }> {
  const r = await lab.exec('lan', 'iperf3', ['-c', ADDR.inetWeb.v4, '-u', '-b', `${udpMbps}M`, '-l', '1200', '-t', String(seconds), '-J'], { timeoutMs: (seconds + 20) * 1000 });
  const j = JSON.parse(r.stdout) as { end: { sum: { bits_per_second: number; lost_percent: number } } };
  // What arrived: the offered rate less what the server counted lost.
  return { mbps: (j.end.sum.bits_per_second / 1e6) * (1 - j.end.sum.lost_percent / 100), loss: j.end.sum.lost_percent };
}

/** Every RTT of a ping run, in ms. */
async function rtts(lab: NymLab, count: number): Promise<number[]> {
  const r = await lab.exec('lan', 'ping', ['-c', String(count), '-i', '0.05', ADDR.inetWeb.v4], { timeoutMs: 60_000 });
  return [...r.stdout.matchAll(/time=([\d.]+) ms/g)].map((m) => Number(m[1]));
}

async function pinned(lab: NymLab, pids: number[]): Promise<void> {
  if (!pin) return;
  for (const p of pids) await lab.exec('router', 'taskset', ['-a', '-p', '-c', '0', String(p)]).catch(() => {});
}

/** One side's measurements: upload, download (with CPU per Gbit), UDP, ping idle and under load. */
async function measure(lab: NymLab, s: Side, pids: () => number[]): Promise<void> {
  const idle = await rtts(lab, 20);
  s.rttIdleMin.push(Math.min(...idle));
  s.rttIdleMed.push(median(idle));
  const tunnelCpu = () => pids().reduce((a, p) => a + cpuSeconds(p), 0);
  const cpu0 = tunnelCpu();
  const busy0 = busySeconds();
  const up = tcp(lab, false);
  // Ping under load: while the upload runs.
  const loaded = rtts(lab, Math.max(10, seconds * 10));
  const u = await up;
  const cpuMid = tunnelCpu();
  const busyMid = busySeconds();
  s.rttLoadMed.push(median(await loaded));
  const busyDown = busySeconds();
  const cpuDown = tunnelCpu();
  const d = await tcp(lab, true);
  const cpu1 = tunnelCpu();
  const busy1 = busySeconds();
  s.up.push(u.mbps);
  s.down.push(d.mbps);
  s.cpuPerGbit.push((cpu1 - cpu0 - (cpuDown - cpuMid)) / (((u.bytes + d.bytes) * 8) / 1e9));
  // What everything but the router's tunnel cost per Gbit (ping and test harness included, so it errs high).
  s.restUp.push((busyMid - busy0 - (cpuMid - cpu0)) / ((u.bytes * 8) / 1e9));
  s.restDown.push((busy1 - busyDown - (cpu1 - cpuDown)) / ((d.bytes * 8) / 1e9));
  const x = await udp(lab);
  s.udp.push(x.mbps);
  s.udpLoss.push(x.loss);
}

async function main(): Promise<void> {
  const profDir = join('/tmp', `nym-prof-${process.pid}`);
  mkdirSync(profDir, { recursive: true });
  const lab = await buildLab({
    prefix: 'bench',
    editConfig: fastMonitor,
    daemonOptions: profile ? { env: { ...process.env, NYM_VPND_CPU_PROFILE: join(profDir, 'nym-vpnd.cpuprofile') } } : {},
  });
  const results: Array<{ pin: boolean; nym: Side; wg: Side }> = [];
  const connectMs: number[] = [];
  let idleRss = NaN;
  let loadRss = 0;
  let idleAnon = NaN;
  let loadAnon = 0;
  const stat0 = cpuTimes();
  try {
    const pid = Number(JSON.parse((await nymvpnc(lab, ['--json', 'info'])).stdout).pid);
    let nym = side();
    let wg = side();
    const runNym = async () => {
      const t0 = Date.now();
      const c = await nymvpnc(lab, ['connect', '--wait-until-connected', '--timeout', '30']);
      if (!/State: +connected/.test(c.stdout)) throw new Error(`connect failed: ${c.stdout}${c.stderr}`);
      while (!(await lab.ping('lan', ADDR.inetWeb.v4, 1)));
      connectMs.push(Date.now() - t0);
      if (Number.isNaN(idleRss)) {
        idleRss = rssMb(pid);
        idleAnon = anonRssMb(pid);
      }
      await pinned(lab, [pid]);
      const sampler = setInterval(() => {
        loadRss = Math.max(loadRss, rssMb(pid));
        loadAnon = Math.max(loadAnon, anonRssMb(pid));
      }, 200);
      try {
        await measure(lab, nym, () => [pid]);
      } finally {
        clearInterval(sampler);
      }
      await nymvpnc(lab, ['disconnect']);
    };
    const runWg = async () => {
      const b: Baseline = await startBaselineTwoHop(lab);
      try {
        for (let i = 0; i < 50 && !(await lab.ping('lan', ADDR.inetWeb.v4, 1)); i++);
        await pinned(lab, b.pids());
        await measure(lab, wg, () => b.pids());
      } finally {
        await b.stop();
      }
    };
    for (const phase of phases) {
      pin = phase.pin;
      nym = side();
      wg = side();
      results.push({ pin, nym, wg });
      if (pin) console.log('router-class rounds: each side\'s tunnel processes pinned to one core');
      for (let r = 0; r < phase.rounds; r++) {
        if (r % 2 === 0) { await runNym(); await runWg(); } else { await runWg(); await runNym(); }
        console.log(`round ${r + 1} (${r % 2 === 0 ? 'nym-vpnd first' : 'wireguard-go first'}): up ${nym.up[r]!.toFixed(0)} / ${wg.up[r]!.toFixed(0)} Mbit/s, down ${nym.down[r]!.toFixed(0)} / ${wg.down[r]!.toFixed(0)}, udp ${nym.udp[r]!.toFixed(0)} / ${wg.udp[r]!.toFixed(0)} (loss ${nym.udpLoss[r]!.toFixed(1)} / ${wg.udpLoss[r]!.toFixed(1)} %), cpu s/Gbit ${nym.cpuPerGbit[r]!.toFixed(2)} / ${wg.cpuPerGbit[r]!.toFixed(2)}, rtt idle ${nym.rttIdleMed[r]!.toFixed(2)} / ${wg.rttIdleMed[r]!.toFixed(2)} ms, under load ${nym.rttLoadMed[r]!.toFixed(2)} / ${wg.rttLoadMed[r]!.toFixed(2)} ms`);
      }
    }
  } finally {
    if (profile) await lab.stopDaemon('SIGINT');
    await lab.destroy();
  }
  const paired = (a: number[], b: number[]) => a.map((x, i) => x / b[i]!);
  for (const { pin: pinned, nym, wg } of results) {
    const label = pinned ? ' [router-class: each side pinned to one core]' : '';
    console.log(`\nnym-vpnd / wireguard-go, ${nym.up.length} rounds, ${seconds} s runs${label}:`);
    console.log(`two-hop throughput ratio (nym-vpnd / wireguard-go): ${spread(paired(nym.up, wg.up))} (upload; medians ${median(nym.up).toFixed(0)} / ${median(wg.up).toFixed(0)} Mbit/s)`);
    console.log(`two-hop download throughput ratio (nym-vpnd / wireguard-go): ${spread(paired(nym.down, wg.down))} (medians ${median(nym.down).toFixed(0)} / ${median(wg.down).toFixed(0)} Mbit/s)`);
    console.log(`two-hop UDP received ratio at ${udpMbps} Mbit/s offered (nym-vpnd / wireguard-go): ${spread(paired(nym.udp, wg.udp))} (loss ${median(nym.udpLoss).toFixed(1)} % / ${median(wg.udpLoss).toFixed(1)} %)`);
    console.log(`two-hop cpu per Gbit ratio (nym-vpnd / wireguard-go): ${spread(paired(nym.cpuPerGbit, wg.cpuPerGbit))} (${median(nym.cpuPerGbit).toFixed(2)} / ${median(wg.cpuPerGbit).toFixed(2)} CPU s per Gbit)`);
    console.log(`two-hop latency under load ratio: ${spread(paired(nym.rttLoadMed, wg.rttLoadMed))} (median RTT under load ${median(nym.rttLoadMed).toFixed(2)} / ${median(wg.rttLoadMed).toFixed(2)} ms)`);
    console.log(`two-hop RTT idle min/median: nym-vpnd ${median(nym.rttIdleMin).toFixed(2)}/${median(nym.rttIdleMed).toFixed(2)} ms, wireguard-go ${median(wg.rttIdleMin).toFixed(2)}/${median(wg.rttIdleMed).toFixed(2)} ms`);
  }
  console.log('');
  console.log(`connect time (call → first packet through): ${median(connectMs).toFixed(0)} ms`);
  console.log(`daemon RSS MB idle/load: ${idleRss.toFixed(0)}/${loadRss.toFixed(0)} (its own, anonymous: ${idleAnon.toFixed(0)}/${loadAnon.toFixed(0)}; the rest is file-backed: node's binary and libraries, whose pages it ran once it hands back after starting and after each connection change)`);
  // The lab's own limit: the gateways (wireguard-go), iperf3 and the kernel share this machine's cores with
  // the router. Even a router tunnel that cost nothing could not go faster than the cores left to the rest.
  const n = cores();
  const { nym, wg } = results[0]!;
  const ceiling = (rest: number[], wgMbps: number[]) => {
    const mbps = (n / median(rest)) * 1000;
    return `${mbps.toFixed(0)} Mbit/s = ${(mbps / median(wgMbps)).toFixed(2)}× wireguard-go (the rest: ${median(rest).toFixed(2)} CPU s per Gbit)`;
  };
  console.log(`lab ceiling on ${n} cores, for a router tunnel costing nothing: upload ${ceiling(nym.restUp, wg.up)}, download ${ceiling(nym.restDown, wg.down)}`);
  console.log(`steal time during the run: ${stealPercent(stat0, cpuTimes()).toFixed(1)} %`);
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
