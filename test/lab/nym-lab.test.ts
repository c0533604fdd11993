// The lab in its mixnet registration mode: every gateway namespace runs a Nym gateway stand-in process beside
// its wireguard-go (which starts with no peer), inet runs the lab nym-api, and the router's UCI names the
// nym-api instead of peers. From inside the router namespace, register-once.ts does what the daemon will:
// ticketbooks from the lab vpn-api, one mixnet client pinned to the entry, registration with the entry's and
// the exit's authenticators in parallel. Each authenticator judges the ticket against the lab signers' master
// key and `wg set`s our key into its wireguard-go; a second run with the same keys gets the same peers back
// without spending. The keys registered are the router's own (its state dir), so the nested two-hop baseline
// on the router then carries LAN traffic through exactly the peers registration added.
import test from 'ava';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NYM_API_URL } from '../../tools/lab/addresses.js';
import { gatewayJson } from '../../tools/lab/directory-server.js';
import { directoryGateways } from '../../tools/lab/inet-services.js';
import { labNymAddress } from '../../tools/lab/lab-keys.js';
import { JsonLinesChild } from '../../tools/lab/process.js';
import { buildLab, type NymLab } from '../../tools/lab/topology.js';
import { startBaselineTwoHop } from '../../tools/lab/baseline.js';
import type { GatewayPlan } from '../../tools/lab/addresses.js';
import { parseGateway } from '../../src/gateways/gateway.js';
import { NymRegistrar } from '../../src/nym-registration/nym-registrar.js';
import type { RegisteredPeer } from '../../src/gateways/registrar.js';
import { findOption, findSection, parseUci, type UciPackage } from '../../src/uci/index.js';

const REGISTER_ONCE_JS = fileURLToPath(new URL('../../tools/lab/register-once.js', import.meta.url));
/** Issuance of four ticketbooks (WASM), the mixnet client's start and two registrations, on a busy 2-core box. */
const RUN_BUDGET_MS = 240_000;

interface Run {
  gateways: { canRegister: Record<'entry' | 'exit', boolean> };
  registered: Record<'entry' | 'exit', { ourPublicKey: string; peer: RegisteredPeer }>;
  tickets: { used: Record<string, number>; spentThisRun: number };
  done: { mixnetReadyMs: number; registeredMs: number };
}

const opt = (pkg: UciPackage, section: string, name: string) => {
  const o = findOption(findSection(pkg, section)!, name);
  return o?.type === 'string' ? o.value : undefined;
};

let lab: NymLab;
let first: Run | undefined;

/** One register-once run in the router namespace; resolves with its lines once it printed `done`. */
async function registerOnce(): Promise<Run> {
  const child = new JsonLinesChild(lab.ns.router.spawn(process.execPath,
    [REGISTER_ONCE_JS, '--state', join(lab.workDir, 'register-once'), '--entry', lab.defaultEntry.id, '--exit', lab.defaultExit.id, '--nym-api', lab.nymApiUrl!,
      '--entry-key', lab.files.entryKeyFile, '--exit-key', lab.files.exitKeyFile],
    { stdio: ['ignore', 'pipe', 'pipe'] }));
  const end = await child.next<{ event: string; message?: string }>((m) => m?.event === 'done' || m?.event === 'error', RUN_BUDGET_MS);
  if (end.event === 'error') throw new Error(`register-once: ${end.message}\n${child.stderr.slice(-3000)}`);
  const line = (event: string, pred: (m: any) => boolean = () => true) => child.messages.find((m: any) => m?.event === event && pred(m)) as any;
  return {
    gateways: line('gateways'),
    registered: { entry: line('registered', (m) => m.role === 'entry'), exit: line('registered', (m) => m.role === 'exit') },
    tickets: line('tickets'),
    done: end as unknown as Run['done'],
  };
}

function expectedPeer(plan: GatewayPlan): RegisteredPeer {
  return { publicKey: lab.gateway(plan.id).keys.publicKey, endpoint: { host: plan.ip, port: plan.port }, addresses: { ipv4: plan.ours.v4, ipv6: plan.ours.v6 }, metered: true };
}

test.before(async () => {
  lab = await buildLab({ prefix: 'nm', registration: 'mixnet', daemon: 'none' });
  console.log(`mixnet-mode lab built in ${lab.buildMs} ms`);
});

test.after.always(async () => {
  await lab?.destroy();
});

