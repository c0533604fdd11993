// A config reload while connected: DNS alone keeps the tunnel (same handshakes, no reconnect);
// a new exit gateway in UCI reconnects to it.
import test from 'ava';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { ADDR, MULTI_GATEWAYS } from '../../tools/lab/addresses.js';
import type { NymLab } from '../../tools/lab/topology.js';
import { findSection, setListValues, setOption, updateUciConfig } from '../../src/uci/index.js';
import { nymvpnc, status, testLab, waitState } from './helpers.js';

let lab: NymLab;
test.before(async () => {
  lab = await testLab('rl', { gateways: MULTI_GATEWAYS });
  const r = await nymvpnc(lab, ['connect', '--wait-until-connected']);
  if (!/State: +connected/.test(r.stdout)) throw new Error(r.stdout + r.stderr);
});
test.after.always(async () => { await lab?.destroy(); });

const edit = (f: Parameters<typeof updateUciConfig>[2]) => updateUciConfig(join(lab.root, 'etc/config'), 'nym-vpn', f);

test.serial('a reload that changes only DNS keeps the tunnel: same handshake, no reconnect', async (t) => {
  const before = await status(lab);
  const hsBefore = before.handshake_age;
  await edit((pkg) => setListValues(findSection(pkg, 'main')!, 'dns', [ADDR.inetDns.v6, ADDR.inetDns.v4]));
  const r = JSON.parse((await nymvpnc(lab, ['--json', 'reload'])).stdout) as { reloaded: boolean; changed: string[]; reconnect: boolean };
  t.deepEqual(r, { reloaded: true, changed: ['main.dns'], reconnect: false });
  const after = await status(lab);
  t.is(after.state, 'connected');
  t.is(after.reconnects, before.reconnects);
  t.is(after.connected_since, before.connected_since, 'the same connection');
  t.true(Number((after.handshake_age as { exit: number }).exit) >= Number((hsBefore as { exit: number }).exit), 'no new handshake');
  t.deepEqual(after.dns, [ADDR.inetDns.v6, ADDR.inetDns.v4]);
  t.regex(readFileSync(join(lab.root, 'tmp/resolv.conf.d/resolv.conf.auto'), 'utf8'), /nameserver 2001:db8:80::53\nnameserver 192\.0\.2\.53/);
  t.deepEqual((await lab.dns('lan', ADDR.routerLan.v4, 'reload-check.lab.test', 'A')).answers, [ADDR.inetWeb.v4]);
});

test.serial('a reload that changes the exit gateway reconnects to the new one', async (t) => {
  const se = MULTI_GATEWAYS.find((g) => g.country === 'SE')!;
  const seId = lab.gatewayPlan(lab.gateway(se.label).id).id;
  await edit((pkg) => {
    const exit = findSection(pkg, 'exit')!;
    setOption(exit, 'select', 'id');
    setOption(exit, 'id', seId);
  });
  const r = JSON.parse((await nymvpnc(lab, ['--json', 'reload'])).stdout) as { changed: string[]; reconnect: boolean };
  t.true(r.reconnect);
  t.true(r.changed.includes('exit.id'));
  const s = await waitState(lab, (x) => x.state === 'connected' && (x.exit as { id: string } | undefined)?.id === seId, 20_000);
  t.truthy(s, 'connected through the SE exit');
  t.is((await lab.curl('lan', `http://${ADDR.inetWeb.v4}/`)).body, `you are ${se.ip}\n`);
});
