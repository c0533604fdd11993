// Hand-written lookup cases through the real CLI: get of sections/options/lists, @type[n] with
// negative n, generated names of anonymous sections, error answers, show without a config.
// Expectations derived from openwrt/uci's list.c, util.c and cli.c (function in the comment).

import test from 'ava';
import { makeConfigDir, runUci, uciOn } from './cli-runner.js';

// Sections in order: anonymous t, t 'named', anonymous u, anonymous t.
const CONFIG = [
  'config t',
  '\toption o first',
  "config t 'named'",
  '\tlist l a',
  "\tlist l 'b c'",
  'config u',
  'config t',
  '\toption o last',
  '\toption q "it\'s"',
  '',
].join('\n');

async function get(...args: string[]) {
  const run = await uciOn(CONFIG, ...args);
  return [run.stdout, run.stderr, run.code] as const;
}

test('@type[n] counts named sections too; negative n counts from the end', async (t) => {
  // uci_lookup_ext_section: every section of the type counts; idx < 0 → idx += count.
  t.deepEqual(await get('get', 'c.@t[0].o'), ['first\n', '', 0]);
  t.deepEqual(await get('get', 'c.@t[1]'), ['t\n', '', 0]);
  t.deepEqual(await get('get', 'c.@t[-1].o'), ['last\n', '', 0]);
  t.deepEqual(await get('get', 'c.@t[-3].o'), ['first\n', '', 0]);
  t.deepEqual(await get('get', 'c.@t[-4]'), ['', 'uci: Entry not found\n', 1]);
  t.deepEqual(await get('get', 'c.@t[5]'), ['', 'uci: Entry not found\n', 1]);
});

test('@[n] counts sections of any type; the index is read by strtol', async (t) => {
  // An empty type matches all; strtol takes leading blanks and a sign, "" reads as 0, and any
  // character left over is Invalid argument.
  t.deepEqual(await get('get', 'c.@[2]'), ['u\n', '', 0]);
  t.deepEqual(await get('get', 'c.@t[]'), ['t\n', '', 0]);
  t.deepEqual(await get('get', 'c.@t[ +1].l'), ["a 'b c'\n", '', 0]);
  t.deepEqual(await get('get', 'c.@t[1x]'), ['', 'uci: Invalid argument\n', 1]);
  t.deepEqual(await get('get', 'c.@t[0]x'), ['', 'uci: Invalid argument\n', 1]);
});

test('get: section type, raw string, list items quoted only when they hold blanks', async (t) => {
  // cli.c uci_show_value(…, quote=false); -d sets the list delimiter.
  t.deepEqual(await get('get', 'c.named'), ['t\n', '', 0]);
  t.deepEqual(await get('get', 'c.named.l'), ["a 'b c'\n", '', 0]);
  t.deepEqual(await get('-d', ',', 'get', 'c.named.l'), ["a,'b c'\n", '', 0]);
  t.deepEqual(await get('get', 'c.@t[-1].q'), ["it's\n", '', 0]);
  t.deepEqual(await get('get', 'c'), ['', '', 0]);
});

test('anonymous sections are named cfg + section count + djb2(type)', async (t) => {
  // list.c: uci_alloc_section counts every section, uci_fixup_section formats "cfg%02x%04x"
  // with that count and djb2 of the type ("t" → 0xb619, "u" → 0xb61a).
  t.deepEqual(await get('get', 'c.cfg04b619.q'), ["it's\n", '', 0]);
  t.deepEqual(await get('get', 'c.cfg03b61a'), ['u\n', '', 0]);
  const show = await uciOn(CONFIG, 'show', 'c.@t[-1]');
  t.is(show.stdout, "c.cfg04b619=t\nc.cfg04b619.o='last'\nc.cfg04b619.q='it'\\''s'\n");
  const option = await uciOn(CONFIG, 'show', 'c.@t[0].o');
  t.is(option.stdout, "c.cfg01b619.o='first'\n");
  const peers = await uciOn("config nym-vpn 'main'\nconfig peer\nconfig peer\n", '-n', 'export', 'c');
  t.is(peers.stdout, "package c\n\nconfig nym-vpn 'main'\n\nconfig peer 'cfg023511'\n\nconfig peer 'cfg033511'\n\n");
});

