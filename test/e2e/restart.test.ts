// Issue #11.7, after a crash: status tells the kill switch as the kernel holds it, a respawned nym-vpnd
// takes over a connection the owner still wanted (its kill switch adopted, never lifted in between), a
// kill switch nobody wants any more is lifted at start, and disconnect lifts it whatever state the daemon
// believes it is in (unless always on).
import test from 'ava';
import type { NymLab } from '../../tools/lab/topology.js';
import { nymvpnc, status, testLab, waitState } from './helpers.js';

let lab: NymLab;

test.before(async () => {
  lab = await testLab('rst');
});
test.after.always(async () => {
  await lab?.destroy();
});

const ourTables = async (): Promise<string[]> =>
  (await lab.exec('router', 'nft', ['list', 'tables', 'inet'])).stdout.split('\n').map((l) => /^table inet (nym\S*)$/.exec(l.trim())?.[1]).filter((x): x is string => x !== undefined && x !== 'nym_nat');

test.serial('killed while connected: the kill switch stays; the respawned daemon reconnects on its own and says so', async (t) => {
  const r = await nymvpnc(lab, ['connect', '--wait-until-connected', '--timeout', '30']);
  t.regex(r.stdout, /State: +connected/);
  await lab.stopDaemon('SIGKILL');
  t.deepEqual(await ourTables(), ['nym'], 'the kill switch outlives the daemon');
  await lab.startDaemon();
  const s = await waitState(lab, (x) => x.state === 'connected', 30_000);
  t.truthy(s, 'the respawned daemon reconnected (the intent of the owner survived in /var/run)');
  t.true(s!.kill_switch_active as boolean);
  t.deepEqual(await ourTables(), ['nym']);
  t.is((await lab.curl('lan', 'http://192.0.2.80/')).body, `you are ${lab.defaultExit.ip}\n`);
});

test.serial('a stray kill switch with no connection wanted is lifted at start; status reads the kernel; disconnect lifts one that appears later', async (t) => {
  await nymvpnc(lab, ['disconnect']);
  t.deepEqual(await ourTables(), []);
  // A kill switch nobody asked for (a daemon killed between connect and the intent being written, a hand-loaded file).
  await lab.stopDaemon('SIGKILL');
  await lab.exec('router', 'nft', ['-f', '-'], { input: 'table inet nym {\n  chain forward {\n    type filter hook forward priority filter - 10; policy drop;\n  }\n}\n' });
  await lab.startDaemon();
  const s = await status(lab);
  t.is(s.state, 'disconnected');
  t.false(s.kill_switch_active as boolean, 'lifted at start, and status says so from the kernel');
  t.deepEqual(await ourTables(), []);
  // And if one appears while the daemon believes it is disconnected, status shows it and disconnect lifts it.
  await lab.exec('router', 'nft', ['-f', '-'], { input: 'table inet nym {\n  chain forward {\n    type filter hook forward priority filter - 10; policy drop;\n  }\n}\n' });
  const seen = await waitState(lab, (x) => x.kill_switch_active === true, 5_000);
  t.truthy(seen, 'status reads the kernel, not its own memory');
  const d = await nymvpnc(lab, ['--json', 'disconnect']);
  t.false((JSON.parse(d.stdout) as { kill_switch_active: boolean }).kill_switch_active);
  t.deepEqual(await ourTables(), []);
});
