// The boot guard for fw3 (iptables): the policy of nft-boot-guard.ts as iptables-restore input, one file
// per family. The fw3 include script loads it at every fw3 start and reload until nym-vpnd has decided.
import { IPT_CHAINS, type BootGuardSpec } from './types.js';
import { comment, dnsRejects, linkEssentials, markMatch, reject, restoreFile, type Family } from './ipt-text.js';

const F = IPT_CHAINS.bootForward;
const O = IPT_CHAINS.bootOutput;
export const BOOT_GUARD_CHAINS = [F, O] as const;

export function renderIptBootGuard(g: BootGuardSpec, family: Family): string {
  const t = g.tunnel;
  const rules = [
    `-A ${F} -o ${t} -j RETURN`,
    `-A ${F} -i ${t} -j RETURN`,
    `-A ${F} ${comment('nym-vpn boot guard: forwarding outside the tunnel')} ${reject(family)}`,
    `-A ${O} -o lo -j RETURN`,
    `-A ${O} ${markMatch(g.fwmark)} -j RETURN`,
    ...dnsRejects(O, family, t, 'nym-vpn boot guard: DNS outside the tunnel'),
    `-A ${O} -o ${t} -j RETURN`,
    `-A ${O} -m conntrack --ctstate ESTABLISHED --ctdir REPLY -j RETURN`,
    ...linkEssentials(O, family),
    `-A ${O} ${comment('nym-vpn boot guard: router traffic outside the tunnel')} ${reject(family)}`,
  ];
  const header = [
    `# nym-vpn boot guard, IPv${family}: blocks traffic outside the tunnel from boot until nym-vpnd has decided.`,
    '# Loaded by /usr/lib/nym-vpn/fw3-include.sh; nym-vpnd deletes this file when the owner turns the kill',
    '# switch off, and writes it back when it is turned on.',
    '',
  ].join('\n');
  return restoreFile(header, BOOT_GUARD_CHAINS, rules);
}
