// The kill switch for fw3 (iptables): the policy of nft-kill-switch.ts as iptables-restore input, one
// file per family (iptables-restore and ip6tables-restore), for use with --noflush. Declaring our chains
// in the file flushes and refills them in one commit: an update has no moment without rules.
// The jumps from FORWARD and OUTPUT are not in the file (iptables-restore cannot express "exactly once,
// first"); apply-ipt.ts and the fw3 include script put them first.
import { IPT_CHAINS, type KillSwitchSpec } from './types.js';
import {
  comment, dnsRejects, hostCidr, linkEssentials, markMatch, reject, restoreFile, type Family,
} from './ipt-text.js';

const C = IPT_CHAINS;
export const KILL_SWITCH_CHAINS = [C.forward, C.fromLan, C.toLan, C.output] as const;

/** Matches for "is in the LAN" on one side: -i/-o per interface, -s/-d per range of this family. */
function lanMatches(s: KillSwitchSpec, family: Family, side: 's' | 'd'): string[] {
  const cidrs = family === 4 ? s.lan4 : s.lan6;
  return [
    ...s.lanInterfaces.map((i) => `${side === 's' ? '-i' : '-o'} ${i}`),
    ...cidrs.map((c) => `-${side} ${hostCidr(family, c)}`),
  ];
}

export function renderIptKillSwitch(s: KillSwitchSpec, family: Family): string {
  const t = s.tunnel;
  const block = family === 6 && s.ipv6 === 'block';
  const leak = comment('nym-vpn: LAN traffic outside the tunnel');
  const inward = comment('nym-vpn: into the LAN outside the tunnel');
  const blocked6 = comment('nym-vpn: IPv6 is blocked');
  const rules = [
    ...lanMatches(s, family, 's').map((m) => `-A ${C.forward} ${m} -g ${C.fromLan}`),
    ...lanMatches(s, family, 'd').map((m) => `-A ${C.forward} ${m} -g ${C.toLan}`),

    ...lanMatches(s, family, 'd').map((m) => `-A ${C.fromLan} ${m} -j RETURN`),
    ...(block ? [`-A ${C.fromLan} ${blocked6} ${reject(family)}`] : []),
    `-A ${C.fromLan} -o ${t} -j RETURN`,
    ...(s.wan === 'any'
      ? [`-A ${C.fromLan} ${leak} ${reject(family)}`]
      : s.wan.map((w) => `-A ${C.fromLan} -o ${w} ${leak} ${reject(family)}`)),

    ...(block ? [`-A ${C.toLan} ${blocked6} -j DROP`] : []),
    `-A ${C.toLan} -i ${t} -j RETURN`,
    ...(s.wan === 'any' ? [`-A ${C.toLan} ${inward} -j DROP`] : s.wan.map((w) => `-A ${C.toLan} -i ${w} ${inward} -j DROP`)),

    `-A ${C.output} -o lo -j RETURN`,
    ...s.endpoints.filter((e) => e.family === family).map((e) =>
      `-A ${C.output} -d ${hostCidr(family, e.address)} -p ${e.protocol} -m ${e.protocol} --dport ${e.port} ${markMatch(s.fwmark)} ${comment('nym-vpn: entry endpoint')} -j RETURN`),
    ...(family === 4 ? s.dns4 : s.dns6).map((d) =>
      `-A ${C.output} -d ${hostCidr(family, d)} ! -o ${t} ${comment('nym-vpn: DNS server outside the tunnel')} ${reject(family)}`),
    ...dnsRejects(C.output, family, t, 'nym-vpn: DNS outside the tunnel'),
    ...(block ? [`-A ${C.output} -o ${t} ${blocked6} ${reject(family)}`] : []),
    `-A ${C.output} -o ${t} -j RETURN`,
    ...lanMatches(s, family, 'd').map((m) => `-A ${C.output} ${m} -j RETURN`),
    `-A ${C.output} -m conntrack --ctstate ESTABLISHED --ctdir REPLY -j RETURN`,
    ...linkEssentials(C.output, family),
    `-A ${C.output} ${comment('nym-vpn: router traffic outside the tunnel')} ${reject(family)}`,
  ];
  const header = `# nym-vpn kill switch, IPv${family} (written by nym-vpnd: do not edit)\n`;
  return restoreFile(header, KILL_SWITCH_CHAINS, rules);
}
