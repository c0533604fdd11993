// Hand-written syntax cases the corpus does not cover, run through the real CLI. Each
// expectation was worked out by hand from openwrt/uci's file.c (function named in the comment),
// not by running our code.

import test from 'ava';
import { uciOn } from './cli-runner.js';

const HEAD = "config t 's'\n";

test('line continuation joins a bare word with the next line', async (t) => {
  // parse_backslash: a backslash before the newline reads the next line in its place (uci_getln)
  // and the word goes on with the first character of that line.
  const run = await uciOn(`${HEAD}\toption a foo\\\nbar\n\toption b 2\n`, 'show', 'c');
  t.is(run.stdout, "c.s=t\nc.s.a='foobar'\nc.s.b='2'\n");
  t.is(run.code, 0);
});

test('line continuation into an indented line ends the word; the rest is a second argument', async (t) => {
  // parse_str: after a continuation the loop re-checks the current character; a tab ends the
  // word, so "bar" is a third argument and assert_eol fails. Buffer: "\toption a foo\" is
  // bytes 0-13, the next line is read at 14, "bar" ends at 18 and pos stops at 19; line 3.
  const run = await uciOn(`${HEAD}\toption a foo\\\n\tbar\n`, 'show', 'c');
  t.is(run.stderr, 'uci: Parse error (too many arguments) at line 3, byte 19\n');
  t.is(run.stdout, '');
  t.is(run.code, 1);
});

test('line continuation inside double quotes, and a backslash before CRLF', async (t) => {
  // parse_double_quote calls parse_backslash; "\r\n" at the end of the buffer counts as the end
  // of the line too.
  const run = await uciOn(`${HEAD}\toption a "x\\\ny"\n\toption b p\\\r\nq\n`, 'show', 'c');
  t.is(run.stdout, "c.s=t\nc.s.a='xy'\nc.s.b='pq'\n");
});

test('a quote left open reads on over the next lines', async (t) => {
  // parse_single_quote: at the end of the buffer it reads the next line and goes on; the
  // newline is part of the value. get prints a string option raw.
  const run = await uciOn(`${HEAD}\toption a 'one\ntwo'\n`, 'get', 'c.s.a');
  t.is(run.stdout, 'one\ntwo\n');
});

test("EOF inside single quotes: the docs' example position", async (t) => {
  // parse_single_quote: "\toption a 'unterminated\n" is 24 bytes; at byte 24 uci_getln finds
  // nothing more, so the error is at line 2, byte 24.
  const run = await uciOn(`${HEAD}\toption a 'unterminated\n`, 'show', 'c');
  t.is(run.stderr, "uci: Parse error (EOF with unterminated ') at line 2, byte 24\n");
  t.is(run.code, 1);
});

test('EOF inside double quotes on a last line without newline', async (t) => {
  // uci_getln counts a line only when it ends in '\n': the last line leaves the count at 1.
  // Buffer "option a \"x" is 11 bytes.
  const run = await uciOn(`${HEAD}option a "x`, 'export', 'c');
  t.is(run.stderr, 'uci: Parse error (EOF with unterminated ") at line 1, byte 11\n');
  t.is(run.code, 1);
});

test("';' between statements with a space before it", async (t) => {
  // next_arg: a ';' at the start of an argument ends the statement and is skipped, and
  // uci_parse_line goes on with the next statement; inside quotes ';' is data.
  const run = await uciOn(`${HEAD}\toption a 'x;y' ; option b 1\n`, 'show', 'c');
  t.is(run.stdout, "c.s=t\nc.s.a='x;y'\nc.s.b='1'\n");
});

test("';' glued to a plain word swallows the rest of the line", async (t) => {
  // parse_str stops at ';' without moving on and writes the terminating NUL at the target;
  // when nothing was unquoted, target == pos, so the ';' itself becomes the NUL and the next
  // statement is never seen. This is uci's behaviour: option b is lost.
  const run = await uciOn(`${HEAD}\toption a 1; option b 2\n`, 'show', 'c');
  t.is(run.stdout, "c.s=t\nc.s.a='1'\n");
  t.is(run.code, 0);
});

test("';' glued to a quoted word still separates statements", async (t) => {
  // Same as above, but the quotes made the target trail pos by two bytes, so the ';' survives
  // and assert_eol's next_arg eats it.
  const run = await uciOn(`${HEAD}\toption a '1'; option b 2\n`, 'show', 'c');
  t.is(run.stdout, "c.s=t\nc.s.a='1'\nc.s.b='2'\n");
});

test("a trailing ';' at the end of a line is an invalid command", async (t) => {
  // After the ';' is eaten, strtok(" \t") returns "\n" as the next word: not a keyword.
  // "option a 1 ;\n": ';' at 11, the error at 12.
  const run = await uciOn(`${HEAD}option a 1 ;\n`, 'show', 'c');
  t.is(run.stderr, 'uci: Parse error (invalid command) at line 2, byte 12\n');
  t.is(run.code, 1);
});

test('glued quoted and bare pieces make one token', async (t) => {
  // parse_str loops until unquoted whitespace; each piece appends to the same target.
  const run = await uciOn(`${HEAD}\toption a 'x'"y"z\\ w\n\tlist l a'b c'"d"\n`, 'show', 'c');
  t.is(run.stdout, "c.s=t\nc.s.a='xyz w'\nc.s.l='ab cd'\n");
});

