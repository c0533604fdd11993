// The corpus of /work/shared/fixtures/uci: for every config, `uci show` and `uci export` as the
// real openwrt/uci answered them (stdout, stderr, exit code), byte for byte, through our CLI.

import anyTest from 'ava';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fixturesDir, fixturesMissing, runUci } from './cli-runner.js';

// The corpus comes from ../shared/fixtures; a clone without it skips these, saying why.
const test = (fixturesMissing ? anyTest.skip : anyTest) as typeof anyTest;
if (fixturesMissing) anyTest('the uci corpus', (t) => { t.log(`skipped: ${fixturesMissing}`); t.pass(); });

const configsDir = join(fixturesDir, 'configs');
const expectedDir = join(fixturesDir, 'expected');
const configs = fixturesMissing ? [] : readdirSync(configsDir).sort();

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

// `uci show` / `uci export` without a config walk the directory in byte order and print each
// config's output and errors in turn; the exit code is 0 even when some configs fail
// (cli.c uci_do_package_cmd ignores package_cmd's result).
for (const command of ['show', 'export'] as const) {
  test(`fixture directory: ${command} without a config`, async (t) => {
    const concat = (kind: string) =>
      configs.map((c) => readFileSync(join(expectedDir, `${c}.${command}.${kind}`), 'latin1')).join('');
    const run = await runUci(['-c', configsDir, command]);
    t.is(run.stdout, concat('out'));
    t.is(run.stderr.replaceAll(configsDir, 'CONFIGDIR'), concat('err'));
    t.is(run.code, 0);
  });
}
