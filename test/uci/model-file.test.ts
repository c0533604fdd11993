// The model edits (with libuci's placement rules), the export writer, and writing files back:
// atomic, mode-preserving, never losing a section, never overwriting a file uci would refuse.

import test from 'ava';
import { lstatSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import {
  addAnonymousSection,
  addListValue,
  deleteOption,
  deleteSection,
  exportPackage,
  findSection,
  loadUciConfig,
  parseUci,
  serializeForCommit,
  setListValues,
  setOption,
  setSection,
  showPackage,
  UciError,
  updateUciConfig,
} from '../../src/uci/index.js';
import { fixturesDir, fixturesMissing, makeConfigDir } from './cli-runner.js';

const SAMPLE = [
  '# owner comment',
  "config nym-vpn 'main'",
  "\toption mtu '1340'",
  "\tlist dns '1.1.1.1'",
  'config peer',
  "\toption role 'entry'",
  "config policy 'lan'",
  "\tlist source 'lan'",
  'config custom',
  "\toption note 'it''s kept'",
  '',
].join('\n');

test('edits keep option places like uci set/add_list', (t) => {
  const pkg = parseUci(SAMPLE, { name: 'nym-vpn' });
  const main = findSection(pkg, 'main')!;
  setOption(main, 'autoconnect', '1');
  setOption(main, 'mtu', '1300');
  addListValue(main, 'dns', '9.9.9.9');
  t.deepEqual(
    main.options.map((o) => o.name),
    ['mtu', 'dns', 'autoconnect'],
  );
  setListValues(main, 'dns', ['8.8.8.8']);
  setOption(main, 'autoconnect', '');
  t.false(deleteOption(main, 'nothing'));
  t.is(
    exportPackage(pkg).split('\n\n')[1],
    "config nym-vpn 'main'\n\toption mtu '1300'\n\tlist dns '8.8.8.8'",
  );
  t.throws(() => setOption(main, 'bad-name', 'x'), { instanceOf: RangeError });
});

test('new anonymous sections continue the file\'s section count', (t) => {
  // 4 sections parsed → the next one is number 5; djb2("peer") & 0xffff = 0x3511.
  const pkg = parseUci(SAMPLE, { name: 'nym-vpn' });
  t.is(findSection(pkg, 'cfg023511')?.type, 'peer');
  t.is(addAnonymousSection(pkg, 'peer').name, 'cfg053511');
  t.is(setSection(pkg, 'extra', 'thing').name, 'extra');
  t.is(addAnonymousSection(pkg, 'peer').name, 'cfg073511');
  t.true(deleteSection(pkg, 'extra'));
});

test('export format: quotes everywhere, anonymous sections unnamed, commit form without header', (t) => {
  const pkg = parseUci(SAMPLE, { name: 'nym-vpn' });
  const body =
    "\nconfig nym-vpn 'main'\n\toption mtu '1340'\n\tlist dns '1.1.1.1'\n\nconfig peer\n\toption role 'entry'\n" +
    "\nconfig policy 'lan'\n\tlist source 'lan'\n\nconfig custom\n\toption note 'its kept'\n\n";
  t.is(exportPackage(pkg), `package nym-vpn\n${body}`);
  t.is(serializeForCommit(pkg), body);
  const quoted = parseUci("config t 's'\n\toption a \"it's\"\n", { name: 'q' });
  t.is(serializeForCommit(quoted), "\nconfig t 's'\n\toption a 'it'\\''s'\n\n");
});

(fixturesMissing ? test.skip : test)('export then parse gives the same config, for every corpus file uci accepts', (t) => {
  const configs = join(fixturesDir, 'configs');
  let checked = 0;
  for (const name of readdirSync(configs)) {
    let pkg;
    try {
      pkg = parseUci(readFileSync(join(configs, name)), { name, encoding: 'latin1' });
    } catch (error) {
      if (error instanceof UciError) continue;
      throw error;
    }
    const again = parseUci(Buffer.from(exportPackage(pkg), 'latin1'), { name, encoding: 'latin1' });
    t.is(showPackage(again), showPackage(pkg), name);
    t.is(exportPackage(again), exportPackage(pkg), name);
    checked++;
  }
  t.true(checked >= 100);
});

test('updateUciConfig changes one option and keeps every other section, atomically', async (t) => {
  const { dir, remove } = makeConfigDir({ 'nym-vpn': SAMPLE });
  try {
    chmodSync(join(dir, 'nym-vpn'), 0o640);
    const before = await loadUciConfig(dir, 'nym-vpn');
    await updateUciConfig(dir, 'nym-vpn', (pkg) => setOption(findSection(pkg, 'main')!, 'mtu', '1300'));
    const after = await loadUciConfig(dir, 'nym-vpn');

    t.deepEqual(after.sections.map((s) => [s.type, s.name]), before.sections.map((s) => [s.type, s.name]));
    t.deepEqual(after.sections.slice(1), before.sections.slice(1));
    t.deepEqual(findSection(after, 'main')?.options[0], { type: 'string', name: 'mtu', value: '1300' });
    t.true(readFileSync(join(dir, 'nym-vpn'), 'utf8').startsWith("\nconfig nym-vpn 'main'\n\toption mtu '1300'\n"));
    t.is(statSync(join(dir, 'nym-vpn')).mode & 0o777, 0o640);
    t.deepEqual(readdirSync(dir), ['nym-vpn']);
  } finally {
    remove();
  }
});

test('updateUciConfig refuses to overwrite a file that does not parse', async (t) => {
  const broken = "config nym-vpn 'main'\n\toption mtu '1340\n";
  const { dir, remove } = makeConfigDir({ 'nym-vpn': broken });
  try {
    const error = await t.throwsAsync(
      updateUciConfig(dir, 'nym-vpn', (pkg) => setSection(pkg, 'main', 'nym-vpn')),
      { instanceOf: UciError },
    );
    t.is(error?.code, 'PARSE');
    t.is(readFileSync(join(dir, 'nym-vpn'), 'utf8'), broken);
  } finally {
    remove();
  }
});

test('updateUciConfig creates a missing file (mode 0600) and writes through a symlink', async (t) => {
  const { dir, remove } = makeConfigDir({ real: "config t 'x'\n" });
  try {
    await updateUciConfig(dir, 'fresh', (pkg) => setOption(setSection(pkg, 'main', 'nym-vpn'), 'enabled', '0'));
    t.is(readFileSync(join(dir, 'fresh'), 'utf8'), "\nconfig nym-vpn 'main'\n\toption enabled '0'\n\n");
    t.is(statSync(join(dir, 'fresh')).mode & 0o777, 0o600);

    symlinkSync(join(dir, 'real'), join(dir, 'link'));
    await updateUciConfig(dir, 'link', (pkg) => setOption(findSection(pkg, 'x')!, 'a', '1'));
    t.true(lstatSync(join(dir, 'link')).isSymbolicLink());
    t.is(readFileSync(join(dir, 'real'), 'utf8'), "\nconfig t 'x'\n\toption a '1'\n\n");
  } finally {
    remove();
  }
});

test('values are UTF-8 for programs and survive a write', async (t) => {
  const { dir, remove } = makeConfigDir({ c: "config t 'x'\n\toption name 'Zürich ✓'\n" });
  try {
    const pkg = await loadUciConfig(dir, 'c');
    t.deepEqual(findSection(pkg, 'x')?.options[0], { type: 'string', name: 'name', value: 'Zürich ✓' });
    await updateUciConfig(dir, 'c', () => undefined);
    t.is(readFileSync(join(dir, 'c'), 'utf8'), "\nconfig t 'x'\n\toption name 'Zürich ✓'\n\n");
    writeFileSync(join(dir, 'c'), 'config t x\n');
    t.is((await loadUciConfig(dir, 'c')).sections[0]?.name, 'x');
  } finally {
    remove();
  }
});
