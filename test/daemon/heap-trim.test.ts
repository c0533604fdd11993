// trimPeriodically (src/daemon/heap-trim.ts) with the addon's trimMalloc: what the main thread freed in the
// middle of glibc's heap goes back to the system at the next trim. The case, as a loaded daemon meets it:
// many small blocks freed while a later one stays, so the heap cannot shrink from its top. Measured in a
// fresh node as a user would see it: RssAnon.
import test from 'ava';
import { fileURLToPath } from 'node:url';
import { loadNative, nativeAddonPath } from '../../src/native/native.js';
import { trimPeriodically } from '../../src/daemon/heap-trim.js';
import { isGlibc } from '../helpers/libc.js';
import { runNodeJson } from '../helpers/node-child.js';

const HEAP_TRIM = fileURLToPath(new URL('../../src/daemon/heap-trim.js', import.meta.url));

// argv: addon, 'trim' | 'none', heap-trim.js. Prints RssAnon in MB before, with ~36 MB in 2-4 KB blocks,
// and after they were collected (all but the last) and one trim period has passed.
const CHILD = `
const fs = require('node:fs');
const addon = require(process.argv[1]);
const anon = () => Number(/RssAnon:\\s+(\\d+)/.exec(fs.readFileSync('/proc/self/status', 'utf8'))[1]) / 1024;
addon.pinMmapThreshold(128 * 1024); // as the daemon runs
const alive = setInterval(() => {}, 1000); // the trim timer is unref'd, as in the daemon
(async () => {
  let trimmed = () => {};
  const nextTrim = () => new Promise((r) => { trimmed = r; });
  if (process.argv[2] === 'trim') (await import(process.argv[3])).trimPeriodically(() => { addon.trimMalloc(); trimmed(); }, 50);
  else setInterval(() => trimmed(), 50).unref();
  const before = anon();
  let blocks = [];
  for (let i = 0; i < 12000; i++) blocks.push(new Uint8Array(2048 + (i % 7) * 256).fill(1));
  const full = anon();
  const kept = blocks[blocks.length - 1];
  blocks = null;
  globalThis.gc(); globalThis.gc();
  await nextTrim();
  await nextTrim();
  process.stdout.write(JSON.stringify({ before, full, after: anon(), kept: kept.length > 0 }));
  clearInterval(alive);
})();
`;

interface Run { before: number; full: number; after: number; kept: boolean }

function run(mode: 'trim' | 'none'): Promise<Run> {
  return runNodeJson<Run>(['--expose-gc', '-e', CHILD, nativeAddonPath(), mode, HEAP_TRIM]);
}

if (!isGlibc) {
  test('trimMalloc every few seconds', (t) => { t.log('skipped: not glibc (musl returns freed memory by itself)'); t.pass(); });
} else {
  test('what the main thread freed inside the heap goes back at the next trim', async (t) => {
    const trimmed = await run('trim');
    t.true(trimmed.kept);
    t.true(trimmed.full - trimmed.before >= 30, `the blocks were resident (${trimmed.before.toFixed(1)} → ${trimmed.full.toFixed(1)} MB)`);
    t.true(trimmed.after - trimmed.before <= 6, `RssAnon came back down: ${trimmed.before.toFixed(1)} → ${trimmed.full.toFixed(1)} → ${trimmed.after.toFixed(1)} MB`);
    // Without the trim the same run keeps what was freed: asserted so that this test is known to recreate the
    // case it guards against.
    const plain = await run('none');
    t.true(plain.after - plain.before >= 20, `without the trim it stays: ${plain.before.toFixed(1)} → ${plain.full.toFixed(1)} → ${plain.after.toFixed(1)} MB`);
  });
}

test('a trim that throws is called again at the next period; the undo stops it', async (t) => {
  let calls = 0;
  let undo = (): void => {};
  await new Promise<void>((resolve) => {
    undo = trimPeriodically(() => {
      calls++;
      if (calls === 3) resolve();
      throw new Error('no trim here');
    }, 10);
  });
  undo();
  const after = calls;
  // Two more periods of a timer that would have fired: nothing.
  let ticks = 0;
  await new Promise<void>((resolve) => { const other = setInterval(() => { if (++ticks === 2) { clearInterval(other); resolve(); } }, 10); });
  t.is(calls, after, 'no call after the undo');
  t.is(after, 3);
});

test('the daemon\'s addon has trimMalloc', (t) => {
  t.is(typeof loadNative().trimMalloc, 'function');
});
