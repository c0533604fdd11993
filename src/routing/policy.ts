// Policy routing that sends traffic into the tunnel: a table whose default route is the TUN, and
// rules that send the LAN's traffic (and the router's own) to it, except packets carrying the
// daemon's fwmark — its outer UDP to the entry gateway — which keep using the main table.
// Rendering is pure (ip -batch text); apply/remove run it. Everything added is removed again.

import { run, type CommandTarget } from './command.js';

export const NYM_FWMARK = 0x14d;
export const NYM_TABLE = 333;
/** Rule priorities: below OpenWrt's defaults (32766 main, 32767 default), clear of netifd and pbr. */
export const RULE_PRIORITY = 6000;

export interface PolicySpec {
  interfaceName: string;
  /** Devices whose forwarded traffic goes through the tunnel (e.g. br-lan). */
  sourceDevices: readonly string[];
  /** Source prefixes that go through the tunnel. */
  sourceCidrs: readonly string[];
  /** The router's own traffic goes through the tunnel too (unmarked sockets). */
  routerTraffic: boolean;
  /** 'tunnel': IPv6 uses the tunnel; 'block': IPv6 from the sources is unreachable. */
  ipv6: 'tunnel' | 'block';
  fwmark?: number;
  table?: number;
}

export interface RuleSet {
  /** `ip -4 -batch` / `ip -6 -batch` lines, in order (a batch line cannot carry -4/-6 itself). */
  add: { v4: string[]; v6: string[] };
  del: { v4: string[]; v6: string[] };
}

/** The rules and routes for a policy, as `ip -batch` lines (pure). */
export function renderPolicy(s: PolicySpec): RuleSet {
  const mark = `0x${(s.fwmark ?? NYM_FWMARK).toString(16)}`;
  const table = String(s.table ?? NYM_TABLE);
  const add = { v4: [] as string[], v6: [] as string[] };
  const del = { v4: [] as string[], v6: [] as string[] };
  for (const fam of ['-4', '-6'] as const) {
    const a = fam === '-4' ? add.v4 : add.v6;
    const d = fam === '-4' ? del.v4 : del.v6;
    const cidrs = s.sourceCidrs.filter((c) => (fam === '-4') === !c.includes(':'));
    const rules: string[] = [
      `fwmark ${mark} lookup main`,
      'lookup main suppress_prefixlength 0',
      ...(s.routerTraffic ? ['iif lo lookup ' + table] : []),
      ...s.sourceDevices.map((d) => `iif ${d} lookup ${table}`),
      ...cidrs.map((c) => `from ${c} lookup ${table}`),
    ];
    rules.forEach((r, i) => {
      a.push(`rule add ${r} priority ${RULE_PRIORITY + i}`);
      d.push(`rule del ${r} priority ${RULE_PRIORITY + i}`);
    });
    const route = fam === '-6' && s.ipv6 === 'block' ? `unreachable default table ${table}` : `default dev ${s.interfaceName} table ${table}`;
    a.push(`route replace ${route}`);
    d.push(`route flush table ${table}`);
  }
  return { add, del };
}

/** Installs the policy; whatever part fails is rolled back before the error is thrown. */
export async function applyPolicy(s: PolicySpec, target: CommandTarget = {}): Promise<RuleSet> {
  const r = renderPolicy(s);
  await removePolicy(r, target); // idempotent: a crashed daemon may have left the same rules
  try {
    await run('ip', ['-4', '-batch', '-'], target, r.add.v4.join('\n') + '\n');
    await run('ip', ['-6', '-batch', '-'], target, r.add.v6.join('\n') + '\n');
  } catch (e) {
    await removePolicy(r, target);
    throw e;
  }
  return r;
}

/** Removes every rule and route of the policy; missing ones are fine. */
export async function removePolicy(r: RuleSet, target: CommandTarget = {}): Promise<void> {
  // -force: go on past lines that fail (a rule already gone).
  await run('ip', ['-4', '-force', '-batch', '-'], target, r.del.v4.join('\n') + '\n').catch(() => {});
  await run('ip', ['-6', '-force', '-batch', '-'], target, r.del.v6.join('\n') + '\n').catch(() => {});
}

/**
 * Removes rules a killed daemon left: those in our priority range that point at our table, carry
 * our mark, or are our suppress rule — never anything else — and flushes our table. Returns how many.
 */
export async function removeStalePolicy(target: CommandTarget = {}, fwmark = NYM_FWMARK, table = NYM_TABLE): Promise<number> {
  let removed = 0;
  for (const fam of ['-4', '-6']) {
    const rules = JSON.parse(await run('ip', ['-j', fam, 'rule', 'show'], target).catch(() => '[]') || '[]') as Array<{ priority?: number; table?: string; fwmark?: string; suppress_prefixlen?: number }>;
    const ours = rules.filter((r) => r.priority !== undefined && r.priority >= RULE_PRIORITY && r.priority < RULE_PRIORITY + 64
      && (r.table === String(table) || r.fwmark === `0x${fwmark.toString(16)}` || r.suppress_prefixlen !== undefined));
    if (ours.length > 0) {
      await run('ip', [fam, '-force', '-batch', '-'], target, ours.map((r) => `rule del priority ${r.priority}`).join('\n') + '\n').catch(() => {});
      removed += ours.length;
    }
    await run('ip', [fam, 'route', 'flush', 'table', String(table)], target).catch(() => {});
  }
  return removed;
}
