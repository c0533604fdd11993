// The daemon's configuration: /etc/config/nym-vpn through src/uci, typed and validated there.
// A file that does not validate never replaces a good configuration (see service.reload).

import { ConfigError, defaultNymVpnConfig, loadNymVpnConfig, type NymVpnConfig, type ConfigIssue } from '../config/nym-vpn-config.js';
import type { DaemonPaths } from './paths.js';

/** The directory API of each network when api_url is not set (nym.md). */
export const NETWORK_API: Record<string, string> = {
  mainnet: 'https://nymvpn.com/api',
};

export function apiUrlOf(c: NymVpnConfig): string {
  return c.main.apiUrl ?? NETWORK_API[c.main.network] ?? NETWORK_API.mainnet!;
}

export interface LoadedConfig {
  config: NymVpnConfig;
  warnings: readonly ConfigIssue[];
}

/** Reads and validates the config; throws an Error listing every problem (config.section.option: why). */
export async function readConfig(paths: DaemonPaths): Promise<LoadedConfig> {
  try {
    return await loadNymVpnConfig(paths.uciDir);
  } catch (e) {
    if (e instanceof ConfigError) throw new Error(e.issues.map((i) => i.message).join('; '));
    throw e;
  }
}

export { defaultNymVpnConfig };
export type { NymVpnConfig };
