// Source NAT for traffic leaving through the tunnel: the exit gateway only accepts our tunnel
// address as a source, so LAN packets are masqueraded to it, as OpenWrt masquerades its WAN.
// And MSS clamping: LAN hosts have an MTU of 1500 but the tunnel carries less, and gateways send
// us packets as large as their own WireGuard MTU allows; clamping every TCP handshake that crosses
// the tunnel to its MTU keeps segments small enough to nest without fragmenting (what fw4's
// mtu_fix does for a WAN zone). A table of our own (inet nym_nat), so fw4 reloads never touch it.

import { run, type CommandTarget } from './command.js';

export const NAT_TABLE = 'nym_nat';

export function renderNat(interfaceName: string, mtu: number): string {
  const mss4 = mtu - 40;
  const mss6 = mtu - 60;
  const syn = 'tcp flags syn / syn,rst';
  return [
    `table inet ${NAT_TABLE} {`,
    '\tchain postrouting {',
    '\t\ttype nat hook postrouting priority srcnat + 5; policy accept;',
    `\t\toifname "${interfaceName}" masquerade`,
    '\t}',
    '\tchain forward {',
    '\t\ttype filter hook forward priority mangle; policy accept;',
    `\t\toifname "${interfaceName}" meta nfproto ipv4 ${syn} tcp option maxseg size > ${mss4} tcp option maxseg size set ${mss4}`,
    `\t\toifname "${interfaceName}" meta nfproto ipv6 ${syn} tcp option maxseg size > ${mss6} tcp option maxseg size set ${mss6}`,
    `\t\tiifname "${interfaceName}" meta nfproto ipv4 ${syn} tcp option maxseg size > ${mss4} tcp option maxseg size set ${mss4}`,
    `\t\tiifname "${interfaceName}" meta nfproto ipv6 ${syn} tcp option maxseg size > ${mss6} tcp option maxseg size set ${mss6}`,
    '\t}',
    '}',
    '',
  ].join('\n');
}

export async function applyNat(interfaceName: string, mtu: number, target: CommandTarget = {}): Promise<void> {
  // Declaring the table first makes the delete valid when it does not exist yet: one transaction.
  await run('nft', ['-f', '-'], target, `table inet ${NAT_TABLE}\ndelete table inet ${NAT_TABLE}\n${renderNat(interfaceName, mtu)}`);
}

export async function removeNat(target: CommandTarget = {}): Promise<void> {
  await run('nft', ['-f', '-'], target, `table inet ${NAT_TABLE}\ndelete table inet ${NAT_TABLE}\n`);
}
