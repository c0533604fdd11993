// trimAfterWorkers (src/daemon/worker-memory.ts) with the addon's trimMalloc: the memory a worker thread
// allocated goes back to the system once the thread has ended. The case it guards against, as the daemon met
// it with its zk-nym workers: a worker fills its own glibc arena with small blocks and hands one of them to
// the main thread (its answer), which keeps it; the arena can only shrink from its top, so without a trim
// everything the worker freed stays resident. Measured in a fresh node as a user would see it: RssAnon.
// The tests that count trims in this process run serially: each sees every worker started meanwhile.
import test from 'ava';
import { fileURLToPath } from 'node:url';
import { loadNative, nativeAddonPath } from '../../src/native/native.js';
import { isGlibc } from '../helpers/libc.js';
import { runNodeJson } from '../helpers/node-child.js';

const WORKER_MEMORY = fileURLToPath(new URL('../../src/daemon/worker-memory.js', import.meta.url));

// argv: addon, 'hook' | 'none', worker-memory.js. Prints RssAnon in MB before the worker, while it holds
// ~40 MB in 2-4 KB blocks, and once it has ended (the next turn of the loop after 'exit').
const CHILD = `
const fs = require('node:fs');
const { Worker } = require('node:worker_threads');
const addon = require(process.argv[1]);
const anon = () => Number(/RssAnon:\\s+(\\d+)/.exec(fs.readFileSync('/proc/self/status', 'utf8'))[1]) / 1024;
addon.pinMmapThreshold(128 * 1024); // as the daemon runs
(async () => {
  if (process.argv[2] === 'hook') (await import(process.argv[3])).trimAfterWorkers(() => addon.trimMalloc());
  const before = anon();
  const kept = [];
  let full = 0;
  const worker = new Worker(\`
    const { parentPort } = require('node:worker_threads');
    const blocks = [];
    for (let i = 0; i < 12000; i++) blocks.push(new Uint8Array(2048 + (i % 7) * 256).fill(1));
    parentPort.postMessage({ kind: 'full' });
    parentPort.once('message', () => parentPort.postMessage({ kind: 'answer', bytes: new Uint8Array(blocks[blocks.length - 1]) }));
  \`, { eval: true });
  worker.on('message', (m) => {
    if (m.kind === 'full') { full = anon(); worker.postMessage('go'); }
    else { kept.push(m.bytes); void worker.terminate(); }
  });
  await new Promise((r) => worker.once('exit', r));
  await new Promise((r) => setImmediate(r));
  process.stdout.write(JSON.stringify({ before, full, after: anon(), kept: kept.length }));
})();
`;

interface Run { before: number; full: number; after: number; kept: number }

function run(mode: 'hook' | 'none'): Promise<Run> {
  return runNodeJson<Run>(['-e', CHILD, nativeAddonPath(), mode, WORKER_MEMORY]);
}

if (!isGlibc) {
  test('trimMalloc after workers', (t) => { t.log('skipped: not glibc (musl has no per-thread arenas and returns freed memory by itself)'); t.pass(); });
} else {
  test('trimMalloc says it asked glibc, and can be called any number of times', (t) => {
    const addon = loadNative();
    for (let i = 0; i < 3; i++) t.true(addon.trimMalloc());
  });

  test('what an ended worker thread allocated goes back to the system', async (t) => {
    const hooked = await run('hook');
    t.is(hooked.kept, 1, "the worker's answer outlived it");
    t.true(hooked.full - hooked.before >= 30, `the worker's blocks were resident (${hooked.before.toFixed(1)} → ${hooked.full.toFixed(1)} MB)`);
    t.true(hooked.after - hooked.before <= 6, `RssAnon came back down: ${hooked.before.toFixed(1)} → ${hooked.full.toFixed(1)} → ${hooked.after.toFixed(1)} MB`);
    // Without the trim the same run keeps what the worker freed: asserted so that this test is known to
    // recreate the case it guards against.
    const plain = await run('none');
    t.true(plain.after - plain.before >= 20, `without the trim it stays: ${plain.before.toFixed(1)} → ${plain.full.toFixed(1)} → ${plain.after.toFixed(1)} MB`);
  });

  test.serial('a trim that throws does not take the process down', async (t) => {
    const { trimAfterWorkers } = await import('../../src/daemon/worker-memory.js');
    const { Worker } = await import('node:worker_threads');
    let calls = 0;
    const undo = trimAfterWorkers(() => { calls++; throw new Error('no trim here'); });
    try {
      const w = new Worker('0', { eval: true });
      await new Promise((r) => w.once('exit', r));
      await new Promise((r) => setImmediate(r));
      t.is(calls, 1, 'it was called, threw, and this process is still here');
    } finally {
      undo();
    }
  });

  test.serial('the undo stops the trims', async (t) => {
    const { trimAfterWorkers } = await import('../../src/daemon/worker-memory.js');
    const { Worker } = await import('node:worker_threads');
    let trims = 0;
    const once = async () => {
      const w = new Worker('0', { eval: true });
      await new Promise((r) => w.once('exit', r));
      await new Promise((r) => setImmediate(r));
    };
    const undo = trimAfterWorkers(() => { trims++; });
    await once();
    t.is(trims, 1, 'one trim per ended worker');
    undo();
    await once();
    t.is(trims, 1, 'none after the undo');
  });
}
