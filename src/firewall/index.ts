// What nym-vpnd uses from the firewall part. Everything else in this folder is its inside.
//
//   const firewall = await Firewall.create({ backend: config.main.firewallBackend });
//   await firewall.apply(state);   // on every tunnel state change (idempotent, serialised)
//   await firewall.lift();         // everything away (idempotent)
//   await firewall.status();       // what the kernel holds (e.g. after `/etc/init.d/firewall stop`)
// connectionFirewall(firewall, () => base) is the same as src/daemon/connection.ts's FirewallPort.
export { Firewall, FirewallFailedClosed, type FirewallAction, type FirewallOptions, type FirewallStatus } from './firewall.js';
export { wantsBootGuard, wantsKillSwitch } from './spec.js';
export { connectionFirewall, type ConnectionFirewall, type FirewallBase } from './port.js';
export { renderFw3IncludeSection } from './fw3-include.js';
export type { BackendChoice, Backend } from './backend.js';
export {
  FirewallConfigError, NYM_FWMARK, TUNNEL_PHASES,
  type AllowedEndpoint, type FirewallState, type Ipv6Mode, type LanSources, type TunnelPhase,
} from './types.js';
