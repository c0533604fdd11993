// Runs the project's `uci` CLI (dist/tools/uci/cli.js) as a child process, a few at a time so that a
// few hundred runs stay fast, and gives back raw stdout/stderr bytes (as latin1) and exit code.

import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** dist/test/uci/ → repository root. */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const fixturesDir = resolve(repoRoot, '../shared/fixtures/uci');
/** Why the corpus tests cannot run here (a clone without ../shared beside it), or undefined. */
export const fixturesMissing: string | undefined = existsSync(fixturesDir) ? undefined : `${fixturesDir} is not here (../shared is not beside this checkout)`;

/**
 * The compiled CLI, copied once per test process: dist/ is shared with other work in the same
 * checkout, and a rebuild running alongside the tests would otherwise hand us half-written
 * modules. The CLI (tools/uci) imports only src/uci, so copying both folders, side by side as in
 * dist/, gives the real thing.
 */
function snapshotCli(): string {
  const dir = mkdtempSync(join(tmpdir(), 'nym-uci-cli-'));
  for (const part of ['src/uci', 'tools/uci']) cpSync(join(repoRoot, 'dist', part), join(dir, part), { recursive: true });
  writeFileSync(join(dir, 'package.json'), '{"type":"module"}\n');
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  return join(dir, 'tools/uci/cli.js');
}

export const cliPath = snapshotCli();
export interface CliRun {
  readonly stdout: string;
  readonly stderr: string;
  readonly code: number;
}

const maxRunning = Math.max(2, availableParallelism());
let running = 0;
const waiting: Array<() => void> = [];

async function slot(): Promise<void> {
  if (running < maxRunning) {
    running++;
    return;
  }
  await new Promise<void>((wake) => waiting.push(wake));
}

function release(): void {
  const next = waiting.shift();
  if (next !== undefined) next();
  else running--;
}

export async function runUci(args: readonly string[]): Promise<CliRun> {
  await slot();
  try {
    return await new Promise<CliRun>((done, fail) => {
      const child = spawn(process.execPath, [cliPath, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
      child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
      child.on('error', fail);
      child.on('close', (code) =>
        done({
          stdout: Buffer.concat(out).toString('latin1'),
          stderr: Buffer.concat(err).toString('latin1'),
          code: code ?? -1,
        }),
      );
    });
  } finally {
    release();
  }
}

/** A temporary config directory holding the given files; removed by the returned function. */
export function makeConfigDir(files: Record<string, string | Uint8Array>): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'nym-uci-'));
  for (const [name, content] of Object.entries(files)) {
    const path = join(dir, name);
    if (name.endsWith('/')) mkdirSync(path, { recursive: true });
    else writeFileSync(path, content);
  }
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Runs `uci -c <dir> …args` on a throwaway directory with one config `c`. */
export async function uciOn(config: string, ...args: string[]): Promise<CliRun> {
  const { dir, remove } = makeConfigDir({ c: config });
  try {
    return await runUci(['-c', dir, ...args]);
  } finally {
    remove();
  }
}
