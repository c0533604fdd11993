// Issue #13 in the lab, end to end: the router registers with its gateways over the mixnet, as upstream's
// nym-vpnd does in two-hop mode. The lab's gateways are Nym gateway stand-ins in front of wireguard-go
// (tools/lab/nym-gateway): upstream's own mixnet client (nym-client-wasm, in the daemon's worker) connects to the
// entry's websocket, the entry and exit authenticators each take a ticket from the router's own ticketbooks
// (issued by the lab signers behind the lab vpn-api) and `wg set` our key into their wireguard-go. No `config
// peer` section exists: the directory alone says where to go. The kill switch is up throughout.
import test from 'ava';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { NymLab } from '../../tools/lab/topology.js';
import { ADDR, DIRECTORY_PORT, IF, LAB_ACCOUNT_ADDRESS, LAB_ACCOUNT_MNEMONIC } from '../../tools/lab/addresses.js';
import type { PacketSummary } from '../../tools/lab/pcap.js';
import { nymvpnc, status, testLab, waitState } from './helpers.js';
import { waitFor } from '../helpers/bus.js';

let lab: NymLab;

const FULL = { 'v1-mixnet-entry': 50, 'v1-mixnet-exit': 0, 'v1-wireguard-entry': 50, 'v1-wireguard-exit': 50 };
const account = async () => JSON.parse((await nymvpnc(lab, ['--json', 'get-account-state'])).stdout) as Record<string, unknown> & { tickets?: Record<string, number> };
const same = (a: Record<string, number> | undefined, b: Record<string, number>) => a !== undefined && Object.keys(b).length === Object.keys(a).length && Object.entries(b).every(([k, v]) => a[k] === v);

test.before(async () => {
  lab = await testLab('mx', { registration: 'mixnet' });
  const file = join(lab.root, 'tmp/mnemonic');
  writeFileSync(file, `${LAB_ACCOUNT_MNEMONIC}\n`, { mode: 0o600 });
  const stored = await nymvpnc(lab, ['store-account', '--mnemonic-file', file]);
  if (stored.stdout !== `${LAB_ACCOUNT_ADDRESS}\n`) throw new Error(`store-account: ${stored.stdout}${stored.stderr}`);
  // Ready → the daemon asks the lab vpn-api for its three ticketbooks (5 s polls, as upstream).
  if (!(await waitFor(async () => same((await account()).tickets, FULL), 120_000, 500))) throw new Error(`no ticketbooks: ${JSON.stringify((await account()).tickets)}`);
});
test.after.always(async () => {
  await lab?.destroy();
});

/** What the WAN may carry while registering and connected: the tunnel's UDP, and TCP to the APIs and the entry's websocket. */
function allowedOutside(lab: NymLab): (p: PacketSummary) => boolean {
  const entry = lab.defaultEntry;
  const nymApi = new URL(lab.nymApiUrl!);
  const tcp = [
    { host: ADDR.inetDirectory.v4, port: DIRECTORY_PORT },
    { host: nymApi.hostname, port: Number(nymApi.port) },
    { host: entry.ip, port: lab.gateway(entry.id).nym!.wsPort },
  ];
  return (p) => p.proto === 'tcp' && tcp.some((e) => (p.dst === e.host && p.dport === e.port) || (p.src === e.host && p.sport === e.port));
}

