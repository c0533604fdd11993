#!/usr/bin/env node
// Runs every compiled benchmark (dist/bench/*.bench.js) one after another, each in its own process
// so that one benchmark's heap and timers never colour the next one's numbers.
import { spawnSync } from 'node:child_process';
import { readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const dir = join(root, 'dist/bench');
const only = process.argv.slice(2);
const files = existsSync(dir)
  ? readdirSync(dir).filter((f) => f.endsWith('.bench.js')).filter((f) => only.length === 0 || only.some((o) => f.includes(o))).sort()
  : [];
if (files.length === 0) {
  console.error('no benchmarks found in dist/bench (run make build)');
  process.exit(1);
}
let failed = 0;
for (const f of files) {
  console.log(`\n== ${f.replace('.bench.js', '')}`);
  const r = spawnSync(process.execPath, ['--expose-gc', join(dir, f)], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) failed++;
}
process.exit(failed > 0 ? 1 : 0);
