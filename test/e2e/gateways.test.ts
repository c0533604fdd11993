// Choosing gateways like NymVPN does, in the lab: the directory (nym-vpn-api JSON from inet) lists
// two entries (DE, NL) and two exits (CH, SE), each a real wireguard-go in its own namespace; the
// static peers in UCI register them. The internet host tells which exit we really left through.
import test from 'ava';
import { ADDR, MULTI_GATEWAYS } from '../../tools/lab/addresses.js';
import type { NymLab } from '../../tools/lab/topology.js';
import { nymvpnc, status, testLab } from './helpers.js';

let lab: NymLab;
test.before(async () => { lab = await testLab('gw', { gateways: MULTI_GATEWAYS }); });
test.after.always(async () => { await lab?.destroy(); });

const ipOf = (country: string) => MULTI_GATEWAYS.find((g) => g.country === country)!.ip;

async function connect(args: string[]): Promise<Record<string, unknown>> {
  const r = await nymvpnc(lab, ['--json', 'connect', '--wait-until-connected', '--timeout', '30', ...args]);
  return JSON.parse(r.stdout) as Record<string, unknown>;
}

test.serial('countries and gateways come from the directory', async (t) => {
  t.is((await nymvpnc(lab, ['list-entry-countries'])).stdout, 'DE\nNL\n');
  t.is((await nymvpnc(lab, ['list-exit-countries'])).stdout, 'CH\nSE\n');
  const exits = JSON.parse((await nymvpnc(lab, ['--json', 'list-exit-gateways'])).stdout) as { gateways: Array<{ country: string; static: boolean }>; cached: boolean };
  t.deepEqual(exits.gateways.map((g) => g.country).sort(), ['CH', 'SE']);
  t.true(exits.gateways.every((g) => g.static), 'each has a static peer to register it');
  t.false(exits.cached);
  const se = JSON.parse((await nymvpnc(lab, ['--json', 'list-exit-gateways', '--country', 'se'])).stdout) as { gateways: unknown[] };
  t.is(se.gateways.length, 1);
});

test.serial('--entry-gateway-country DE --exit-gateway-country CH: the internet host sees the CH exit', async (t) => {
  const s = await connect(['--entry-gateway-country', 'DE', '--exit-gateway-country', 'CH']);
  t.is(s.state, 'connected', JSON.stringify(s));
  t.is((s.entry as { country: string }).country, 'DE');
  t.is((s.exit as { country: string }).country, 'CH');
  t.is((await lab.curl('lan', `http://${ADDR.inetWeb.v4}/`)).body, `you are ${ipOf('CH')}\n`);
});

test.serial('then NL → SE, on the same daemon: the host sees the SE exit', async (t) => {
  const s = await connect(['--entry-gateway-country', 'nl', '--exit-gateway-country', 'SE']);
  t.is(s.state, 'connected', JSON.stringify(s));
  t.is((s.entry as { country: string }).country, 'NL');
  t.is((await lab.curl('lan', `http://${ADDR.inetWeb.v4}/`)).body, `you are ${ipOf('SE')}\n`);
});

test.serial('random and low-latency entries connect, and entry and exit always differ', async (t) => {
  for (const mode of ['--entry-gateway-random', '--entry-gateway-low-latency']) {
    const s = await connect([mode, '--exit-gateway-random']);
    t.is(s.state, 'connected', `${mode}: ${JSON.stringify(s)}`);
    t.true(['DE', 'NL'].includes((s.entry as { country: string }).country));
    t.true(['CH', 'SE'].includes((s.exit as { country: string }).country));
    t.notDeepEqual((s.entry as { id: string }).id, (s.exit as { id: string }).id);
    const exitIp = ipOf((s.exit as { country: string }).country);
    t.is((await lab.curl('lan', `http://${ADDR.inetWeb.v4}/`)).body, `you are ${exitIp}\n`);
  }
});

test.serial('a country without gateways is an error upstream names: InvalidExitGatewayCountry', async (t) => {
  const s = await connect(['--exit-gateway-country', 'FR']);
  t.is(s.state, 'error');
  t.deepEqual(s.error, { reason: 'InvalidExitGatewayCountry', message: (s.error as { message: string }).message });
  t.regex((s.error as { message: string }).message, /FR/);
  const e = await connect(['--entry-gateway-country', 'JP']);
  t.is((e.error as { reason: string }).reason, 'InvalidEntryGatewayCountry');
});

test.serial('with the directory down, the cached list still lets the router connect', async (t) => {
  const dir = lab.inet.directory!;
  await new Promise<void>((r) => { dir.once('exit', () => r()); dir.kill('SIGKILL'); });
  // A fresh daemon has nothing in memory: only the disk cache can answer.
  await nymvpnc(lab, ['disconnect']);
  await lab.restartDaemon();
  const g = JSON.parse((await nymvpnc(lab, ['--json', 'list-entry-gateways'])).stdout) as { cached: boolean; gateways: unknown[] };
  t.true(g.cached, 'served from the cache');
  t.is(g.gateways.length, 2);
  const s = await connect(['--entry-gateway-country', 'DE', '--exit-gateway-country', 'SE']);
  t.is(s.state, 'connected', JSON.stringify(s));
  t.is((await lab.curl('lan', `http://${ADDR.inetWeb.v4}/`)).body, `you are ${ipOf('SE')}\n`);
  await nymvpnc(lab, ['disconnect']);
  t.is((await status(lab)).state, 'disconnected');
});
