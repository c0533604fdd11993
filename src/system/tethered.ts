// A long-running child that cannot outlive nym-vpnd, even a SIGKILLed one. Node cannot set PR_SET_PDEATHSIG
// between fork and exec, so the child runs under a small shell that holds a pipe from us on its stdin: the
// command runs in the background, the shell waits reading that pipe, and when the pipe closes — we stopped it,
// or the kernel closed it because we died — the shell kills the command. Works with busybox ash and dash.
import { spawn, type ChildProcess } from 'node:child_process';
import { systemCommand } from './command.js';

const SCRIPT = '"$@" & child=$!; read -r _; kill "$child" 2>/dev/null; wait "$child"';

export interface Tethered {
  /** The command's standard output. */
  readonly stdout: NodeJS.ReadableStream;
  /** The shell's pid (the command is its child). */
  readonly pid: number | undefined;
  /** Ends the command (closes the tether). */
  stop(): void;
  readonly process: ChildProcess;
}

export function spawnTethered(cmd: string, args: readonly string[]): Tethered {
  const child = spawn(systemCommand('sh'), ['-c', SCRIPT, 'sh', systemCommand(cmd), ...args], { stdio: ['pipe', 'pipe', 'ignore'] });
  child.on('error', () => {});
  child.stdin!.on('error', () => {});
  return {
    stdout: child.stdout!,
    pid: child.pid,
    process: child,
    stop: () => {
      child.stdin!.end();
    },
  };
}
