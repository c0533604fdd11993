// Holding fw4's or fw3's lock while we change what their includes load. fw4 renders its ruleset (reading
// our include) and loads it under an exclusive flock on /var/run/fw4.lock; hotplug runs `fw4 reload` on
// every ifup, e.g. when the tunnel interface comes up. Without the lock a reload that read our old file
// could commit after our new rules and put the old ones back.
// There is no flock() in Node, so a child holds it: `flock -x LOCK cat` starts cat only once the lock is
// taken; cat echoing our first line says so, and closing its stdin ends cat and releases the lock.
import { spawn } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';

export async function withFileLock<T>(lockPath: string, fn: () => Promise<T>, timeoutMs = 30_000): Promise<T> {
  await mkdir(dirname(lockPath), { recursive: true });
  const holder = spawn('flock', ['-x', lockPath, 'cat'], { stdio: ['pipe', 'pipe', 'pipe'] });
  const acquired = await new Promise<boolean>((resolve, reject) => {
    const timer = setTimeout(() => {
      holder.kill('SIGKILL');
      reject(new Error(`could not take the lock ${lockPath} within ${timeoutMs} ms`));
    }, timeoutMs);
    holder.stdout.once('data', () => {
      clearTimeout(timer);
      resolve(true);
    });
    holder.once('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      if (e.code === 'ENOENT') resolve(false);  // no flock binary: go on unlocked
      else reject(e);
    });
    holder.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`flock ${lockPath} exited with ${String(code)} before taking the lock`));
    });
    holder.stdin.on('error', () => {});
    holder.stdin.write('locked\n');
  });
  try {
    return await fn();
  } finally {
    if (acquired) {
      const gone = new Promise<void>((r) => holder.once('exit', () => r()));
      holder.stdin.end();
      await gone;
    }
  }
}
