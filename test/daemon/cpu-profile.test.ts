// NYM_VPND_CPU_PROFILE: the profiler starts only when a file is named, and what it writes is a .cpuprofile
// that DevTools and the bench's summary read (nodes with call frames, samples, times).
import test from 'ava';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCpuProfile } from '../../src/daemon/cpu-profile.js';

test('no file named: no profiler', async (t) => {
  t.is(await startCpuProfile(undefined), null);
  t.is(await startCpuProfile(''), null);
});

test('a file named: a V8 CPU profile is written when stopped', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'nym-prof-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'nym-vpnd.cpuprofile');
  const stop = await startCpuProfile(file);
  t.truthy(stop);
  let x = 0;
  for (let i = 0; i < 2e6; i++) x += Math.sqrt(i);
  t.true(x > 0);
  await stop!();
  const profile = JSON.parse(readFileSync(file, 'utf8')) as { nodes: Array<{ callFrame: { functionName: string } }>; samples: number[]; startTime: number; endTime: number };
  t.true(profile.nodes.length > 0 && profile.nodes.every((n) => typeof n.callFrame.functionName === 'string'));
  t.true(profile.samples.length > 0);
  t.true(profile.endTime > profile.startTime);
});
