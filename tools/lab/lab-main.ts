#!/usr/bin/env node
// The lab on its own, for poking at by hand: builds it, prints who is where, keeps it up until Ctrl-C.
//   node dist/tools/lab/lab-main.js [--multi] [--mixnet] [--no-daemon] [--verbose] [--keep]
//     --multi      two entries (DE, NL) and two exits (CH, SE) instead of one each
//     --mixnet     the gateways are Nym gateway stand-ins; the router registers over the mixnet (no static peers)
//     --no-daemon  bus only; start nym-vpnd yourself (the command is printed)
//     --keep       keep the temp dir (logs, captures, router root) after teardown
import { parseArgs } from 'node:util';
import { ADDR, IF, MULTI_GATEWAYS } from './addresses.js';
import { DAEMON_JS, CLI_JS } from './router.js';
import { buildLab, type NymLab } from './topology.js';

/** The lab's namespaces, interfaces and addresses, one line each (also for the demo and failure messages). */
export function describeLab(lab: NymLab): string {
  const rows: string[][] = [
    ['lan', lab.ns.lan.name, `${IF.lanHost} ${ADDR.lan.v4}/24 ${ADDR.lan.v6}/64, default via the router`],
    ['router', lab.ns.router.name, `${IF.routerLan} (port ${IF.routerLanPort}) ${ADDR.routerLan.v4}/24 ${ADDR.routerLan.v6}/64; ${IF.routerWan} ${ADDR.routerWan.v4}/24 ${ADDR.routerWan.v6}/64`],
    ['isp', lab.ns.isp.name, `${IF.ispToRouter} ${ADDR.ispWan.v4} ${ADDR.ispWan.v6}; ${IF.ispGatewayBridge} ${ADDR.ispGateways.v4} ${ADDR.ispGateways.v6}; ${IF.ispToInet} ${ADDR.ispInet.v4} ${ADDR.ispInet.v6}; resolver :53`],
    ['inet', lab.ns.inet.name, `${IF.uplink} web ${ADDR.inetWeb.v4} ${ADDR.inetWeb.v6}, dns ${ADDR.inetDns.v4} ${ADDR.inetDns.v6}, directory ${ADDR.inetDirectory.v4}:8080`
      + (lab.nymApiUrl ? `, nym-api ${lab.nymApiUrl}` : '')],
    ...[...lab.gateways.values()].map((g) => [g.label, g.ns.name,
      `${IF.uplink} ${g.plan.ip} ${g.plan.ip6}; ${g.wg.name} ${g.plan.tunnel.v4} ${g.plan.tunnel.v6}, ours ${g.plan.ours.v4} ${g.plan.ours.v6}; ${g.plan.country}, id ${g.id}`
      + (g.nym ? `; nym ws :${g.nym.wsPort} mix :${g.nym.ready.mixPort}` : '')]),
  ];
  const w = Math.max(...rows.map((r) => r[0]!.length));
  const n = Math.max(...rows.map((r) => r[1]!.length));
  return rows.map(([a, b, c]) => `${a!.padEnd(w)}  ${b!.padEnd(n)}  ${c}`).join('\n');
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { multi: { type: 'boolean' }, mixnet: { type: 'boolean' }, 'no-daemon': { type: 'boolean' }, verbose: { type: 'boolean' }, keep: { type: 'boolean' } },
    strict: true,
  });
  const lab = await buildLab({
    ...(values.multi ? { gateways: MULTI_GATEWAYS } : {}),
    daemon: values['no-daemon'] ? 'none' : 'start',
    registration: values.mixnet ? 'mixnet' : 'static',
    verbose: values.verbose ?? false,
    keepWorkDir: values.keep ?? false,
  });
  const inRouter = `ip netns exec ${lab.ns.router.name}`;
  process.stdout.write(`lab built in ${lab.buildMs} ms; temp dir ${lab.workDir}\n\n${describeLab(lab)}\n\n`
    + `router root ${lab.root}, bus ${lab.socket}\n`
    + (values['no-daemon'] ? `start nym-vpnd: ${inRouter} node ${DAEMON_JS} --socket ${lab.socket} --root ${lab.root}\n` : `nym-vpnd log: ${lab.router.daemonLogFile}\n`)
    + `nym-vpnc:      ${inRouter} node ${CLI_JS} --socket ${lab.socket} status\n`
    + `from the LAN:  ip netns exec ${lab.ns.lan.name} curl http://${ADDR.inetWeb.v4}/\n\nCtrl-C tears it all down.\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  await lab.destroy();
}

main().catch((e: Error) => {
  process.stderr.write(`lab: ${e.stack ?? e.message}\n`);
  process.exit(1);
});
