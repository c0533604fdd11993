// Runs ip, nft, iptables and friends with execFile (never a shell), optionally inside a network namespace
// (`ip netns exec NS …`), so the tests, the lab and the router go through the same code.
import { execFile } from 'node:child_process';
import { accessSync, constants } from 'node:fs';

/**
 * Where system commands are looked up: the system's own folders, never $PATH. A daemon running as root
 * must not run whatever a `nft` earlier in $PATH is (node_modules/.bin has one: @vercel/nft's CLI).
 */
export const SYSTEM_PATH: readonly string[] = ['/usr/sbin', '/usr/bin', '/sbin', '/bin'];
const resolved = new Map<string, string>();

/** `cmd` as an absolute path from SYSTEM_PATH (a name with a slash is taken as given; unknown: as given). */
export function systemCommand(cmd: string): string {
  if (cmd.includes('/')) return cmd;
  let path = resolved.get(cmd);
  if (path === undefined) {
    path = cmd;
    for (const dir of SYSTEM_PATH) {
      try {
        accessSync(`${dir}/${cmd}`, constants.X_OK);
        path = `${dir}/${cmd}`;
        break;
      } catch {
        // not here
      }
    }
    resolved.set(cmd, path);
  }
  return path;
}

export interface CommandResult {
  stdout: string;
  stderr: string;
}

/** A command that failed: its argv, exit code and output. */
export class CommandError extends Error {
  override name = 'CommandError';
  constructor(
    readonly argv: readonly string[],
    readonly exitCode: number | string | null,
    readonly stdout: string,
    readonly stderr: string,
  ) {
    super(`${argv.join(' ')}: ${stderr.trim() || `exit ${String(exitCode)}`}`);
  }
}

export interface RunOptions {
  /** Written to stdin, then closed. */
  input?: string;
  timeoutMs?: number;
}

export type CommandRunner = (cmd: string, args: readonly string[], opts?: RunOptions) => Promise<CommandResult>;

/** A runner for this namespace, or for `netns` through `ip netns exec`. */
export function commandRunner(netns?: string): CommandRunner {
  return (cmd, args, opts = {}) => {
    const argv = netns === undefined ? [systemCommand(cmd), ...args] : [systemCommand('ip'), 'netns', 'exec', netns, systemCommand(cmd), ...args];
    return new Promise((resolve, reject) => {
      const child = execFile(argv[0]!, argv.slice(1), { timeout: opts.timeoutMs ?? 30_000, maxBuffer: 32 << 20 }, (err, stdout, stderr) => {
        if (err === null) resolve({ stdout: String(stdout), stderr: String(stderr) });
        else reject(new CommandError(argv, (err as NodeJS.ErrnoException).code ?? null, String(stdout), String(stderr)));
      });
      child.stdin?.on('error', () => {});  // a command that exits without reading its input
      child.stdin?.end(opts.input ?? '');
    });
  };
}

/** True when the command itself is missing (ENOENT), as opposed to failing. */
export function isMissingCommand(e: unknown): boolean {
  if (!(e instanceof CommandError)) return false;
  // Directly: ENOENT from execFile; inside `ip netns exec`: exec fails and ip reports it.
  return e.exitCode === 'ENOENT' || /exec of ".*" failed: No such file or directory/.test(e.stderr);
}