test.serial('mixnet mode: gateways run Nym stand-ins with the directory\'s identities and authenticator addresses; wireguard-go starts with no peer; the router\'s UCI names the nym-api and no peers', async (t) => {
  t.is(lab.registration, 'mixnet');
  t.is(lab.nymApiUrl, NYM_API_URL);
  const probe = new NymRegistrar({ channel: { send: async () => {}, subscribe: () => () => {} }, privateKey: async () => new Uint8Array(32),
    tickets: { spend: async () => new Uint8Array(), upgradeModeToken: async () => undefined } });
  for (const plan of lab.plans) {
    const gw = lab.gateway(plan.id);
    t.truthy(gw.nym, `${plan.label} runs a Nym gateway stand-in`);
    t.is(gw.nym!.identity, plan.id, 'its identity is the one the directory and UCI use');
    t.is(gw.nym!.wsPort, 9000);
    t.is(gw.nym!.ready.mixPort, 1789);
    t.is(gw.nym!.ready.wgPublicKey, gw.keys.publicKey, 'its authenticator answers with wireguard-go\'s key');
    t.is(gw.nym!.authenticatorAddress, labNymAddress(plan.id, 'authenticator'));
    t.deepEqual((await gw.show()).peers, [], 'no peer before registration');
    t.deepEqual(gw.registrations(), []);
    // What the directory serves for it, through the daemon's parser: registrable over the mixnet in its role.
    const g = parseGateway(gatewayJson(directoryGateways(lab.plans).find((d) => d.id === plan.id)!));
    t.is(g.authenticatorAddress, gw.nym!.authenticatorAddress, 'the directory lists the stand-in\'s real authenticator address');
    t.is(g.wsPort, 9000);
    t.is(g.mixPort, 1789);
    t.true(probe.canRegister(g, plan.role, Date.now()), `${plan.label}: canRegister as ${plan.role}`);
  }
  const uci = parseUci(readFileSync(lab.files.nymVpnConfig), { name: 'nym-vpn' });
  t.is(uci.sections.filter((s) => s.type === 'peer').length, 0, 'no `config peer` sections');
  t.is(opt(uci, 'main', 'nym_api_url'), NYM_API_URL);
  t.is(opt(uci, 'entry', 'id'), lab.defaultEntry.id);
  t.is(opt(uci, 'exit', 'id'), lab.defaultExit.id);
});

test.serial('from the router: ticketbooks from the lab vpn-api, one mixnet channel, entry and exit registered in parallel; each gateway\'s wireguard-go now has our key with the planned addresses', async (t) => {
  const run = await registerOnce();
  first = run;
  t.deepEqual(run.gateways.canRegister, { entry: true, exit: true }, 'the served directory, parsed by the daemon\'s parser, is registrable');
  for (const [role, plan] of [['entry', lab.defaultEntry], ['exit', lab.defaultExit]] as const) {
    const { ourPublicKey, peer } = run.registered[role];
    t.is(ourPublicKey, lab.keys[role].publicKey, 'the router\'s own key for the hop');
    t.deepEqual(peer, expectedPeer(plan), `${role}: the gateway's key and endpoint, our planned addresses`);
    const gw = lab.gateway(plan.id);
    t.deepEqual(gw.registrations(), [{ key: ourPublicKey, ipv4: plan.ours.v4, ipv6: plan.ours.v6, reused: false }]);
    const peers = (await gw.show()).peers;
    t.deepEqual(peers.map((p) => ({ key: p.publicKey, ips: [...p.allowedIps].sort() })), [{ key: ourPublicKey, ips: [`${plan.ours.v4}/32`, `${plan.ours.v6}/128`].sort() }]);
  }
  t.is(run.tickets.spentThisRun, 2, 'one ticket per hop');
  t.like(run.tickets.used, { 'v1-wireguard-entry': 1, 'v1-wireguard-exit': 1 });
  t.log(`mixnet client ready ${run.done.mixnetReadyMs} ms after its start; both hops registered at ${run.done.registeredMs} ms`);
});

test.serial('a second run with the same keys gets the same peers back without spending; wireguard-go keeps one peer each', async (t) => {
  if (!first) return t.fail('needs the first registration');
  const run = await registerOnce();
  t.deepEqual(run.registered.entry.peer, first.registered.entry.peer);
  t.deepEqual(run.registered.exit.peer, first.registered.exit.peer);
  t.is(run.tickets.spentThisRun, 0, 'nothing spent');
  t.deepEqual(run.tickets.used, first.tickets.used);
  for (const [role, plan] of [['entry', lab.defaultEntry], ['exit', lab.defaultExit]] as const) {
    const gw = lab.gateway(plan.id);
    const key = first.registered[role].ourPublicKey;
    t.deepEqual(gw.registrations(), [
      { key, ipv4: plan.ours.v4, ipv6: plan.ours.v6, reused: false },
      { key, ipv4: plan.ours.v4, ipv6: plan.ours.v6, reused: true },
    ]);
    t.deepEqual((await gw.show()).peers.map((p) => p.publicKey), [key]);
  }
});

test.serial('the registered peers carry traffic: the two-hop baseline with the router\'s keys reaches inet from the exit\'s address', async (t) => {
  if (!first) return t.fail('needs the first registration');
  const baseline = await startBaselineTwoHop(lab);
  try {
    t.deepEqual(await lab.curl('http://192.0.2.80/'), { status: 200, body: `you are ${lab.defaultExit.ip}\n` });
    t.deepEqual(await lab.curl('http://[2001:db8:80::80]/'), { status: 200, body: `you are ${lab.defaultExit.ip6}\n` });
  } finally {
    await baseline.stop();
  }
  for (const plan of [lab.defaultEntry, lab.defaultExit]) {
    t.true((await lab.gateway(plan.id).show()).peers[0]!.latestHandshake > 0, `${plan.label}: a WireGuard handshake with the registered peer`);
  }
});
