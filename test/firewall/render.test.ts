// The pure part: states checked and normalised, the decision, the rule text (golden files reviewed by
// hand, plus the orderings that matter spelled out), and the shipped static files equal to what the code
// renders for OpenWrt's paths.
import test from 'ava';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseCidr } from '../../src/firewall/addresses.js';
import { renderFw3IncludeSection } from '../../src/firewall/fw3-include.js';
import { renderFw4Include } from '../../src/firewall/fw4-include.js';
import { renderIptBootGuard } from '../../src/firewall/ipt-boot-guard.js';
import { renderIptKillSwitch } from '../../src/firewall/ipt-kill-switch.js';
import { renderBootGuard } from '../../src/firewall/nft-boot-guard.js';
import { renderKillSwitch, renderLifted } from '../../src/firewall/nft-kill-switch.js';
import { firewallPaths } from '../../src/firewall/paths.js';
import { killSwitchSpec, wantsBootGuard, wantsKillSwitch } from '../../src/firewall/spec.js';
import { DEFAULT_BOOT_GUARD, FirewallConfigError, TUNNEL_PHASES, type FirewallState } from '../../src/firewall/types.js';
import { CONNECTED, CONNECTING_V6_BLOCKED, REPRESENTATIVE, goldenDir, repoRoot } from './states.js';

const golden = (name: string): string => readFileSync(join(goldenDir, name), 'utf8');
const shipped = (path: string): string => readFileSync(join(repoRoot, 'files', path), 'utf8');

test('the decision: only an owner\'s disconnect without always-on (or the setting off) lifts the kill switch', (t) => {
  for (const state of TUNNEL_PHASES) {
    for (const alwaysOn of [false, true]) {
      t.false(wantsKillSwitch({ killSwitch: false, alwaysOn, state }), `setting off, ${state}`);
      t.is(wantsKillSwitch({ killSwitch: true, alwaysOn, state }), state !== 'disconnected' || alwaysOn, `${state}, alwaysOn ${alwaysOn}`);
    }
  }
  t.true(wantsBootGuard({ killSwitch: true }));
  t.false(wantsBootGuard({ killSwitch: false }));
});

for (const [name, state] of Object.entries(REPRESENTATIVE)) {
  test(`golden text: ${name} (nft, iptables, ip6tables)`, (t) => {
    const spec = killSwitchSpec(state);
    t.is(renderKillSwitch(spec), golden(`${name}.nft`));
    t.is(renderIptKillSwitch(spec, 4), golden(`${name}.v4.rules`));
    t.is(renderIptKillSwitch(spec, 6), golden(`${name}.v6.rules`));
  });
}

test('the same state in another order renders the same text', (t) => {
  const shuffled: FirewallState = {
    ...CONNECTING_V6_BLOCKED,
    lan: { interfaces: ['br-lan', 'br-guest', 'br-lan'] },
    wan: ['pppoe-wan', 'wan'],
    endpoints: [...CONNECTING_V6_BLOCKED.endpoints].reverse(),
  };
  t.is(renderKillSwitch(killSwitchSpec(shuffled)), renderKillSwitch(killSwitchSpec(CONNECTING_V6_BLOCKED)));
});

test('endpoints sort by code unit, the same under any locale', (t) => {
  // Under ICU's collation ':' sorts before the digits, so a locale-aware sort put 2001:db8:: first and the
  // rule text could change with the router's locale; code-unit order puts '0' (0x30) before ':' (0x3a).
  const state: FirewallState = {
    ...CONNECTING_V6_BLOCKED,
    endpoints: [{ address: '2001:db8::1', port: 51822 }, { address: '2001:db80::1', port: 51822 }, { address: '2001:db8::1', port: 51821 }],
  };
  t.deepEqual(killSwitchSpec(state).endpoints.map((e) => `${e.address} ${e.port}`), ['2001:db80::1 51822', '2001:db8::1 51821', '2001:db8::1 51822']);
});

