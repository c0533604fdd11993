// Runs system commands (ip, nft, sysctl) with execFile — never a shell — optionally inside a network
// namespace, so the lab and the tests use the same code as the router.
import { execFile } from 'node:child_process';

export interface CommandTarget {
  /** Run inside this network namespace (ip netns exec NS …). */
  netns?: string;
}

export function run(cmd: string, args: readonly string[], target: CommandTarget = {}, input?: string): Promise<string> {
  const argv = target.netns ? ['netns', 'exec', target.netns, cmd, ...args] : [...args];
  const bin = target.netns ? 'ip' : cmd;
  return new Promise((resolve, reject) => {
    const child = execFile(bin, argv, { timeout: 15_000, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${cmd} ${args.join(' ')}: ${String(stderr).trim() || err.message}`));
      else resolve(stdout);
    });
    if (input !== undefined) child.stdin!.end(input);
  });
}