test.serial('connect by country with registration over the mixnet: both hops pay one ticket of their type, the internet host sees the exit, nothing else leaves the WAN', async (t) => {
  const capture = await lab.capture('router', IF.routerWan);
  const started = Date.now();
  const r = await nymvpnc(lab, ['connect', '--entry-gateway-country', 'DE', '--exit-gateway-country', 'CH', '--wait-until-connected', '--timeout', '90']);
  t.regex(r.stdout, /State: +connected/, `${r.stdout}${r.stderr}\n${readFileSync(lab.router.daemonLogFile, 'utf8').slice(-3000)}`);
  t.log(`connected over mixnet registration in ${Date.now() - started} ms`);
  t.is((await lab.curl('lan', `http://${ADDR.inetWeb.v4}/`)).body, `you are ${lab.defaultExit.ip}\n`);
  t.is((await lab.curl('lan', `http://[${ADDR.inetWeb.v6}]/`)).body, `you are ${lab.defaultExit.ip6}\n`);
  const seen = await capture.stop();
  const leaked = seen.outsideTunnel(lab.entryEndpoints()).filter((p) => !allowedOutside(lab)(p));
  t.deepEqual(seen.describe(leaked.slice(0, 10)), seen.describe([]), 'only the tunnel, the APIs and the entry websocket on the WAN');
  t.true(seen.packets.some((p) => p.proto === 'tcp' && p.dst === lab.defaultEntry.ip && p.dport === lab.gateway(lab.defaultEntry.id).nym!.wsPort), 'the mixnet client went to the entry gateway');

  const s = await status(lab);
  t.is((s.entry as { country: string }).country, 'DE');
  t.is((s.exit as { country: string }).country, 'CH');
  const entryRegs = lab.gateway(lab.defaultEntry.id).registrations();
  const exitRegs = lab.gateway(lab.defaultExit.id).registrations();
  t.is(entryRegs.length, 1, JSON.stringify(entryRegs));
  t.is(exitRegs.length, 1, JSON.stringify(exitRegs));
  t.false(entryRegs[0]!.reused);
  t.is(entryRegs[0]!.key, lab.keys.entry.publicKey, 'the entry gateway registered our entry key');
  t.is(exitRegs[0]!.key, lab.keys.exit.publicKey, 'the exit gateway registered our exit key');
  const peers = (await lab.gateway(lab.defaultExit.id).show()).peers.map((p) => p.publicKey);
  t.true(peers.includes(lab.keys.exit.publicKey), 'the exit authenticator put our key into its wireguard-go');
  t.true(same((await account()).tickets, { ...FULL, 'v1-wireguard-entry': 49, 'v1-wireguard-exit': 49 }), JSON.stringify((await account()).tickets));
  t.regex(readFileSync(lab.router.daemonLogFile, 'utf8'), /mixnet: client \S+ ready in \d+ ms/);
});

test.serial('a reconnect reuses the registration: no ticket spent, the same addresses; the mixnet client is gone once connected', async (t) => {
  const before = lab.gateway(lab.defaultExit.id).registrations()[0]!;
  t.is((await nymvpnc(lab, ['disconnect'])).code, 0);
  const capture = await lab.capture('router', IF.routerWan);
  const r = await nymvpnc(lab, ['connect', '--entry-gateway-country', 'DE', '--exit-gateway-country', 'CH', '--wait-until-connected', '--timeout', '90']);
  t.regex(r.stdout, /State: +connected/, r.stdout + r.stderr);
  t.is((await lab.curl('lan', `http://${ADDR.inetWeb.v4}/`)).body, `you are ${lab.defaultExit.ip}\n`);
  const seen = await capture.stop();
  const leaked = seen.outsideTunnel(lab.entryEndpoints()).filter((p) => !allowedOutside(lab)(p));
  t.deepEqual(seen.describe(leaked.slice(0, 10)), seen.describe([]));
  const regs = lab.gateway(lab.defaultExit.id).registrations();
  t.is(regs.length, 2);
  t.true(regs[1]!.reused, 'the gateway knew our key: Registered at once');
  t.is(regs[1]!.ipv4, before.ipv4);
  t.true(same((await account()).tickets, { ...FULL, 'v1-wireguard-entry': 49, 'v1-wireguard-exit': 49 }), 'no ticket spent on a reconnect');
  // The worker (and the WASM client with it) ended before the tunnel came up: only the libuv threads are left.
  const pid = lab.router.daemon!.pid!;
  const log = readFileSync(lab.router.daemonLogFile, 'utf8');
  t.true(log.lastIndexOf('mixnet: client closed') > log.lastIndexOf('mixnet: starting the client'), 'the client was closed after the last registration');
  t.log(`daemon RSS once connected: ${/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]} kB`);
});

