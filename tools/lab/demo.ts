#!/usr/bin/env node
// `make demo`: the whole stack on this machine. Builds the lab (a LAN client, the router running
// the bus, nym-vpnd and dnsmasq, an ISP, an entry and an exit gateway — each wireguard-go behind a Nym
// gateway stand-in with its authenticator — an internet host with the directory, the vpn-api and the
// nym-api), stores the account, waits for its zk-nym ticketbooks, connects by country with registration
// over the mixnet (upstream's mixnet client, one ticket per hop), shows `nym-vpnc status`, fetches the
// internet host from the LAN client and prints the address it saw — the exit gateway's — while a capture
// on the router's WAN counts anything that is not UDP to the entry gateway. `--check` exits 0 only if
// all of it holds; otherwise the lab stays up until Ctrl-C. `--static` uses uci `config peer` sections
// instead of registration (self-hosted gateways).

import { buildLab, type NymLab } from './topology.js';
import { ADDR, IF, LAB_ACCOUNT_MNEMONIC } from './addresses.js';
import { startLuciDevServer } from '../luci-dev/server.js';

const check = process.argv.includes('--check');
const verbose = process.argv.includes('--verbose');
const say = (s = '') => process.stdout.write(s + '\n');

async function nymvpnc(lab: NymLab, args: string[], input?: string): Promise<string> {
  const r = await lab.exec('router', process.execPath, [new URL('../../src/cli/main.js', import.meta.url).pathname, '--socket', lab.socket, '--root', lab.root, ...args], input === undefined ? {} : { input });
  return r.stdout;
}

