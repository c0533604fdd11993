// programPagesReleaser (src/daemon/program-pages.ts): one release once changes have settled, however many
// came (a client that hammers connect/disconnect gets no more releases than one that connects once), none
// after stop, and a release that throws does not take the daemon down.
import test from 'ava';
import { programPagesReleaser } from '../../src/daemon/program-pages.js';

const SETTLE_MS = 40;

// The releaser's timers are unref'd, as the daemon needs; this keeps the test process up while they run.
const alive = setInterval(() => {}, 1000);
test.after.always(() => { clearInterval(alive); });

test('a burst of changes gives one release, after the last of them has settled', async (t) => {
  const at: number[] = [];
  let released!: () => void;
  const done = new Promise<void>((r) => { released = r; });
  const r = programPagesReleaser(() => { at.push(Date.now()); released(); }, SETTLE_MS);
  const last = await new Promise<number>((resolve) => {
    let n = 0;
    const tick = setInterval(() => {
      r.settled();
      if (++n === 10) { clearInterval(tick); resolve(Date.now()); }
    }, 5);
  });
  await done;
  // Another settle period with no change gives nothing more.
  await new Promise<void>((resolve) => { const probe = programPagesReleaser(resolve, SETTLE_MS * 2); probe.settled(); });
  t.is(at.length, 1);
  t.true(at[0]! - last >= SETTLE_MS - 2, `released ${at[0]! - last} ms after the last change`);
});

test('now releases at once and drops the pending release', async (t) => {
  let calls = 0;
  const r = programPagesReleaser(() => { calls++; }, SETTLE_MS);
  r.settled();
  r.now();
  t.is(calls, 1, 'released at once');
  await new Promise<void>((resolve) => { const probe = programPagesReleaser(resolve, SETTLE_MS * 2); probe.settled(); });
  t.is(calls, 1, 'the pending one was dropped');
});

test('stop drops a pending release', async (t) => {
  let calls = 0;
  const r = programPagesReleaser(() => { calls++; }, SETTLE_MS);
  r.settled();
  r.stop();
  await new Promise<void>((resolve) => { const probe = programPagesReleaser(resolve, SETTLE_MS * 2); probe.settled(); });
  t.is(calls, 0);
});

test('a release that throws is contained, and the next one still runs', async (t) => {
  let calls = 0;
  let second!: () => void;
  const twice = new Promise<void>((r) => { second = r; });
  const r = programPagesReleaser(() => {
    calls++;
    if (calls === 1) throw new Error('EINVAL');
    second();
  }, SETTLE_MS);
  // Had it escaped, the timer's exception would end this test process.
  await new Promise<void>((resolve) => {
    r.settled();
    const probe = programPagesReleaser(resolve, SETTLE_MS * 2);
    probe.settled();
  });
  r.settled();
  await twice;
  t.is(calls, 2);
});

test('a pending release does not keep the process alive', async (t) => {
  const { spawnSync } = await import('node:child_process');
  const mod = new URL('../../src/daemon/program-pages.js', import.meta.url).href;
  // A release an hour away; a process the timer held would be killed at 20 s (status null).
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', `const { programPagesReleaser } = await import(${JSON.stringify(mod)}); programPagesReleaser(() => {}, 3_600_000).settled();`], { encoding: 'utf8', timeout: 20_000 });
  t.is(child.status, 0, child.stderr);
});
