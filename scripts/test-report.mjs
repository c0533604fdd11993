#!/usr/bin/env node
// Runs the ava suites (optionally only the folders given) and ends with the one line CI reads:
// "N passed, N failed". ava's own summary is not what CI recognises, so we count TAP results.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const dirs = process.argv.slice(2);
const globs = dirs.length === 0
  ? []
  : dirs.map((d) => (/\.test\.[jt]s$/.test(d)
    ? join('dist', d.replace(/\.ts$/, '.js'))
    : join('dist', d.replace(/\/$/, ''), '**/*.test.js')));

if (!existsSync(join(root, 'dist/test'))) {
  console.error('dist/test is missing: run `npm run build` (make build) first');
  process.exit(2);
}

const ava = spawn(process.execPath, [join(root, 'node_modules/ava/entrypoints/cli.mjs'), '--tap', ...globs], {
  cwd: root,
  stdio: ['ignore', 'pipe', 'inherit'],
});

let passed = 0;
let failed = 0;
let skipped = 0;
let pending = '';
ava.stdout.setEncoding('utf8');
ava.stdout.on('data', (chunk) => {
  process.stdout.write(chunk);
  pending += chunk;
  const lines = pending.split('\n');
  pending = lines.pop() ?? '';
  for (const line of lines) count(line);
});

function count(line) {
  if (/^not ok \d+/.test(line)) {
    if (/# TODO/.test(line)) return;
    failed++;
  } else if (/^ok \d+/.test(line)) {
    if (/# SKIP/.test(line)) skipped++;
    else passed++;
  }
}

ava.on('close', (code) => {
  if (pending) count(pending);
  // A crash of ava itself (no results, non-zero exit) must not read as success.
  if (code !== 0 && failed === 0) failed = 1;
  if (skipped > 0) console.log(`${skipped} skipped`);
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed > 0 ? 1 : 0);
});
