// The nftables edge: check a file with `nft -c -f`, load it with `nft -f` (our files replace their tables
// in one transaction), and ask which of our tables the kernel holds.
import { writeFileAtomic } from '../fs/atomic-file.js';
import type { CommandRunner } from '../system/command.js';

export class NftApplier {
  constructor(
    private readonly run: CommandRunner,
    private readonly nft = 'nft',
  ) {}

  /** Throws a CommandError carrying nft's complaint when the file would not load. */
  async check(file: string): Promise<void> {
    await this.run(this.nft, ['-c', '-f', file]);
  }

  async load(file: string): Promise<void> {
    await this.run(this.nft, ['-f', file]);
  }

  /** Checks a ruleset given as text (`nft -c -f -`): no file needed, so a full disk cannot stop it. */
  async checkText(text: string): Promise<void> {
    await this.run(this.nft, ['-c', '-f', '-'], { input: text });
  }

  /** Loads a ruleset given as text (`nft -f -`), in one transaction. */
  async loadText(text: string): Promise<void> {
    await this.run(this.nft, ['-f', '-'], { input: text });
  }

  /** Writes a checked file atomically (a file that fails `nft -c` never replaces the old one), then loads it. */
  async writeAndLoad(file: string, text: string): Promise<void> {
    await writeFileAtomic(file, text, { check: (tmp) => this.check(tmp) });
    await this.load(file);
  }

  /** Names of the inet tables in the kernel. */
  async inetTables(): Promise<string[]> {
    const { stdout } = await this.run(this.nft, ['list', 'tables', 'inet']);
    return stdout.split('\n').map((l) => /^table inet (\S+)$/.exec(l.trim())?.[1]).filter((n): n is string => n !== undefined);
  }

  async listRuleset(): Promise<string> {
    return (await this.run(this.nft, ['list', 'ruleset'])).stdout;
  }
}
