// releaseProgramPages (src/native/addon/program-pages.c): the pages of node's binary and libraries that hold
// only the files' contents leave the process's RSS, and nothing the process wrote is lost. Each case runs in a
// fresh node, which afterwards must still compute what it computed before: hashes, compression, ICU
// formatting (its data lives in node's .rodata), JSON, a worker thread.
import test from 'ava';
import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, openSync, readSync } from 'node:fs';
import { nativeAddonPath } from '../../src/native/native.js';
import { runNodeJson } from '../helpers/node-child.js';

const PAGE = Number(execFileSync('getconf', ['PAGESIZE'], { encoding: 'utf8' }));

// argv: addon, page size, mode ('once' | 'threads'). Prints a JSON report.
//
// census() counts, over the read-only private mappings of files, the pages present from the file, and the
// pages that are private copies (written once, like RELRO after relocation: present or swapped, not file
// pages), from /proc/self/pagemap. A copy must survive a release: dropping it would hand the process the
// file's bytes in place of what was written there.
const CHILD = `
const fs = require('node:fs');
const crypto = require('node:crypto');
const zlib = require('node:zlib');
const { Worker } = require('node:worker_threads');
const addon = require(process.argv[1]);
const PAGE = Number(process.argv[2]);
const mode = process.argv[3];
const statusKb = (k) => Number(new RegExp(k + ':\\\\s+(\\\\d+)').exec(fs.readFileSync('/proc/self/status', 'utf8'))[1]);
function census() {
  let file = 0, copies = 0;
  const fd = fs.openSync('/proc/self/pagemap', 'r');
  try {
    for (const line of fs.readFileSync('/proc/self/maps', 'utf8').split('\\n')) {
      const m = /^([0-9a-f]+)-([0-9a-f]+) (\\S{4}) \\S+ \\S+ (\\d+)\\s+(\\/.*)?$/.exec(line);
      if (!m || m[3][1] !== '-' || m[3][3] !== 'p' || m[4] === '0' || !m[5]) continue;
      const lo = parseInt(m[1], 16) / PAGE, n = parseInt(m[2], 16) / PAGE - lo;
      const buf = Buffer.alloc(n * 8);
      fs.readSync(fd, buf, 0, buf.length, lo * 8);
      for (let i = 0; i < n; i++) {
        const e = buf.readBigUInt64LE(i * 8);
        const present = (e >> 63n) & 1n, swapped = (e >> 62n) & 1n, isFile = (e >> 61n) & 1n;
        if (present && isFile) file++;
        else if ((present || swapped) && !isFile) copies++;
      }
    }
  } finally { fs.closeSync(fd); }
  return { file, copies };
}
const sha = (s) => crypto.createHash('sha256').update(s).digest('hex');
const WORKER = "const { parentPort } = require('node:worker_threads'); const c = require('node:crypto');" +
  "let stop = false, runs = 0, wrong = 0; parentPort.on('message', () => { stop = true; });" +
  "const want = c.createHash('sha256').update('abc'.repeat(1000)).digest('hex');" +
  "(function loop() { for (let i = 0; i < 200; i++) { runs++; if (c.createHash('sha256').update('abc'.repeat(1000)).digest('hex') !== want) wrong++; }" +
  " if (stop) parentPort.postMessage({ runs, wrong }); else setImmediate(loop); })();";
const inWorker = (src) => new Promise((resolve, reject) => {
  const w = new Worker(src, { eval: true });
  w.once('message', (m) => { resolve(m); w.terminate(); });
  w.once('error', reject);
});
// What a process computes, to compare before and after.
async function work() {
  const data = crypto.randomBytes(1 << 20);
  return {
    sha: sha('abc'),
    zlib: zlib.inflateSync(zlib.deflateSync(data)).equals(data),
    icu: new Intl.NumberFormat('de-DE').format(1234567.891) + ' ' + new Date(0).toLocaleDateString('en-GB', { timeZone: 'UTC' }),
    json: JSON.stringify(JSON.parse('{"a":[1,2,{"b":"ü"}]}')),
    worker: await inWorker("require('node:worker_threads').parentPort.postMessage(require('node:crypto').createHash('sha256').update('abc').digest('hex'))"),
  };
}
(async () => {
  const largepages = /^[0-9a-f]+-[0-9a-f]+ r-xp 00000000 00:00 0 *$/m.test(fs.readFileSync('/proc/self/maps', 'utf8'));
  const before = await work();
  const fileKbBefore = statusKb('RssFile');
  const censusBefore = census();
  let advised = 0, ms = 0, releases = 0, threads;
  if (mode === 'threads') {
    // Releases while two threads hash without a pause: their code is taken from under them and comes back.
    const ws = [0, 1].map(() => new Worker(WORKER, { eval: true }));
    const done = ws.map((w) => new Promise((r) => w.once('message', r)));
    for (; releases < 100; releases++) { advised += addon.releaseProgramPages(); await new Promise((r) => setImmediate(r)); }
    ws.forEach((w) => w.postMessage('stop'));
    threads = await Promise.all(done);
    ws.forEach((w) => w.terminate());
  } else {
    const t0 = process.hrtime.bigint();
    advised = addon.releaseProgramPages();
    ms = Number(process.hrtime.bigint() - t0) / 1e6;
    releases = 1;
  }
  const fileKbAfter = statusKb('RssFile');
  const censusAfter = census();
  const after = await work();
  process.stdout.write(JSON.stringify({ largepages, advised, ms, releases, threads, fileKbBefore, fileKbAfter, censusBefore, censusAfter, before, after }));
})();
`;

