// The iptables edge (fw3): test and restore our chains with iptables-restore --noflush, keep our jump
// the first rule of FORWARD/OUTPUT (fw3's ACCEPTs there would otherwise end the chain before ours runs),
// and remove everything again. One applier per family (iptables / ip6tables, or their -legacy names).
//
// Moving a jump to the top without a moment where it is missing and without deleting by rule number
// (racy while fw3 reloads): jumps carry one of two comments; we insert the one not in use at position 1,
// then delete every jump of the other kind by its spec. The fw3 include script does the same.
import { CommandError, type CommandRunner } from '../system/command.js';

export const JUMP_TAGS = ['nym-vpn:a', 'nym-vpn:b'] as const;

function jumpSpec(tag: string, target: string): string[] {
  return ['-m', 'comment', '--comment', tag, '-j', target];
}

export class IptApplier {
  private readonly restoreBin: string;

  constructor(
    private readonly run: CommandRunner,
    readonly bin: string,
  ) {
    this.restoreBin = `${bin}-restore`;
  }

  /** Parses and builds the rules without committing them (iptables-restore --test). */
  async test(text: string): Promise<void> {
    await this.run(this.restoreBin, ['-w', '--noflush', '--test'], { input: text });
  }

  /** Flushes and refills the chains the text declares, in one commit; other chains are untouched. */
  async restore(text: string): Promise<void> {
    await this.run(this.restoreBin, ['-w', '--noflush'], { input: text });
  }

  async rules(chain: string): Promise<string[]> {
    const { stdout } = await this.run(this.bin, ['-w', '-S', chain]);
    return stdout.split('\n').filter((l) => l.startsWith('-A '));
  }

  async chainExists(chain: string): Promise<boolean> {
    return this.run(this.bin, ['-w', '-S', chain]).then(() => true, (e: unknown) => {
      if (e instanceof CommandError && e.exitCode === 1) return false;
      throw e;
    });
  }

  /** Our jumps in chain: how many per tag ('' for an untagged `-j target`), and the tag of the first rule if it is one. */
  private async jumps(chain: string, target: string): Promise<{ firstTag: string | undefined; counts: Map<string, number> }> {
    const re = new RegExp(`^-A ${chain} (?:-m comment --comment "?([^"\\s]+)"? )?-j ${target}$`);
    const counts = new Map<string, number>();
    let firstTag: string | undefined;
    (await this.rules(chain)).forEach((r, i) => {
      const m = re.exec(r);
      if (m === null) return;
      const tag = m[1] ?? '';
      counts.set(tag, (counts.get(tag) ?? 0) + 1);
      if (i === 0) firstTag = tag;
    });
    return { firstTag, counts };
  }

  private async deleteAll(chain: string, target: string, tag: string): Promise<void> {
    const spec = tag === '' ? ['-j', target] : jumpSpec(tag, target);
    for (;;) {
      try {
        await this.run(this.bin, ['-w', '-D', chain, ...spec]);
      } catch (e) {
        if (e instanceof CommandError && e.exitCode === 1) return;  // no such rule (left)
        throw e;
      }
    }
  }

  /** Makes `-j target` the first rule of chain, exactly once, without a moment where it is not first. */
  async ensureFirstJump(chain: string, target: string): Promise<void> {
    const { firstTag, counts } = await this.jumps(chain, target);
    const total = [...counts.values()].reduce((a, b) => a + b, 0);
    if (firstTag !== undefined && total === 1) return;
    const [a, b] = JUMP_TAGS;
    if (counts.has(a) && counts.has(b)) {
      // Both kinds (an interrupted earlier move): drop the kind that is not first; the other still jumps.
      const drop = firstTag === a ? b : a;
      await this.deleteAll(chain, target, drop);
      counts.delete(drop);
    }
    const fresh = counts.has(a) ? b : a;
    await this.run(this.bin, ['-w', '-I', chain, '1', ...jumpSpec(fresh, target)]);
    for (const old of counts.keys()) await this.deleteAll(chain, target, old);
  }

  /** Whether chain jumps to target at all (our chain is in use, not just present). */
  async jumpsTo(chain: string, target: string): Promise<boolean> {
    if (!(await this.chainExists(target))) return false;
    return (await this.jumps(chain, target)).counts.size > 0;
  }

  async removeJumps(chain: string, target: string): Promise<void> {
    if (!(await this.chainExists(target))) return;  // no jump to a chain that is not there (and -D would fail to load it)
    for (const tag of [...JUMP_TAGS, '']) await this.deleteAll(chain, target, tag);
  }

  /** Flushes and deletes a chain of ours (its jumps must be gone); nothing if it does not exist. */
  async deleteChain(chain: string): Promise<void> {
    if (!(await this.chainExists(chain))) return;
    await this.run(this.bin, ['-w', '-F', chain]);
    await this.run(this.bin, ['-w', '-X', chain]);
  }

  async save(): Promise<string> {
    return (await this.run(`${this.bin}-save`, [])).stdout;
  }
}
