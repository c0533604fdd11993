// Driving nym-vpnd in a lab: nym-vpnc inside the router namespace, waiting for states, and the UCI
// settings the tests and benchmarks use (monitor timings short enough to watch).
import { fileURLToPath } from 'node:url';
import { findSection, setListValues, setOption, setSection, type UciPackage } from '../../src/uci/index.js';
import type { NymLab } from './topology.js';

export const CLI_PATH = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

/** Probes every 2 s, 2 tries of 2 s: a dead hop is noticed within about 6 s. */
export function fastMonitor(pkg: UciPackage): void {
  const m = findSection(pkg, 'monitor') ?? setSection(pkg, 'monitor', 'monitor');
  setListValues(m, 'target', ['8.8.8.8']);
  setOption(m, 'interval', '2');
  setOption(m, 'timeout', '2');
  setOption(m, 'tries', '2');
  setOption(m, 'handshake_timeout', '10');
}

export interface CliResult { code: number; stdout: string; stderr: string }

export async function nymvpnc(lab: NymLab, args: string[], input?: string): Promise<CliResult> {
  try {
    const r = await lab.exec('router', process.execPath, [CLI_PATH, '--socket', lab.socket, '--root', lab.root, ...args], { timeoutMs: 60_000, ...(input === undefined ? {} : { input }) });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const x = e as { code?: number; exitCode?: number; stdout?: string; stderr?: string };
    return { code: x.exitCode ?? (typeof x.code === 'number' ? x.code : 1), stdout: x.stdout ?? '', stderr: x.stderr ?? '' };
  }
}

export async function status(lab: NymLab): Promise<Record<string, unknown>> {
  const r = await nymvpnc(lab, ['--json', 'status']);
  return JSON.parse(r.stdout) as Record<string, unknown>;
}

/** Polls status until `want` holds; the status that matched, or null after `ms`. */
export async function waitState(lab: NymLab, want: (s: Record<string, unknown>) => boolean, ms: number): Promise<Record<string, unknown> | null> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const s = await status(lab).catch(() => null);
    if (s && want(s)) return s;
    await new Promise((r) => setTimeout(r, 200));
  }
  return null;
}