test('comments: # ends a bare word, is data in quotes and when escaped', async (t) => {
  // parse_str: an unquoted '#' is replaced by NUL and ends the line; "\#" is copied.
  const run = await uciOn(`${HEAD}\toption a x#y z\n\toption b 'x#y'\n\toption c x\\#y # note\n`, 'show', 'c');
  t.is(run.stdout, "c.s=t\nc.s.a='x'\nc.s.b='x#y'\nc.s.c='x#y'\n");
});

test('one-letter keywords, package with a dash, and an ignored package name', async (t) => {
  // uci_parse_line accepts p/c/o/l; the package name may hold '-' (uci_validate_str with
  // package=true) but a file loaded by name keeps the file's name.
  const run = await uciOn("p my-name\nc t 's'\no a 1\nl b 2\nl b 3\n", 'show', 'c');
  t.is(run.stdout, "c.s=t\nc.s.a='1'\nc.s.b='2' '3'\n");
});

test("a package name with '.' is refused", async (t) => {
  // next_arg(…, name=true, package=true): '.' is not allowed; pos stops after the newline.
  const run = await uciOn('package a.b\n', 'show', 'c');
  t.is(run.stderr, 'uci: Parse error (invalid character in name field) at line 1, byte 12\n');
});

test('keywords need a following blank: "config" alone at the end of a line', async (t) => {
  // strtok splits on space and tab only: "config\n" is the word, which is not a keyword.
  const run = await uciOn('config\n', 'show', 'c');
  t.is(run.stderr, 'uci: Parse error (invalid command) at line 1, byte 0\n');
});

test('"config" as the last bytes of the file', async (t) => {
  // uci_increase_pos: the keyword ends the buffer, so there is no room for a name.
  const run = await uciOn('config', 'show', 'c');
  t.is(run.stderr, 'uci: Parse error (config without name) at line 0, byte 0\n');
});

test('an option before any section', async (t) => {
  const run = await uciOn('  option a 1\n', 'show', 'c');
  t.is(run.stderr, 'uci: Parse error (option/list command found before the first section) at line 1, byte 2\n');
});

test('repeated option: new value in place, same value no-op; list after option keeps the place', async (t) => {
  // list.c uci_set (update option) and uci_add_list insert the new option where the old one was.
  const run = await uciOn(`${HEAD}\toption a 1\n\toption b 2\n\toption a 3\n\toption b 2\n\tlist b 4\n`, 'export', 'c');
  t.is(run.stdout, "package c\n\nconfig t 's'\n\toption a '3'\n\tlist b '2'\n\tlist b '4'\n\n");
});

test("option after list replaces the list; option '' is ignored; list '' is kept", async (t) => {
  // uci_parse_option → uci_set with an empty value returns early (lookup not complete);
  // uci_add_list has no such check.
  const run = await uciOn(`${HEAD}\tlist a x\n\tlist a y\n\toption a z\n\toption a ''\n\tlist e ''\n`, 'show', 'c');
  t.is(run.stdout, "c.s=t\nc.s.a='z'\nc.s.e=''\n");
});

test('a named section declared again is reopened; with another type it is an error', async (t) => {
  // uci_parse_config: a known name continues that section; in strict mode a different type fails.
  const reopen = await uciOn("config t 's'\n\toption a 1\nconfig u 'x'\nconfig t 's'\n\toption b 2\n", 'show', 'c');
  t.is(reopen.stdout, "c.s=t\nc.s.a='1'\nc.s.b='2'\nc.x=u\n");
  const retype = await uciOn("config t 's'\nconfig u 's'\n", 'show', 'c');
  t.is(retype.stderr, 'uci: Parse error (section of different type overwrites prior section with same name) at line 2, byte 13\n');
});

test('-S: errors printed without prefix, the rest of the file is read', async (t) => {
  // uci_import with UCI_FLAG_PERROR and without STRICT: uci_perror(ctx, NULL) and next line;
  // without strict, extra arguments are ignored.
  const run = await uciOn(`${HEAD}\tbogus 1\n\toption a 1 extra\n\toption b 2\n`, '-S', 'show', 'c');
  t.is(run.stderr, 'Parse error (invalid command) at line 2, byte 1\n');
  t.is(run.stdout, "c.s=t\nc.s.a='1'\nc.s.b='2'\n");
  t.is(run.code, 0);
});

test('very long values, on one line and across lines', async (t) => {
  // uci_getln doubles its buffer as needed: there is no length limit.
  const long = 'v'.repeat(100_000);
  const multi = Array.from({ length: 200 }, (_, i) => `line ${i} ${'w'.repeat(100)}`).join('\n');
  const run = await uciOn(`${HEAD}\toption a ${long}\n\toption b '${multi}'\n`, 'show', 'c');
  t.is(run.stdout, `c.s=t\nc.s.a='${long}'\nc.s.b='${multi}'\n`);
});

test('export escapes quotes everywhere and names anonymous sections with -n', async (t) => {
  // uci_escape runs over the type too; EXPORT_NAME writes the generated cfg name
  // (counter 1, djb2("a'b") & 0xffff).
  const run = await uciOn("config \"a'b\"\n\toption x \"it's\"\n", '-n', 'export', 'c');
  t.is(run.stdout, "package c\n\nconfig a'\\''b 'cfg0154ef'\n\toption x 'it'\\''s'\n\n");
});

test('CRLF line ends: the CR is whitespace after a word', async (t) => {
  const run = await uciOn("config t 's'\r\n\toption a 1\r\n", 'show', 'c');
  t.is(run.stdout, "c.s=t\nc.s.a='1'\n");
});
