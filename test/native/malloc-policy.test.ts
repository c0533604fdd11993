// pinMmapThreshold (src/native/addon/malloc-policy.c): with it, large buffers freed by a closed tunnel go
// back to the system even after glibc's first large free; without it, glibc raises its mmap threshold at
// that first free and the next megabyte-sized buffers stay in the heap between small long-lived blocks.
// Measured in a fresh node as a user would see it: the process's RSS after the buffers are gone.
import test from 'ava';
import { loadNative, nativeAddonPath } from '../../src/native/native.js';
import { isGlibc } from '../helpers/libc.js';
import { runNodeJson } from '../helpers/node-child.js';

// A disconnect's pattern: a 4 MB slab freed, then 32 one-megabyte buffers, each followed by a small block
// that stays (as a daemon's other allocations do), then the buffers freed. Prints RSS in MB: after the
// buffers were touched, and once they are freed (polled until it falls or 3 s passed: V8 frees array
// buffers after a collection, possibly on a helper thread).
const CHILD = `
const fs = require('node:fs');
const addon = require(process.argv[1]);
const rss = () => Number(/VmRSS:\\s+(\\d+)/.exec(fs.readFileSync('/proc/self/status', 'utf8'))[1]) / 1024;
const pinned = process.argv[2] === 'pin' ? addon.pinMmapThreshold(128 * 1024) : false;
(async () => {
  let slab = new Uint8Array(4 << 20).fill(1);
  const withSlab = rss();
  slab = null;
  // Freed once RSS fell by most of it (V8 frees array buffers after a collection, maybe on a helper thread).
  for (const end = Date.now() + 3000; Date.now() < end && rss() > withSlab - 3;) {
    gc();
    await new Promise((r) => setTimeout(r, 50));
  }
  const before = rss();
  const keep = [];
  let bufs = [];
  for (let i = 0; i < 32; i++) {
    bufs.push(new Uint8Array(1 << 20).fill(1));
    keep.push(new Uint8Array(new ArrayBuffer(8192)).fill(1));
  }
  const full = rss();
  bufs = null;
  const end = Date.now() + 3000;
  let after = rss();
  while (Date.now() < end && after > before + 8) {
    gc();
    await new Promise((r) => setTimeout(r, 50));
    after = rss();
  }
  process.stdout.write(JSON.stringify({ pinned, before, full, after, kept: keep.length }));
})();
`;

function run(mode: 'pin' | 'default'): Promise<{ pinned: boolean; before: number; full: number; after: number }> {
  return runNodeJson(['--expose-gc', '-e', CHILD, nativeAddonPath(), mode]);
}

test('pinMmapThreshold: bad arguments are TypeErrors', (t) => {
  const addon = loadNative();
  for (const bad of [undefined, 'big', -1, 100, 2 ** 40, 2 ** 32 + 131072, 131072.5, Number.NaN]) {
    t.throws(() => (addon.pinMmapThreshold as (x: unknown) => boolean)(bad), { instanceOf: TypeError }, String(bad));
  }
});

if (!isGlibc) {
  test('pinMmapThreshold frees large buffers after a disconnect', (t) => { t.log('skipped: not glibc (musl maps and unmaps large blocks by itself)'); t.pass(); });
} else {
  test('with the threshold pinned, megabyte buffers freed after an earlier large free leave RSS where it was', async (t) => {
    const pinned = await run('pin');
    t.true(pinned.pinned, 'glibc took the setting');
    t.true(pinned.full - pinned.before >= 28, `the buffers were resident (${pinned.before.toFixed(1)} → ${pinned.full.toFixed(1)} MB)`);
    t.true(pinned.after - pinned.before <= 8, `RSS came back down: ${pinned.before.toFixed(1)} → ${pinned.full.toFixed(1)} → ${pinned.after.toFixed(1)} MB`);
    // What the daemon met before: glibc's dynamic threshold keeps the freed buffers. Asserted so that this
    // test is known to recreate the case it guards against.
    const plain = await run('default');
    t.false(plain.pinned);
    t.true(plain.after - plain.before >= 16, `without it glibc kept them: ${plain.before.toFixed(1)} → ${plain.full.toFixed(1)} → ${plain.after.toFixed(1)} MB`);
    t.log(`RSS MB before/with buffers/after freeing: pinned ${pinned.before.toFixed(1)}/${pinned.full.toFixed(1)}/${pinned.after.toFixed(1)}, glibc's default ${plain.before.toFixed(1)}/${plain.full.toFixed(1)}/${plain.after.toFixed(1)}`);
  });
}
