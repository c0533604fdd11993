// Source NAT for traffic leaving through the tunnel: the exit gateway only accepts our tunnel
// address as a source, so LAN packets are masqueraded to it, as OpenWrt masquerades its WAN.
// A table of our own (inet nym_nat), so fw4 reloads and other rules never interfere.

import { run, type CommandTarget } from './command.js';

export const NAT_TABLE = 'nym_nat';

export function renderNat(interfaceName: string): string {
  return [
    `table inet ${NAT_TABLE} {`,
    '\tchain postrouting {',
    '\t\ttype nat hook postrouting priority srcnat + 5; policy accept;',
    `\t\toifname "${interfaceName}" masquerade`,
    '\t}',
    '}',
    '',
  ].join('\n');
}

export async function applyNat(interfaceName: string, target: CommandTarget = {}): Promise<void> {
  // Declaring the table first makes the delete valid when it does not exist yet: one transaction.
  await run('nft', ['-f', '-'], target, `table inet ${NAT_TABLE}\ndelete table inet ${NAT_TABLE}\n${renderNat(interfaceName)}`);
}

export async function removeNat(target: CommandTarget = {}): Promise<void> {
  await run('nft', ['-f', '-'], target, `table inet ${NAT_TABLE}\ndelete table inet ${NAT_TABLE}\n`);
}
