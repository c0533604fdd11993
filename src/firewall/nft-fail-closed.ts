// What the kernel gets when the kill switch itself cannot be loaded (a value nft refuses, a broken
// include): the same table name, `inet nym`, holding the strictest rules that need nothing from the
// config — no interface, address or port. Nothing is forwarded; the router's own traffic leaves only by
// loopback or the daemon's marked sockets, plus replies and what its links need. The LAN is cut rather
// than leaked, and status says why.
import { markMatch } from './nft-text.js';
import { KILL_SWITCH_PRIORITY, LINK_ESSENTIALS, REJECT, chain, dropTable } from './nft-text.js';
import { BOOT_GUARD_TABLE, KILL_SWITCH_TABLE } from './types.js';

export function renderFailClosed(fwmark: number): string {
  const forward = chain('forward', `type filter hook forward priority ${KILL_SWITCH_PRIORITY}; policy drop;`, [
    `counter ${REJECT} comment "nym-vpn failed closed: no forwarding"`,
  ]);
  const output = chain('output', `type filter hook output priority ${KILL_SWITCH_PRIORITY}; policy drop;`, [
    'oifname "lo" accept',
    `${markMatch(fwmark)} accept comment "nym-vpn: the daemon's own sockets"`,
    'ct state established ct direction reply accept',
    ...LINK_ESSENTIALS,
    `counter ${REJECT} comment "nym-vpn failed closed: router traffic"`,
  ]);
  return [
    '# nym-vpn: the kill switch could not be loaded; everything outside loopback and the daemon is blocked.',
    `${dropTable(KILL_SWITCH_TABLE)}table inet ${KILL_SWITCH_TABLE} {\n${forward}\n${output}}\n${dropTable(BOOT_GUARD_TABLE)}`,
  ].join('\n');
}