test('nft: the orderings that carry the policy', (t) => {
  const text = renderKillSwitch(killSwitchSpec(CONNECTED));
  const at = (s: string): number => {
    const i = text.indexOf(s);
    t.true(i >= 0, `missing: ${s}`);
    return i;
  };
  // One transaction: the old table goes, the new one comes, the boot guard goes.
  t.true(text.startsWith('# nym-vpn kill switch'));
  t.true(at('table inet nym\ndelete table inet nym\ntable inet nym {') < at('table inet nym_boot\ndelete table inet nym_boot'));
  // Ahead of fw4 (priority filter = 0), a drop before fw4's flow offload.
  t.regex(text, /type filter hook forward priority filter - 10; policy accept;/);
  t.regex(text, /type filter hook output priority filter - 10; policy drop;/);
  // The marked entry endpoint before the DNS drop, the DNS drops before the tunnel accept.
  t.true(at('meta mark 0x14d ip daddr 203.0.113.10 udp dport 51820 accept') < at('th dport { 53, 853 } oifname != "nym0"'));
  t.true(at('ip daddr @dns_v4 oifname != "nym0"') < at('oifname "nym0" accept\n\t\toifname @lan_ifaces accept'));
  // The final verdicts are rejects that count.
  t.regex(text, /counter reject with icmpx admin-prohibited comment "nym-vpn: LAN traffic outside the tunnel"/);
  t.regex(text, /counter reject with icmpx admin-prohibited comment "nym-vpn: router traffic outside the tunnel"\n\t}\n}/);
  t.is(renderLifted(), '# nym-vpn kill switch lifted (written by nym-vpnd: do not edit)\ntable inet nym\ndelete table inet nym\ntable inet nym_boot\ndelete table inet nym_boot\n');
});

test('iptables: our chains never ACCEPT (that would end fw3\'s FORWARD too); they RETURN or reject', (t) => {
  for (const state of Object.values(REPRESENTATIVE)) {
    for (const family of [4, 6] as const) {
      const text = renderIptKillSwitch(killSwitchSpec(state), family);
      t.notRegex(text, /-j ACCEPT/);
      t.regex(text, /^\*filter\n:nym_forward - \[0:0\]\n:nym_from_lan - \[0:0\]\n:nym_to_lan - \[0:0\]\n:nym_output - \[0:0\]\n/m);
      t.true(text.endsWith('COMMIT\n'));
      for (const line of text.split('\n').filter((l) => l.startsWith('-A nym_forward'))) t.regex(line, / -g nym_(from|to)_lan$/);
    }
  }
  const v6 = renderIptKillSwitch(killSwitchSpec(CONNECTING_V6_BLOCKED), 6);
  t.true(v6.indexOf('-A nym_from_lan -m comment --comment "nym-vpn: IPv6 is blocked"') < v6.indexOf('-A nym_from_lan -o nym0 -j RETURN'));
  t.notRegex(renderIptKillSwitch(killSwitchSpec(CONNECTING_V6_BLOCKED), 4), /IPv6 is blocked/);
});

test('bad states are refused with the field named', (t) => {
  const bad = (patch: Partial<FirewallState>, field: RegExp): void => {
    const e = t.throws(() => killSwitchSpec({ ...CONNECTED, ...patch }), { instanceOf: FirewallConfigError });
    t.regex(e!.message, field);
  };
  bad({ tunnelInterface: 'nym0"; accept' }, /^firewall tunnelInterface: not an interface name/);
  bad({ lan: { interfaces: ['br lan'] } }, /lan\.interfaces\[0\]/);
  bad({ lan: { cidrs: ['192.168.1.0/33'] } }, /lan\.cidrs\[0\]: prefix length above 32/);
  bad({ lan: {} }, /^firewall lan: no LAN interface or range/);
  bad({ lan: { interfaces: ['nym0'] } }, /the tunnel cannot be a LAN interface/);
  bad({ wan: [] }, /^firewall wan: empty/);
  bad({ wan: ['br-lan'] }, /^firewall wan: also the tunnel or a LAN interface/);
  bad({ endpoints: [{ address: '203.0.113.300', port: 51820 }] }, /endpoints\[0\]\.address: not an IPv4 or IPv6 address/);
  bad({ endpoints: [{ address: '203.0.113.3', port: 0 }] }, /endpoints\[0\]\.port: not a port/);
  bad({ endpoints: [{ address: '203.0.113.3', port: 1, family: 6 }] }, /endpoints\[0\]\.family: the address is IPv4/);
  bad({ endpoints: [{ address: '203.0.113.3', port: 1, protocol: 'icmp' as 'udp' }] }, /endpoints\[0\]\.protocol/);
  bad({ dns: ['one.one.one.one'] }, /dns\[0\]/);
  bad({ fwmark: 0 }, /^firewall fwmark/);
  bad({ ipv6: 'off' as 'block' }, /^firewall ipv6/);
  bad({ state: 'sleeping' as 'connected' }, /^firewall state/);
});

