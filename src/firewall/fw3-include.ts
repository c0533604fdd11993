// How fw3 learns about us: a `config include` section in /etc/config/firewall naming the shipped script
// files/usr/lib/nym-vpn/fw3-include.sh. fw3 runs script includes after building its own rules, at start
// and, with `reload 1`, at every reload. fw3 reloads only remove rules it tagged "!fw3", so our chains and
// jumps usually survive; the script is what brings them back after `fw3 flush` and at boot, and puts our
// jumps first again if something was inserted before them.
import type { FirewallPaths } from './paths.js';

export const FW3_INCLUDE_SECTION = 'nym_vpn';

/** The UCI text to add to /etc/config/firewall (a uci-defaults script does it on fw3 systems). */
export function renderFw3IncludeSection(p: FirewallPaths): string {
  return [
    `config include '${FW3_INCLUDE_SECTION}'`,
    "\toption type 'script'",
    `\toption path '${p.fw3Include}'`,
    "\toption reload '1'",
    '',
  ].join('\n');
}
