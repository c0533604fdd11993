// Optional CPU profiling of the daemon for benchmarks: NYM_VPND_CPU_PROFILE=FILE starts V8's
// profiler at start-up and writes a .cpuprofile at shutdown (node --cpu-prof cannot be given
// through NODE_OPTIONS, and the lab starts the daemon as a plain command).

import { Session } from 'node:inspector/promises';
import { writeFileSync } from 'node:fs';

export async function startCpuProfile(file: string | undefined): Promise<(() => Promise<void>) | null> {
  if (!file) return null;
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 200 });
  await session.post('Profiler.start');
  return async () => {
    const { profile } = await session.post('Profiler.stop');
    writeFileSync(file, JSON.stringify(profile));
    session.disconnect();
  };
}
