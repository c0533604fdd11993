// The kill switch as nym-vpnd drives it: src/firewall's Firewall, fed from the daemon's config (the
// setting, always-on, interface, LAN sources, DNS, IPv6 mode) at every step the connection takes.

import { Firewall, connectionFirewall, type FirewallBase } from '../firewall/index.js';
import { killSwitchSpec } from '../firewall/spec.js';
import { resolveSources, type ResolvedSources } from '../routing/devices.js';
import { NYM_FWMARK } from '../routing/policy.js';
import { apiOwnTraffic } from './api-endpoint.js';
import type { NymVpnConfig } from '../config/nym-vpn-config.js';
import type { FirewallPort } from './connection-ports.js';
import type { Logger } from './log.js';
import type { DaemonPaths } from './paths.js';

export interface DaemonFirewall {
  port: FirewallPort;
  firewall: Firewall;
  /** Re-reads the LAN sources (after a config reload). */
  refreshSources(): Promise<void>;
  /** Throws when the kill switch could not be made from this config (checked before a reload takes it). */
  check(config: NymVpnConfig): void;
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
  const baseOf = (c: NymVpnConfig): FirewallBase => {
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
  const base = () => baseOf(config());
  // What the config decides (tunnel name, DNS, IPv6 mode) is checked; the LAN devices come from netifd at
  // run time, so an unresolved LAN is no reason to refuse an edit (a placeholder stands in for it).
  const check = (c: NymVpnConfig) => {
    const b = baseOf(c);
    const lan = (b.lan.interfaces?.length ?? 0) + (b.lan.cidrs?.length ?? 0) > 0 ? b.lan : { interfaces: ['lo'] };
    killSwitchSpec({ ...b, lan, state: 'connecting', endpoints: [] });
  };
  return { port: connectionFirewall(firewall, base, () => apiOwnTraffic(config())), firewall, refreshSources, check };
}