async function main(lab: NymLab): Promise<boolean> {
  const entry = lab.defaultEntry;
  const exit = lab.defaultExit;
  say(`lab up in ${lab.buildMs} ms (namespaces ${Object.values(lab.ns).map((n) => n.name).join(', ')}, …)`);
  say(`  LAN client ${ADDR.lan.v4} → router (nym-vpnd) WAN ${ADDR.routerWan.v4} → ISP`);
  say(`  entry gateway ${entry.id} (${entry.country}) ${entry.ip}, exit gateway ${exit.id} (${exit.country}) ${exit.ip}, internet host ${ADDR.inetWeb.v4}`);
  say();
  // The account: stored from its recovery phrase (read from stdin, never argv), then synced with the lab's
  // nym-vpn-api, which registers the router as one of the account's devices.
  say('$ nym-vpnc store-account   (the lab account\'s recovery phrase on stdin)');
  say((await nymvpnc(lab, ['store-account'], `${LAB_ACCOUNT_MNEMONIC}\n`)).trimEnd());
  say('$ nym-vpnc refresh-account-state');
  const account = await nymvpnc(lab, ['refresh-account-state']);
  say(account.trimEnd());
  const accountReady = /^Ready: +ready to connect$/m.test(account);
  say();
  // Meanwhile the daemon asks the lab's vpn-api for zk-nym ticketbooks (2 of 3 lab signers issue them,
  // upstream's WASM unblinds them on the router); registration pays with them, so wait for all three.
  say();
  say('$ nym-vpnc get-account-state   (once the ticketbooks are in)');
  let state = '';
  const until = Date.now() + 120_000;
  const stocked = (text: string) => ['mixnet-entry', 'wireguard-entry', 'wireguard-exit'].every((type) => new RegExp(`^Tickets: .*\\b${type} 50\\b`, 'm').test(text));
  while (accountReady && !stocked(state = await nymvpnc(lab, ['get-account-state'])) && Date.now() < until) await new Promise((r) => setTimeout(r, 1000));
  say(state.trimEnd());
  const ticketsIn = stocked(state);
  if (accountReady && !ticketsIn) say('no ticketbooks within 120 s: see the daemon log');
  say();
  const mixnet = lab.registration === 'mixnet';
  const byCountry = ['--entry-gateway-country', entry.country, '--exit-gateway-country', exit.country];
  say(`$ nym-vpnc connect ${mixnet ? `${byCountry.join(' ')} ` : ''}--wait-until-connected${mixnet ? '   (registration with both gateways over the mixnet)' : ''}`);
  const t0 = Date.now();
  say(await nymvpnc(lab, ['connect', ...(mixnet ? byCountry : []), '--wait-until-connected', '--timeout', '60']));
  say(`(connected in ${Date.now() - t0} ms)`);
  if (mixnet) {
    for (const g of [entry, exit]) {
      const regs = lab.gateway(g.id).registrations();
      say(`${g.role} gateway ${g.label}: its authenticator registered ${regs.map((r) => `${r.key} → ${r.ipv4}`).join(', ') || 'nothing'} (one ${g.role} ticket paid)`);
    }
  }
  const endpoints = lab.entryEndpoints();
  const capture = await lab.capture('router', IF.routerWan);
  say(`$ curl http://${ADDR.inetWeb.v4}/   (from the LAN client)`);
  const r = await lab.curl('lan', `http://${ADDR.inetWeb.v4}/`);
  say(r.body.trimEnd());
  const r6 = await lab.curl('lan', `http://[${ADDR.inetWeb.v6}]/`).catch((e: Error) => ({ status: 0, body: `IPv6 failed: ${e.message}` }));
  say(`$ curl http://[${ADDR.inetWeb.v6}]/`);
  say(r6.body.trimEnd());
  const seen = await capture.stop();
  const outside = seen.outsideTunnel(endpoints);
  const sawExit = r.body.includes(`you are ${exit.ip}`);
  say();
  say(`the internet host saw ${sawExit ? `the exit gateway's address ${exit.ip}` : `'${r.body.trim()}' (expected ${exit.ip})`}`);
  say(`router WAN capture: ${seen.count} packets, ${seen.count - outside.length} of them UDP to/from the entry gateway ${endpoints.map((e) => `${e.host}:${e.port}`).join(', ')}, ${outside.length} anything else`);
  if (outside.length > 0) say(seen.describe(outside.slice(0, 20)));
  say();
  if (mixnet) {
    // The bandwidth loop's first check comes 5 s after the tunnel is up (upstream's period): show it answered.
    const known = Date.now() + 15_000;
    const answered = async () => (JSON.parse(await nymvpnc(lab, ['--json', 'status'])) as { bandwidth?: { exit?: { remaining_bytes?: number } } }).bandwidth?.exit?.remaining_bytes !== undefined;
    while (!(await answered()) && Date.now() < known) await new Promise((r) => setTimeout(r, 500));
  }
  say('$ nym-vpnc status');
  say(await nymvpnc(lab, ['status']));
  if (!accountReady) say('the account did not sync: see "Last sync" above');
  return sawExit && outside.length === 0 && seen.count > 0 && accountReady && ticketsIn;
}

async function run(): Promise<number> {
  say('building the lab (network namespaces, wireguard-go gateways behind Nym gateway stand-ins, the router with nym-vpnd)…');
  const lab = await buildLab({ prefix: 'demo', verbose, editConfig: undefined, registration: process.argv.includes('--static') ? 'static' : 'mixnet' });
  let ok = false;
  try {
    ok = await main(lab);
    say(ok ? `demo: OK — two hops${lab.registration === 'mixnet' ? ', registered over the mixnet' : ''}, nothing else on the WAN` : 'demo: FAILED');
    if (!check) {
      const luci = await startLuciDevServer({ socket: lab.socket, root: lab.root, port: Number(process.env.LUCI_PORT ?? 8080), host: '127.0.0.1', log: () => {} })
        .catch(() => startLuciDevServer({ socket: lab.socket, root: lab.root, host: '127.0.0.1', log: () => {} }));
      say(`\nLuCI (the router's web UI, served by a development stand-in for uhttpd + rpcd):\n  ${luci.url}\n  log in as ${luci.users.map((u) => `${u.username} / ${u.password}`).join(' or ')}`);
      say(`\nThe lab stays up. Try, as root:\n  ip netns exec ${lab.ns.router.name} node ${new URL('../../src/cli/main.js', import.meta.url).pathname} --socket ${lab.socket} status\n  ip netns exec ${lab.ns.lan.name} curl http://${ADDR.inetWeb.v4}/\nCtrl-C tears everything down.`);
      await new Promise<void>((resolve) => {
        process.once('SIGINT', () => resolve());
        process.once('SIGTERM', () => resolve());
      });
      await luci.stop();
    }
  } finally {
    say('tearing down the lab…');
    await lab.destroy();
  }
  return ok ? 0 : 1;
}

run().then(
  (code) => process.exit(code),
  (e: Error) => { process.stderr.write(`demo: ${e.stack ?? e.message}\n`); process.exit(1); },
);
