// files/etc/uci-defaults/60-nym-vpn-interface with the real uci, in an OpenWrt-shaped root (chroot,
// busybox sh): nym0 becomes a proto 'none' interface in zone nymvpn with LAN forwarding into it; run
// again it adds nothing; what a router owner already has under those names is left alone; without a
// lan zone there is no forwarding to add.
import test from 'ava';
import { copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../helpers/bus.js';
import { FIREWALL, NETWORK, RouterRoot, routerRootUnavailable } from './router-root.js';

const SCRIPT = join(repoRoot, 'files/etc/uci-defaults/60-nym-vpn-interface');
const why = await routerRootUnavailable();

async function withRoot(fn: (root: RouterRoot, apply: () => number) => void): Promise<void> {
  const root = await RouterRoot.create('fw4');
  try {
    // As default_postinst and /etc/init.d/boot source it: from its folder, in a subshell.
    const apply = () => {
      copyFileSync(SCRIPT, join(root.dir, 'etc/uci-defaults/60-nym-vpn-interface'));
      return root.run(['/bin/sh', '-c', 'cd /etc/uci-defaults && ( . ./60-nym-vpn-interface )']).code;
    };
    fn(root, apply);
  } finally {
    root.remove();
  }
}

if (why) {
  test('60-nym-vpn-interface', (t) => { t.log(`skipped: ${why}`); t.pass(); });
} else {
  test.serial('adds the interface, the zone and the LAN forwarding; a second run adds nothing', async (t) => {
    await withRoot((root, apply) => {
      t.is(apply(), 0);
      const network = root.uciShow('network');
      const firewall = root.uciShow('firewall');
      t.regex(network, /^network\.nym0=interface\nnetwork\.nym0\.proto='none'\nnetwork\.nym0\.device='nym0'$/m);
      t.regex(firewall, /^firewall\.nym_vpn_zone=zone\nfirewall\.nym_vpn_zone\.name='nymvpn'\nfirewall\.nym_vpn_zone\.network='nym0'\nfirewall\.nym_vpn_zone\.input='REJECT'\nfirewall\.nym_vpn_zone\.output='ACCEPT'\nfirewall\.nym_vpn_zone\.forward='REJECT'\nfirewall\.nym_vpn_zone\.masq='1'\nfirewall\.nym_vpn_zone\.mtu_fix='1'$/m);
      t.regex(firewall, /^firewall\.nym_vpn_lan=forwarding\nfirewall\.nym_vpn_lan\.src='lan'\nfirewall\.nym_vpn_lan\.dest='nymvpn'$/m);
      t.is(apply(), 0);
      t.is(root.uciShow('network'), network);
      t.is(root.uciShow('firewall'), firewall);
    });
  });

  test.serial('an interface, zone or forwarding the owner already has under those names stays as it is', async (t) => {
    await withRoot((root, apply) => {
      writeFileSync(join(root.dir, 'etc/config/network'), `${NETWORK}\nconfig interface 'nym0'\n\toption proto 'static'\n\toption device 'nym0'\n\toption ipaddr '10.9.9.9'\n`);
      writeFileSync(join(root.dir, 'etc/config/firewall'), `${FIREWALL}\nconfig zone 'nym_vpn_zone'\n\toption name 'mine'\n\nconfig forwarding 'nym_vpn_lan'\n\toption src 'lan'\n\toption dest 'mine'\n`);
      const network = root.uciShow('network');
      const firewall = root.uciShow('firewall');
      t.is(apply(), 0);
      t.is(root.uciShow('network'), network);
      t.is(root.uciShow('firewall'), firewall);
    });
  });

  test.serial('no zone named lan: interface and zone, no forwarding', async (t) => {
    await withRoot((root, apply) => {
      writeFileSync(join(root.dir, 'etc/config/firewall'), FIREWALL.replace("option name 'lan'", "option name 'home'").replace("option src 'lan'", "option src 'home'"));
      t.is(apply(), 0);
      const firewall = root.uciShow('firewall');
      t.regex(firewall, /^firewall\.nym_vpn_zone=zone$/m);
      t.notRegex(firewall, /nym_vpn_lan/);
    });
  });
}
