// Reads the daemon's settings from UCI. (Provisional: the full typed nym-vpn config from
// src/uci arrives with the UCI parser; until then the defaults apply.)

import type { DaemonPaths } from './paths.js';
import type { Settings } from './service.js';

export const DEFAULT_SETTINGS: Settings = {
  interfaceName: 'nym0',
  dns: ['1.1.1.1', '1.0.0.1', '2606:4700:4700::1111', '2606:4700:4700::1001'],
  killSwitch: true,
  network: 'mainnet',
  apiUrl: 'https://nymvpn.com/api',
};

export function readSettings(_paths: DaemonPaths, _opts: { defaultsOnly?: boolean } = {}): Settings {
  return { ...DEFAULT_SETTINGS, dns: [...DEFAULT_SETTINGS.dns] };
}
