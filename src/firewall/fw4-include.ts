// The one file we put into fw4's automatic include folders.
//
// Why /usr/share/nftables.d/ruleset-post/ (outside `table inet fw4`) and not table-post, chain-pre/<chain>
// or a UCI `config include`:
//  - our rules live in tables of our own, with base chains of their own; they name no fw4 chain, so
//    zone names, fw4 versions and the owner's config cannot break them, and a drop in our chain is final
//    whatever fw4's chains accept;
//  - `fw4 stop` and `fw4 restart` delete table fw4 and everything inside it; our tables stay;
//  - fw4 renders its ruleset-post includes into the same `nft -f` as its own table, at boot and on every
//    reload (ifup hotplug events reload it often), so ours come back in that transaction;
//  - the automatic folders need no edit of the owner's /etc/config/firewall (a UCI include would).
// The file holds no rules itself, only two wildcard includes (nft accepts a wildcard matching nothing):
//  1. the boot guard, present while the owner has the kill switch on;
//  2. what nym-vpnd last loaded: its kill switch, or the deletion of both tables. That file lives in RAM,
//     so at boot only the boot guard holds, and after any fw4 reload exactly what nym-vpnd decided.
import { dirname } from 'node:path';
import type { FirewallPaths } from './paths.js';

export function renderFw4Include(p: FirewallPaths): string {
  return [
    '# nym-vpn: keeps the kill switch through every fw4 start and reload (fw4 loads this file in the same',
    '# transaction as its own table). 1: the boot guard, there while the kill switch setting is on.',
    '# 2: what nym-vpnd last loaded; in RAM, so absent at boot until nym-vpnd has started and decided.',
    `include "${p.bootGuardDir}/*.nft"`,
    `include "${dirname(p.runtimeNft)}/*.nft"`,
    '',
  ].join('\n');
}
