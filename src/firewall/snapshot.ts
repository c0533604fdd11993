// The kernel's whole firewall as text, without what changes by itself (counters, save dates), so that
// "before" and "after" can be compared: lifting and uninstalling must leave exactly what was there.
import { isMissingCommand, type CommandRunner } from '../system/command.js';

export interface RulesetSnapshot {
  /** `nft -s list ruleset` (stateless: no counter values); undefined without nft. */
  nft: string | undefined;
  /** `iptables-save` / `ip6tables-save`, comments dropped and counters zeroed; undefined without the tool. */
  ipv4: string | undefined;
  ipv6: string | undefined;
}

export interface SnapshotTools {
  nft?: string;
  iptables?: string;
  ip6tables?: string;
}

export function normalizeIptSave(text: string): string {
  return text.split('\n').filter((l) => !l.startsWith('#') && l !== '').map((l) => l.replace(/\[\d+:\d+\]/g, '[0:0]')).join('\n');
}

async function optional(run: CommandRunner, cmd: string, args: string[]): Promise<string | undefined> {
  try {
    return (await run(cmd, args)).stdout;
  } catch (e) {
    if (isMissingCommand(e)) return undefined;
    throw e;
  }
}

export async function snapshotRuleset(run: CommandRunner, tools: SnapshotTools = {}): Promise<RulesetSnapshot> {
  const v4 = await optional(run, `${tools.iptables ?? 'iptables'}-save`, []);
  const v6 = await optional(run, `${tools.ip6tables ?? 'ip6tables'}-save`, []);
  return {
    nft: await optional(run, tools.nft ?? 'nft', ['-s', 'list', 'ruleset']),
    ipv4: v4 === undefined ? undefined : normalizeIptSave(v4),
    ipv6: v6 === undefined ? undefined : normalizeIptSave(v6),
  };
}

/** Lines only in a or only in b, per part ('-' only before, '+' only after); empty when equal. */
export function snapshotDiff(a: RulesetSnapshot, b: RulesetSnapshot): string[] {
  const out: string[] = [];
  for (const part of ['nft', 'ipv4', 'ipv6'] as const) {
    const x = (a[part] ?? '').split('\n');
    const y = (b[part] ?? '').split('\n');
    if (x.join('\n') === y.join('\n')) continue;
    const ys = new Set(y);
    const xs = new Set(x);
    out.push(...x.filter((l) => !ys.has(l)).map((l) => `${part} - ${l}`), ...y.filter((l) => !xs.has(l)).map((l) => `${part} + ${l}`));
    if (out.length === 0) out.push(`${part}: same lines in another order`);
  }
  return out;
}
