// The corpus of /work/shared/fixtures/uci: for every config, `uci show` and `uci export` as the
// real openwrt/uci answered them (stdout, stderr, exit code), byte for byte, through our CLI.

import test from 'ava';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fixturesDir, runUci } from './cli-runner.js';

const configsDir = join(fixturesDir, 'configs');
const expectedDir = join(fixturesDir, 'expected');
const configs = readdirSync(configsDir).sort();

test('the corpus is there', (t) => {
  t.is(configs.length, 150);
});

for (const config of configs) {
  for (const command of ['show', 'export'] as const) {
    test(`fixture ${config} ${command}`, async (t) => {
      const expected = (kind: string) => readFileSync(join(expectedDir, `${config}.${command}.${kind}`), 'latin1');
      const run = await runUci(['-c', configsDir, command, config]);
      t.is(run.stdout, expected('out'), 'stdout');
      t.is(run.stderr.replaceAll(configsDir, 'CONFIGDIR'), expected('err'), 'stderr');
      t.is(run.code, Number(expected('rc').trim()), 'exit code');
    });
  }
}