test('ranges lose their host bits; addresses come out in one canonical form', (t) => {
  t.is(parseCidr('x', '192.168.1.7/24').text, '192.168.1.0/24');
  t.is(parseCidr('x', '10.1.2.3/8').text, '10.0.0.0/8');
  t.is(parseCidr('x', '10.1.2.3').text, '10.1.2.3');
  t.is(parseCidr('x', '0.0.0.0/0').text, '0.0.0.0/0');
  t.is(parseCidr('x', 'FD00:1:0:0::7/64').text, 'fd00:1::/64');
  t.is(parseCidr('x', '2001:db8:1234:5678:9abc::1/52').text, '2001:db8:1234:5000::/52');
  t.is(parseCidr('x', '2001:db8::1/128').text, '2001:db8::1');
  const spec = killSwitchSpec({ ...CONNECTED, dns: ['2606:4700:4700:0:0:0:0:1111', '1.1.1.1', '1.1.1.1'] });
  t.deepEqual(spec.dns6, ['2606:4700:4700::1111']);
  t.deepEqual(spec.dns4, ['1.1.1.1']);
});

test('the shipped boot guard and fw4 include are what the code renders for OpenWrt\'s paths', (t) => {
  t.is(shipped('etc/nym-vpn/boot-guard/boot-guard.nft'), renderBootGuard(DEFAULT_BOOT_GUARD));
  t.is(shipped('etc/nym-vpn/boot-guard/boot-guard.v4.rules'), renderIptBootGuard(DEFAULT_BOOT_GUARD, 4));
  t.is(shipped('etc/nym-vpn/boot-guard/boot-guard.v6.rules'), renderIptBootGuard(DEFAULT_BOOT_GUARD, 6));
  t.is(shipped('usr/share/nftables.d/ruleset-post/20-nym-vpn.nft'), renderFw4Include(firewallPaths('/')));
  t.regex(shipped('usr/share/nftables.d/ruleset-post/20-nym-vpn.nft'), /^include "\/etc\/nym-vpn\/boot-guard\/\*\.nft"\ninclude "\/var\/run\/nym-vpn\/firewall\/\*\.nft"\n$/m);
  t.is(renderFw3IncludeSection(firewallPaths('/')), "config include 'nym_vpn'\n\toption type 'script'\n\toption path '/usr/lib/nym-vpn/fw3-include.sh'\n\toption reload '1'\n");
});

test('the boot guard: forwarding only through the tunnel, router output like the kill switch but any marked socket', (t) => {
  const text = renderBootGuard({ tunnel: 'tun9', fwmark: 0xbeef });
  t.regex(text, /table inet nym_boot\ndelete table inet nym_boot\ntable inet nym_boot \{/);
  t.regex(text, /type filter hook forward priority filter - 20; policy accept;\n\n\t\toifname "tun9" accept\n\t\tiifname "tun9" accept\n\t\tcounter reject/);
  t.regex(text, /meta mark 0xbeef accept/);
  t.notRegex(text, /nym0/);
  t.regex(renderIptBootGuard({ tunnel: 'tun9', fwmark: 0xbeef }, 4), /-A nym_boot_forward -o tun9 -j RETURN\n-A nym_boot_forward -i tun9 -j RETURN\n/);
});

test('paths under a root prefix; a root that could break out of the include lines is refused', (t) => {
  const p = firewallPaths('/tmp/lab1');
  t.is(p.fw4Include, '/tmp/lab1/usr/share/nftables.d/ruleset-post/20-nym-vpn.nft');
  t.is(p.runtimeNft, '/tmp/lab1/var/run/nym-vpn/firewall/ruleset.nft');
  t.regex(renderFw4Include(p), /include "\/tmp\/lab1\/etc\/nym-vpn\/boot-guard\/\*\.nft"/);
  t.throws(() => firewallPaths('/tmp/a"b'), { instanceOf: TypeError });
  t.throws(() => firewallPaths('/tmp/a b'), { instanceOf: TypeError });
});