interface Report {
  largepages: boolean;
  advised: number;
  ms: number;
  releases: number;
  threads?: Array<{ runs: number; wrong: number }>;
  fileKbBefore: number;
  fileKbAfter: number;
  censusBefore: { file: number; copies: number };
  censusAfter: { file: number; copies: number };
  before: Record<string, unknown>;
  after: Record<string, unknown>;
}

const run = (mode: 'once' | 'threads', nodeFlags: string[] = []) => runNodeJson<Report>([...nodeFlags, '-e', CHILD, nativeAddonPath(), String(PAGE), mode]);

// (Only its first entry: the file spans the whole address space.)
let pagemap = true;
try {
  const fd = openSync('/proc/self/pagemap', 'r');
  try { readSync(fd, Buffer.alloc(8), 0, 8, 0); } finally { closeSync(fd); }
} catch { pagemap = false; }

const mb = (kb: number) => (kb / 1024).toFixed(1);

if (!pagemap) {
  test('releaseProgramPages', (t) => { t.log('skipped: /proc/self/pagemap cannot be read here (kernel without CONFIG_PROC_PAGE_MONITOR), and it is how the test tells copies from file pages'); t.pass(); });
} else {
  test('the read-only pages of node and its libraries leave RSS; written copies stay; node computes as before', async (t) => {
    const r = await run('once');
    t.deepEqual(r.after, r.before, 'the same results after the release');
    t.is(r.before.sha, 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    t.is(r.before.icu, '1.234.567,891 01/01/1970');
    t.true(r.advised > 0);
    // Bare node keeps ~34 MB of its binary resident; what a few statements touch afterwards is a fraction.
    t.true(r.fileKbAfter < r.fileKbBefore / 2, `file-backed RSS ${mb(r.fileKbBefore)} → ${mb(r.fileKbAfter)} MB`);
    t.true(r.censusAfter.file < r.censusBefore.file / 2, `file pages ${r.censusBefore.file} → ${r.censusAfter.file}`);
    // RELRO of libc and the others: written by the dynamic linker, then made read-only. None may go.
    t.true(r.censusBefore.copies > 0, 'the case is there: read-only mappings hold written copies');
    t.true(r.censusAfter.copies >= r.censusBefore.copies, `copies ${r.censusBefore.copies} → ${r.censusAfter.copies}`);
    t.log(`file-backed RSS ${mb(r.fileKbBefore)} → ${mb(r.fileKbAfter)} MB in ${r.ms.toFixed(2)} ms; ${(r.advised / 2 ** 20).toFixed(0)} MB of address space advised; written copies kept: ${r.censusAfter.copies}`);
  });

  test('releases while two threads run hashes under them: every hash right, every copy kept', async (t) => {
    const r = await run('threads');
    t.is(r.releases, 100);
    t.is(r.threads!.length, 2);
    for (const w of r.threads!) {
      t.true(w.runs > 0, 'the thread ran');
      t.is(w.wrong, 0, `${w.wrong} of ${w.runs} hashes wrong`);
    }
    t.deepEqual(r.after, r.before);
    t.true(r.censusAfter.copies >= r.censusBefore.copies, `copies ${r.censusBefore.copies} → ${r.censusAfter.copies}`);
    t.log(`100 releases, hashes in the threads: ${r.threads!.map((w) => w.runs).join(' and ')}, none wrong`);
  });

  test('node with --use-largepages: the anonymous copy of its code is left alone', async (t) => {
    // node copies its .text into anonymous memory; advising that would zero the code it runs.
    const r = await run('once', ['--use-largepages=silent']);
    t.deepEqual(r.after, r.before);
    t.true(r.censusAfter.copies >= r.censusBefore.copies);
    if (r.largepages) t.log('node moved its code to anonymous memory, and still runs after the release');
    else t.log('this node did not move its code (no large pages for it here): the case ran as a plain one');
  });
}

test('without /proc the release is refused with a clear error, and node goes on as before', (t) => {
  // A mount namespace of its own with /proc unmounted: the addon cannot read its maps and must not guess.
  const child = `
    const addon = require(process.argv[1]);
    let error = null;
    try { addon.releaseProgramPages(); } catch (e) { error = { code: e.code, message: e.message }; }
    const sha = require('node:crypto').createHash('sha256').update('abc').digest('hex');
    process.stdout.write(JSON.stringify({ error, sha }));`;
  const r = spawnSync('unshare', ['-m', 'sh', '-c', 'umount -l /proc && exec "$0" -e "$1" "$2"', process.execPath, child, nativeAddonPath()], { encoding: 'utf8' });
  if (r.status !== 0 && /unshare|umount/.test(r.stderr)) {
    t.log(`skipped: no mount namespace with /proc unmounted here (${r.stderr.trim()})`);
    t.pass();
    return;
  }
  t.is(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { error: { code: string; message: string } | null; sha: string };
  t.deepEqual(out.error, { code: 'ENOENT', message: 'releaseProgramPages: /proc/self/maps: No such file or directory' });
  t.is(out.sha, 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
});
