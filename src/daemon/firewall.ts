// The kill switch as nym-vpnd drives it: src/firewall's Firewall, fed from the daemon's config (the
// setting, always-on, interface, LAN sources, DNS, IPv6 mode) at every step the connection takes.

import { Firewall, connectionFirewall, type FirewallBase } from '../firewall/index.js';
import { resolveSources, type ResolvedSources } from '../routing/devices.js';
import { NYM_FWMARK } from '../routing/policy.js';
import type { NymVpnConfig } from '../config/nym-vpn-config.js';
import type { FirewallPort } from './connection-ports.js';
import type { Logger } from './log.js';
import type { DaemonPaths } from './paths.js';

export interface DaemonFirewall {
  port: FirewallPort;
  firewall: Firewall;
  /** Re-reads the LAN sources (after a config reload). */
  refreshSources(): Promise<void>;
}

export async function createDaemonFirewall(
  paths: DaemonPaths,
  config: () => NymVpnConfig,
  lookupNetwork: (name: string) => Promise<string | undefined>,
  log: Logger,
): Promise<DaemonFirewall> {
  const firewall = await Firewall.create({ root: paths.root, backend: config().main.firewallBackend, log: (m) => log.info(`firewall: ${m}`) });
  log.info(`firewall backend: ${firewall.backend}`);
  let sources: ResolvedSources = { devices: [], cidrs: [], unresolved: [] };
  const refreshSources = async () => {
    sources = await resolveSources(config().policy.sources, lookupNetwork);
    if (sources.unresolved.length > 0) log.warn(`firewall: LAN sources not found: ${sources.unresolved.join(', ')}`);
  };
  await refreshSources();
  const base = (): FirewallBase => {
    const c = config();
    return {
      killSwitch: c.main.killSwitch,
      alwaysOn: c.main.alwaysOn,
      tunnelInterface: c.main.interface,
      lan: { interfaces: sources.devices, cidrs: sources.cidrs },
      wan: 'any',
      fwmark: NYM_FWMARK,
      dns: [...c.main.dns],
      ipv6: c.main.ipv6 ? 'tunnel' : 'block',
    };
  };
  return { port: connectionFirewall(firewall, base), firewall, refreshSources };
}