test.serial('bandwidth: status shows both gateways\' balances, each read inside its own hop; when one drains the daemon pays that gateway one ticket of its type before it runs out', async (t) => {
  const exit = lab.gateway(lab.defaultExit.id);
  type Balance = { remaining_bytes?: number; top_ups: number; checked_at?: number };
  const bw = (s: Record<string, unknown>, hop: 'entry' | 'exit' = 'exit') => (s.bandwidth as Record<string, Balance | undefined> | undefined)?.[hop];
  // The first check comes 5 s after the tunnel is up (upstream's period). The entry's service answers only
  // inside the entry hop: the daemon's userspace TCP reaches it there.
  const first = await waitState(lab, (s) => bw(s)?.remaining_bytes === 500_000_000 && bw(s, 'entry')?.remaining_bytes === 500_000_000, 20_000);
  t.truthy(first, 'both metadata services answered the balance their registration ticket bought');
  t.is(bw(first!)!.top_ups, 0);
  const shown = await nymvpnc(lab, ['status']);
  t.regex(shown.stdout, /^Bandwidth: +476\.8 MiB left at the entry gateway, checked /m);
  t.regex(shown.stdout, /^Bandwidth: +476\.8 MiB left at the exit gateway, checked /m);
  const ticketsBefore = (await account()).tickets!['v1-wireguard-exit']!;
  // 100 MB gone in one period: at that rate the rest lasts fewer than ten periods, so the daemon pays.
  await exit.nym!.setBandwidth(lab.defaultExit.ours.v4, 400_000_000n);
  const paid = await waitState(lab, (s) => bw(s)?.top_ups === 1, 20_000);
  t.truthy(paid, 'one ticket paid');
  t.is(bw(paid!)!.remaining_bytes, 900_000_000, 'the gateway credited one ticket (500 MB)');
  t.is((await account()).tickets!['v1-wireguard-exit'], ticketsBefore - 1);
  // The same for the entry, whose top-up travels by the userspace TCP inside the entry hop alone.
  const entryTickets = (await account()).tickets!['v1-wireguard-entry']!;
  await lab.gateway(lab.defaultEntry.id).nym!.setBandwidth(lab.defaultEntry.ours.v4, 400_000_000n);
  const entryPaid = await waitState(lab, (s) => bw(s, 'entry')?.top_ups === 1, 20_000);
  t.truthy(entryPaid, 'one entry ticket paid');
  t.is(bw(entryPaid!, 'entry')!.remaining_bytes, 900_000_000);
  t.is((await account()).tickets!['v1-wireguard-entry'], entryTickets - 1);
  t.is((await status(lab)).state, 'connected', 'the tunnel never went down');
});

test.serial('a caller hammering connect and disconnect while registrations run never leaves a mixnet client behind, nor a ticket spent twice for a known key', async (t) => {
  t.is((await nymvpnc(lab, ['disconnect'])).code, 0);
  const pid = Number(JSON.parse((await nymvpnc(lab, ['--json', 'info'])).stdout).pid);
  const ticketsBefore = (await account()).tickets!;
  const calls: Promise<unknown>[] = [];
  for (let i = 0; i < 12; i++) {
    calls.push(nymvpnc(lab, ['connect', '--entry-gateway-country', 'DE', '--exit-gateway-country', 'CH']));
    calls.push(nymvpnc(lab, ['disconnect']));
  }
  await Promise.all(calls);
  const r = await nymvpnc(lab, ['connect', '--entry-gateway-country', 'DE', '--exit-gateway-country', 'CH', '--wait-until-connected', '--timeout', '60']);
  t.regex(r.stdout, /State: +connected/, r.stdout + r.stderr);
  t.is((await lab.curl('lan', `http://${ADDR.inetWeb.v4}/`)).body, `you are ${lab.defaultExit.ip}\n`);
  const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean)
    .map((c) => { try { return readFileSync(`/proc/${c}/cmdline`, 'utf8').replace(/\0/g, ' ').trim(); } catch { return '(gone)'; } });
  t.deepEqual(children.filter((c) => c.includes('mixnet-client-process')), [], `no mixnet client process is left once connected (children: ${children.join('; ')})`);
  t.deepEqual((await account()).tickets, ticketsBefore, 'our keys are known to both gateways: every registration was answered at once, no ticket spent');
});

test.serial('an exit gateway whose authenticator never answers: the attempt times out as upstream (10 s), is retried, says why, and nothing leaks meanwhile', async (t) => {
  t.is((await nymvpnc(lab, ['disconnect'])).code, 0);
  await lab.gateway(lab.defaultExit.id).nym!.stop();
  const capture = await lab.capture('router', IF.routerWan);
  const r = await nymvpnc(lab, ['connect', '--entry-gateway-country', 'DE', '--exit-gateway-country', 'CH']);
  t.is(r.code, 0, r.stderr);
  const retrying = await waitState(lab, (s) => /authenticator/.test(String(s.last_reconnect_reason ?? '')), 40_000);
  t.truthy(retrying, 'the failed attempt is named in status');
  t.regex(String(retrying!.last_reconnect_reason), /no answer from the authenticator at \S+ within 10 s/);
  t.is(retrying!.state, 'connecting', 'retried: a silent gateway is the network\'s fault, not the account\'s');
  t.is(await lab.curl('lan', `http://${ADDR.inetWeb.v4}/`, { timeoutS: 2 }).then(() => 'answered', () => 'no answer'), 'no answer', 'the kill switch holds while it retries');
  t.is((await nymvpnc(lab, ['disconnect'])).code, 0);
  const seen = await capture.stop();
  const leaked = seen.outsideTunnel(lab.entryEndpoints()).filter((p) => !allowedOutside(lab)(p));
  t.deepEqual(seen.describe(leaked.slice(0, 10)), seen.describe([]), 'only the APIs, the entry websocket and the tunnel while failing');
  const s = await status(lab);
  t.is(s.state, 'disconnected');
});
