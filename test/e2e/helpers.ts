// Shared by the end-to-end tests: a lab with monitor timings short enough for tests, and nym-vpnc
// run inside the router namespace.
import { buildLab, type NymLab, type NymLabOptions } from '../../tools/lab/topology.js';
import { fastMonitor } from '../../tools/lab/control.js';

export { fastMonitor, nymvpnc, status, waitState } from '../../tools/lab/control.js';

export async function testLab(prefix: string, opts: NymLabOptions = {}): Promise<NymLab> {
  return buildLab({ prefix, ...opts, editConfig: (pkg) => { fastMonitor(pkg); opts.editConfig?.(pkg); } });
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
