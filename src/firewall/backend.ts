// Which firewall we hook into. fw4 (nftables) and fw3 (iptables) are OpenWrt's; on any other Linux (the
// Debian lab) our nftables tables are loaded on their own, without include files.
import { access, constants } from 'node:fs/promises';
import type { FirewallPaths } from './paths.js';

/** The UCI option firewall_backend. */
export type BackendChoice = 'auto' | 'fw4' | 'fw3';
export type Backend = 'fw4' | 'fw3' | 'nftables';

async function executable(path: string): Promise<boolean> {
  return access(path, constants.X_OK).then(() => true, () => false);
}

/** fw4 if /sbin/fw4 exists under the root, else fw3 if /sbin/fw3 does, else plain nftables; a choice other than auto wins. */
export async function detectBackend(p: FirewallPaths, choice: BackendChoice = 'auto'): Promise<Backend> {
  if (choice === 'fw4' || choice === 'fw3') return choice;
  if (choice !== 'auto') throw new TypeError(`firewall_backend must be auto, fw4 or fw3, not ${String(choice)}`);
  if (await executable(p.fw4)) return 'fw4';
  if (await executable(p.fw3)) return 'fw3';
  return 'nftables';
}
