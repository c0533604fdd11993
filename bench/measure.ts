// What several benchmarks measure the same way: a process's resident memory, and the median of a run's samples.
import { readFileSync } from 'node:fs';

/** VmRSS of a process in MB (NaN when /proc no longer says: the process is exiting). */
export function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

/**
 * RssAnon of a process in MB: its own memory (V8's heap, malloc), as opposed to file-backed pages (node's
 * binary and libraries: shared with every node process, and dropped by the kernel under pressure). NaN as above.
 */
export function anonRssMb(pid: number): number {
  const m = /RssAnon:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

/** The median (the mean of the middle two for an even count). */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}
