// Routing's view of system commands: stdout of `cmd args`, in this namespace or another.
import { commandRunner } from '../system/command.js';

export interface CommandTarget {
  /** Run inside this network namespace (ip netns exec NS …). */
  netns?: string;
}

export async function run(cmd: string, args: readonly string[], target: CommandTarget = {}, input?: string): Promise<string> {
  return (await commandRunner(target.netns)(cmd, args, input === undefined ? {} : { input })).stdout;
}
