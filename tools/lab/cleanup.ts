// What the topology leaves outside its namespaces (temp dirs, wireguard-go sockets), removed also when the
// process exits or is killed by SIGINT/SIGTERM/SIGHUP. netns.ts does the same for namespaces and processes;
// these hooks cooperate with its handlers: whichever runs last re-raises the signal, so the process still
// ends the way the signal asks.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pidAlive } from './netns.js';

const SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
const WORKDIR_RE = /^nymlab-([0-9a-z]+)-/;
const cleaners = new Set<() => void>();
let installed = false;

function runCleaners(): void {
  for (const c of [...cleaners]) {
    try {
      c();
    } catch {
      // best effort: the process is ending
    }
  }
}

function onSignal(sig: NodeJS.Signals): void {
  runCleaners();
  process.removeListener('exit', runCleaners);
  for (const s of SIGNALS) process.removeListener(s, onSignal);
  installed = false;
  if (process.listenerCount(sig) === 0) process.kill(process.pid, sig);
}

/** Runs fn (synchronously) at exit or on a terminating signal; returns a function that unregisters it. */
export function onLabExit(fn: () => void): () => void {
  cleaners.add(fn);
  if (!installed) {
    installed = true;
    process.on('exit', runCleaners);
    for (const s of SIGNALS) process.on(s, onSignal);
  }
  return () => cleaners.delete(fn);
}

/** A temp dir named after this process (so that sweepWorkDirs can tell a dead run's), removed at exit. */
export function makeWorkDir(): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), `nymlab-${process.pid.toString(36)}-`));
  const remove = () => rmSync(dir, { recursive: true, force: true });
  const unregister = onLabExit(remove);
  return {
    dir,
    remove: () => {
      unregister();
      remove();
    },
  };
}

/** Removes lab temp dirs of dead processes; returns their paths. */
export function sweepWorkDirs(): string[] {
  const removed: string[] = [];
  for (const name of readdirSync(tmpdir())) {
    const m = WORKDIR_RE.exec(name);
    if (m === null) continue;
    const pid = parseInt(m[1]!, 36);
    if (pid === process.pid || pidAlive(pid)) continue;
    const path = join(tmpdir(), name);
    rmSync(path, { recursive: true, force: true });
    removed.push(path);
  }
  return removed;
}
