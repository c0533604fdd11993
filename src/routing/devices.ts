// Turns the policy's sources (OpenWrt network names like 'lan', device names, or CIDRs) into
// devices and prefixes. On OpenWrt a network name is resolved by netifd (ubus network.interface.X
// status → l3_device); without netifd a name is taken as a device, or as br-<name>.

import { isIP } from 'node:net';
import { run, type CommandTarget } from './command.js';

export interface ResolvedSources {
  devices: string[];
  cidrs: string[];
  unresolved: string[];
}

export function isCidr(s: string): boolean {
  const m = /^([^/]+)\/(\d{1,3})$/.exec(s);
  return m !== null && isIP(m[1]!) !== 0 && Number(m[2]) <= (isIP(m[1]!) === 4 ? 32 : 128);
}

export async function resolveSources(
  sources: readonly string[],
  lookupNetwork: (name: string) => Promise<string | undefined>,
  target: CommandTarget = {},
): Promise<ResolvedSources> {
  const links = new Set((JSON.parse(await run('ip', ['-j', 'link', 'show'], target)) as Array<{ ifname: string }>).map((l) => l.ifname));
  const out: ResolvedSources = { devices: [], cidrs: [], unresolved: [] };
  for (const s of sources) {
    if (isCidr(s)) { out.cidrs.push(s); continue; }
    const viaNetifd = await lookupNetwork(s).catch(() => undefined);
    const device = viaNetifd ?? (links.has(s) ? s : links.has(`br-${s}`) ? `br-${s}` : undefined);
    if (device) out.devices.push(device);
    else out.unresolved.push(s);
  }
  return out;
}
