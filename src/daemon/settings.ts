// The daemon's configuration: /etc/config/nym-vpn through src/uci, typed and validated there.
// A file that does not validate never replaces a good configuration (see service.reload).

import { ConfigError, defaultNymVpnConfig, loadNymVpnConfig, type NymVpnConfig, type ConfigIssue } from '../config/nym-vpn-config.js';
import type { DaemonPaths } from './paths.js';

/** The directory API of each network when api_url is not set (nym.md). */
export const NETWORK_API: Record<string, string> = {
  mainnet: 'https://nymvpn.com/api',
};

/**
 * The nym-api of each network when nym_api_url is not set: upstream's mainnet default
 * (nymtech/nym common/network-defaults/src/mainnet.rs NYM_API).
 */
export const NETWORK_NYM_API: Record<string, string> = {
  mainnet: 'https://validator.nymtech.net/api/',
};

export function nymApiUrlOf(c: NymVpnConfig): string {
  return c.main.nymApiUrl ?? NETWORK_NYM_API[c.main.network] ?? NETWORK_NYM_API.mainnet!;
}

export function apiUrlOf(c: NymVpnConfig): string {
  return c.main.apiUrl ?? NETWORK_API[c.main.network] ?? NETWORK_API.mainnet!;
}

export interface LoadedConfig {
  config: NymVpnConfig;
  warnings: readonly ConfigIssue[];
  /** 'defaults' only at a first start without any file. */
  source: 'file' | 'defaults';
}

/**
 * Reads and validates the config; throws an Error listing the problems (config.section.option: why).
 * At start a missing file means the defaults; on a reload it is refused like any bad edit.
 */
export async function readConfig(paths: DaemonPaths, when: 'start' | 'reload' = 'reload'): Promise<LoadedConfig> {
  try {
    return await loadNymVpnConfig(paths.uciDir, undefined, { whenMissing: when === 'start' ? 'defaults' : 'error' });
  } catch (e) {
    if (e instanceof ConfigError) throw new Error(describeIssues(e.issues));
    throw e;
  }
}

/** The first few problems and how many more: what status's config_error shows stays short. */
export function describeIssues(issues: readonly ConfigIssue[], shown = 5): string {
  const head = issues.slice(0, shown).map((i) => i.message).join('; ');
  return issues.length > shown ? `${head}; and ${issues.length - shown} more` : head;
}

export { defaultNymVpnConfig };
export type { NymVpnConfig };