test('show: @type[n] by default, real names with -X', async (t) => {
  // cli.c uci_lookup_section_ref: the index counts all sections of the type seen so far.
  const ext = await uciOn(CONFIG, 'show', 'c');
  t.is(
    ext.stdout,
    "c.@t[0]=t\nc.@t[0].o='first'\nc.named=t\nc.named.l='a' 'b c'\nc.@u[0]=u\n" +
      "c.@t[2]=t\nc.@t[2].o='last'\nc.@t[2].q='it'\\''s'\n",
  );
  const plain = await uciOn(CONFIG, '-X', 'show', 'c');
  t.is(plain.stdout.split('\n')[0], 'c.cfg01b619=t');
});

test('errors: missing entries, bad paths, values where none belong', async (t) => {
  t.deepEqual(await get('get', 'c.named.nope'), ['', 'uci: Entry not found\n', 1]);
  t.deepEqual(await get('get', 'nope.x'), ['', 'uci: Entry not found\n', 1]);
  t.deepEqual(await get('show', 'nope'), ['', 'uci: Entry not found\n', 1]);
  // uci_parse_ptr: bad option name or a fourth part → Parse error, with no position.
  t.deepEqual(await get('get', 'c.named.bad-name'), ['', 'uci: Parse error\n', 1]);
  t.deepEqual(await get('get', 'c.a.b.c'), ['', 'uci: Parse error\n', 1]);
  // A section that is neither a name nor @…[…] → Invalid argument (uci_lookup_ext_section).
  t.deepEqual(await get('get', 'c.bad-sec'), ['', 'uci: Invalid argument\n', 1]);
  t.deepEqual(await get('get', 'c.'), ['', 'uci: Invalid argument\n', 1]);
  // get with "=value": exit 1 without a word (uci_do_section_cmd).
  t.deepEqual(await get('get', 'c.named.l=x'), ['', '', 1]);
  // -q silences errors, not the exit code.
  t.deepEqual(await get('-q', 'get', 'c.named.nope'), ['', '', 1]);
});

test('export ignores the section part of its argument', async (t) => {
  // package_cmd(CMD_EXPORT) exports ptr.p whatever the lookup found.
  const whole = await uciOn(CONFIG, 'export', 'c');
  const part = await uciOn(CONFIG, 'export', 'c.nothing');
  t.is(part.stdout, whole.stdout);
  t.is(part.code, 0);
});

test('usage: wrong argument counts exit 255, no command or a bad option exit 0', async (t) => {
  const extra = await uciOn(CONFIG, 'show', 'c', 'd');
  t.true(extra.stderr.startsWith('Usage: uci [<options>] <command> [<arguments>]\n'));
  t.is(extra.code, 255);
  const unknown = await uciOn(CONFIG, 'frobnicate');
  t.is(unknown.code, 255);
  const none = await runUci([]);
  t.true(none.stderr.startsWith('Usage: uci'));
  t.is(none.code, 0);
  const badOption = await runUci(['-z', 'show']);
  t.true(badOption.stderr.startsWith("uci: invalid option -- 'z'\nUsage: uci"));
  t.is(badOption.code, 0);
  // Options after the command are still options (glibc getopt permutes).
  t.deepEqual((await get('get', 'c.named.l', '-d', '/')).slice(0, 1), ["a/'b c'\n"]);
});

test('show without a config: configs in byte order, errors inline, exit 0', async (t) => {
  // file.c uci_list_config_files: glob "*" (no dot files), sorted, directories and names with
  // '.' skipped. "\toption x 'open\n" ends at byte 16 with the quote open.
  const { dir, remove } = makeConfigDir({
    c: "config u 'two'\n",
    a: "config t 'one'\n",
    b: "config t\n\toption x 'open\n",
    'x.bak': "config t 'bak'\n",
    '.hidden': "config t 'hidden'\n",
    'sub/': '',
  });
  try {
    const run = await runUci(['-c', dir, 'show']);
    t.is(run.stdout, 'a.one=t\nc.two=u\n');
    t.is(run.stderr, "uci: Parse error (EOF with unterminated ') at line 2, byte 16\n");
    t.is(run.code, 0);
  } finally {
    remove();
  }
});

test('show without a config in an empty or missing directory', async (t) => {
  const { dir, remove } = makeConfigDir({});
  try {
    t.deepEqual(await runUci(['-c', dir, 'show']), { stdout: '', stderr: 'uci: Entry not found\n', code: 1 });
    t.deepEqual(await runUci(['-c', `${dir}/missing`, 'export']), { stdout: '', stderr: 'uci: Entry not found\n', code: 1 });
  } finally {
    remove();
  }
});
