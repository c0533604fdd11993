// The project's `uci` CLI beside the REAL one (openwrt/uci built from ../shared/openwrt by
// test/helpers/openwrt-parts.ts): on every config of the corpus (../shared/fixtures/uci) the real uci's
// `show` and `export` still give what the corpus recorded (which fixtures.test.ts holds our CLI to, byte
// for byte), and `uci get` of keys it shows agrees with ours (our CLI only reads: show, export, get).
// Without ../shared these tests skip, saying why.
import test from 'ava';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { openwrtParts } from '../helpers/openwrt-parts.js';
import { fixturesDir, runUci, type CliRun } from './cli-runner.js';

const parts = await openwrtParts();
const configsDir = join(fixturesDir, 'configs');
const expectedDir = join(fixturesDir, 'expected');
const skip = 'skip' in parts ? parts.skip : !existsSync(configsDir) ? `the uci corpus is not here (${configsDir})` : null;

function realUci(args: readonly string[]): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    // argv[0] 'uci', as the corpus was recorded: the real uci names itself by argv[0] in its errors.
    const c = spawn((parts as { uci: string }).uci, args, { argv0: 'uci', stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    c.stdout.on('data', (d: Buffer) => out.push(d));
    c.stderr.on('data', (d: Buffer) => err.push(d));
    c.on('error', reject);
    c.on('close', (code) => resolve({ stdout: Buffer.concat(out).toString('latin1'), stderr: Buffer.concat(err).toString('latin1'), code: code ?? -1 }));
  });
}

if (skip) {
  test('the real uci', (t) => { t.log(`skipped: ${skip}`); t.pass(); });
}
else {
  const configs = readdirSync(configsDir).sort();

  for (const command of ['show', 'export'] as const) {
    // fixtures.test.ts holds our CLI to the recorded answers byte for byte; here the real uci is held to them
    // too, so both agree on all of them without running our CLI 300 more times.
    test(`corpus: the real uci ${command} still gives what the corpus recorded, for each of the ${configs.length} configs`, async (t) => {
      const stale: string[] = [];
      for (const config of configs) {
        const real = await realUci(['-c', configsDir, command, config]);
        const expected = (kind: string) => readFileSync(join(expectedDir, `${config}.${command}.${kind}`), 'latin1');
        if (real.stdout !== expected('out') || real.stderr.replaceAll(configsDir, 'CONFIGDIR') !== expected('err') || real.code !== Number(expected('rc').trim())) stale.push(config);
      }
      t.deepEqual(stale, [], 'the real uci differs from what the corpus recorded');
    });
  }

  test('uci get of keys the real uci shows, in both', async (t) => {
    // The first three keys `uci show` prints of every fifth config, side by side: get must agree.
    const differ: string[] = [];
    let asked = 0;
    for (const config of configs.filter((_c, i) => i % 5 === 0)) {
      const shown = await realUci(['-c', configsDir, 'show', config]);
      const keys = shown.stdout.split('\n').filter((l) => l.includes('=')).slice(0, 3).map((l) => l.slice(0, l.indexOf('=')));
      for (const key of keys) {
        asked++;
        const [real, ours] = await Promise.all([realUci(['-c', configsDir, 'get', key]), runUci(['-c', configsDir, 'get', key])]);
        if (real.stdout !== ours.stdout || real.stderr !== ours.stderr || real.code !== ours.code) differ.push(`${key}: real ${JSON.stringify(real)} ours ${JSON.stringify(ours)}`);
      }
    }
    t.true(asked > 40, `${asked} keys`);
    t.deepEqual(differ, []);
  });
}
