// Shared by the end-to-end tests: a lab with monitor timings short enough for tests, and nym-vpnc
// run inside the router namespace.
import { fileURLToPath } from 'node:url';
import { buildLab, type NymLab, type NymLabOptions } from '../../src/lab/topology.js';
import { findSection, setListValues, setOption, setSection, type UciPackage } from '../../src/uci/index.js';

export const cliPath = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

/** Probes every 2 s, 2 tries of 2 s: a dead hop is noticed within about 6 s. */
export function fastMonitor(pkg: UciPackage): void {
  const m = findSection(pkg, 'monitor') ?? setSection(pkg, 'monitor', 'monitor');
  setListValues(m, 'target', ['8.8.8.8']);
  setOption(m, 'interval', '2');
  setOption(m, 'timeout', '2');
  setOption(m, 'tries', '2');
  setOption(m, 'handshake_timeout', '10');
}

export async function testLab(prefix: string, opts: NymLabOptions = {}): Promise<NymLab> {
  return buildLab({ prefix, ...opts, editConfig: (pkg) => { fastMonitor(pkg); opts.editConfig?.(pkg); } });
}

export async function nymvpnc(lab: NymLab, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await lab.exec('router', process.execPath, [cliPath, '--socket', lab.socket, ...args], { timeoutMs: 60_000 });
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

export async function waitState(lab: NymLab, want: (s: Record<string, unknown>) => boolean, ms: number): Promise<Record<string, unknown> | null> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const s = await status(lab).catch(() => null);
    if (s && want(s)) return s;
    await new Promise((r) => setTimeout(r, 200));
  }
  return null;
}

/** Everything of the router's network state a disconnect must put back exactly. */
export async function routerSnapshot(lab: NymLab): Promise<Record<string, string>> {
  const ex = async (cmd: string, args: string[]) => (await lab.exec('router', cmd, args)).stdout;
  const { readFileSync, existsSync } = await import('node:fs');
  const resolv = `${lab.root}/tmp/resolv.conf.d/resolv.conf.auto`;
  return {
    rules4: await ex('ip', ['-4', 'rule']),
    rules6: await ex('ip', ['-6', 'rule']),
    routes4: await ex('ip', ['-4', 'route', 'show', 'table', 'all']),
    routes6: (await ex('ip', ['-6', 'route', 'show', 'table', 'all'])).split('\n').filter((l) => !/expires|proto ra/.test(l)).join('\n'),
    links: (await ex('ip', ['-br', 'link'])).split('\n').map((l) => l.split(/\s+/)[0]).sort().join(' '),
    nft: await ex('nft', ['list', 'ruleset']),
    resolv: existsSync(resolv) ? readFileSync(resolv, 'utf8') : '(absent)',
  };
}
