// Representative daemon states for the firewall tests, and where the repository's files are.
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FirewallState } from '../../src/firewall/types.js';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const goldenDir = resolve(repoRoot, 'test/firewall/golden');

/** Connected through nym0; the LAN by interface and by ranges; any other interface counts as WAN. */
export const CONNECTED: FirewallState = {
  killSwitch: true,
  alwaysOn: false,
  state: 'connected',
  tunnelInterface: 'nym0',
  lan: { interfaces: ['br-lan'], cidrs: ['192.168.1.7/24', 'fd00:1::/64'] },
  wan: 'any',
  endpoints: [{ address: '203.0.113.10', port: 51820, family: 4 }],
  fwmark: 0x14d,
  dns: ['1.1.1.1', '2606:4700:4700::1111'],
  ipv6: 'tunnel',
};

/** Connecting with IPv6 blocked, named WAN interfaces, an IPv6 entry and a TCP endpoint (a directory API). */
export const CONNECTING_V6_BLOCKED: FirewallState = {
  killSwitch: true,
  alwaysOn: true,
  state: 'connecting',
  tunnelInterface: 'nym0',
  lan: { interfaces: ['br-lan', 'br-guest'] },
  wan: ['wan', 'pppoe-wan'],
  endpoints: [
    { address: '2001:db8:10::a', port: 51820 },
    { address: '198.51.100.80', port: 443, protocol: 'tcp' },
  ],
  dns: ['9.9.9.9'],
  ipv6: 'block',
};

/** Always-on while disconnected: no endpoint at all, the LAN only by range. */
export const DISCONNECTED_ALWAYS_ON: FirewallState = {
  killSwitch: true,
  alwaysOn: true,
  state: 'disconnected',
  tunnelInterface: 'nym0',
  lan: { cidrs: ['192.168.50.0/24'] },
  wan: 'any',
  endpoints: [],
  dns: [],
  ipv6: 'tunnel',
};

export const REPRESENTATIVE: Record<string, FirewallState> = {
  connected: CONNECTED,
  'connecting-v6-blocked': CONNECTING_V6_BLOCKED,
  'disconnected-always-on': DISCONNECTED_ALWAYS_ON,
};
