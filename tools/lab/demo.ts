#!/usr/bin/env node
// `make demo`: the whole stack on this machine. Builds the lab (a LAN client, the router running
// the bus, nym-vpnd and dnsmasq, an ISP, an entry and an exit gateway running wireguard-go, an
// internet host), connects through two hops, shows `nym-vpnc status`, fetches the internet host
// from the LAN client and prints the address it saw — the exit gateway's — while a capture on the
// router's WAN counts anything that is not UDP to the entry gateway. `--check` exits 0 only if
// both hold; otherwise the lab stays up until Ctrl-C.

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
  say('$ nym-vpnc connect --wait-until-connected');
  say(await nymvpnc(lab, ['connect', '--wait-until-connected', '--timeout', '30']));
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
  say('$ nym-vpnc status');
  say(await nymvpnc(lab, ['status']));
  if (!accountReady) say('the account did not sync: see "Last sync" above');
  // Meanwhile the daemon has asked the lab's vpn-api for zk-nym ticketbooks (2 of 3 lab signers issue them,
  // upstream's WASM unblinds them on the router); show them once all three types are in.
  say();
  say('$ nym-vpnc get-account-state   (once the ticketbooks are in)');
  let state = '';
  const until = Date.now() + 120_000;
  const stocked = (text: string) => ['mixnet-entry', 'wireguard-entry', 'wireguard-exit'].every((type) => new RegExp(`^Tickets: .*\\b${type} 50\\b`, 'm').test(text));
  while (accountReady && !stocked(state = await nymvpnc(lab, ['get-account-state'])) && Date.now() < until) await new Promise((r) => setTimeout(r, 1000));
  say(state.trimEnd());
  const ticketsIn = stocked(state);
  if (accountReady && !ticketsIn) say('no ticketbooks within 120 s: see the daemon log');
  return sawExit && outside.length === 0 && seen.count > 0 && accountReady && ticketsIn;
}

async function run(): Promise<number> {
  say('building the lab (network namespaces, wireguard-go gateways, the router with nym-vpnd)…');
  const lab = await buildLab({ prefix: 'demo', verbose, editConfig: undefined });
  let ok = false;
  try {
    ok = await main(lab);
    say(ok ? 'demo: OK — two hops, nothing else on the WAN' : 'demo: FAILED');
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
