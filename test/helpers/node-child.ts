// A fresh node process for measurements that must not share this one's heap or allocator: runs node with
// `args` and resolves with what it printed on stdout, parsed as JSON; rejects with its stderr if it failed.
import { spawn } from 'node:child_process';

export function runNodeJson<T>(args: readonly string[]): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (b: Buffer) => { out += b.toString(); });
    child.stderr.on('data', (b: Buffer) => { err += b.toString(); });
    child.on('close', (code) => {
      if (code !== 0) reject(new Error(`child exited ${code}: ${err}`));
      else resolve(JSON.parse(out) as T);
    });
  });
}
