// Optional CPU profiling of the daemon for benchmarks: NYM_VPND_CPU_PROFILE=FILE starts V8's
// profiler at start-up and writes a .cpuprofile at shutdown (node --cpu-prof cannot be given
// through NODE_OPTIONS, and the lab starts the daemon as a plain command). The inspector is imported
// only when asked for: loading it costs every router about 0.6 MB of resident memory for nothing.

import { writeFileSync } from 'node:fs';

export async function startCpuProfile(file: string | undefined): Promise<(() => Promise<void>) | null> {
  if (!file) return null;
  const { Session } = await import('node:inspector/promises');
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
