// The namespaces the firewall tests send real packets through:
//
//   lan 192.168.50.2 ── br-lan 192.168.50.1  router  wan0 198.51.100.2 ── 198.51.100.1 isp
//       fd50::2                 fd50::1      nym0 10.64.0.1 / fd64::1         2001:db8:100::1
//                                              │                              "the internet": 192.0.2.80 (web),
//                                  10.64.0.2 tunnel-peer                      192.0.2.53 (resolver), 1.1.1.1,
//                                  10.99.0.80, 10.99.0.53, fd99::80           203.0.113.10 and 2001:db8:2::10 (entry),
//                                                                             2001:db8:2::80
//
// nym0 stands in for the TUN: a veth to a peer namespace that plays "the far side of the tunnel". The
// router's routes decide where a packet would go (default via the ISP, 10.99.0.0/16 and fd99::/16 via
// nym0), and the firewall decides whether it may: whatever reaches the isp namespace left outside the
// tunnel. No NAT, so every listener sees the real source.
import { Lab, type Netns } from '../../tools/lab/netns.js';

export const ADDR = {
  lan: '192.168.50.2', lan6: 'fd50::2',
  routerLan: '192.168.50.1', routerLan6: 'fd50::1',
  routerWan: '198.51.100.2', routerWan6: '2001:db8:100::2',
  isp: '198.51.100.1', isp6: '2001:db8:100::1',
  web: '192.0.2.80', web6: '2001:db8:2::80', entry6: '2001:db8:2::10', resolver: '192.0.2.53', dnsServer: '1.1.1.1', entry: '203.0.113.10',
  tunnelPeer: '10.64.0.2', tunnelWeb: '10.99.0.80', tunnelResolver: '10.99.0.53', tunnelWeb6: 'fd99::80',
} as const;

export interface Topology {
  lab: Lab;
  lan: Netns;
  router: Netns;
  isp: Netns;
  tunnel: Netns;
}

export async function buildTopology(prefix: string): Promise<Topology> {
  const lab = await Lab.create({ prefix });
  try {
    const lan = await lab.namespace({ forwarding: false });
    const router = await lab.namespace();
    const isp = await lab.namespace();
    const tunnel = await lab.namespace();
    await lab.veth({ ns: lan, name: 'eth0', addresses: ['192.168.50.2/24', 'fd50::2/64'] },
      { ns: router, name: 'br-lan', addresses: ['192.168.50.1/24', 'fd50::1/64'] });
    await lab.veth({ ns: router, name: 'wan0', addresses: ['198.51.100.2/24', '2001:db8:100::2/64'] },
      { ns: isp, name: 'down0', addresses: ['198.51.100.1/24', '2001:db8:100::1/64'] });
    await lab.veth({ ns: router, name: 'nym0', addresses: ['10.64.0.1/30', 'fd64::1/64'] },
      { ns: tunnel, name: 'peer0', addresses: ['10.64.0.2/30', 'fd64::2/64'] });
    await lan.addRoute('default', { via: ADDR.routerLan });
    await lan.addRoute('::/0', { via: ADDR.routerLan6 });
    await router.addRoute('default', { via: ADDR.isp });
    await router.addRoute('::/0', { via: ADDR.isp6 });
    await router.addRoute('10.99.0.0/16', { via: ADDR.tunnelPeer });
    await router.addRoute('fd99::/16', { via: 'fd64::2' });
    for (const a of ['192.0.2.80/32', '192.0.2.53/32', '1.1.1.1/32', '203.0.113.10/32', '2001:db8:2::80/128', '2001:db8:2::10/128']) await isp.addAddress('lo', a);
    await isp.addRoute('192.168.50.0/24', { via: ADDR.routerWan });
    await isp.addRoute('fd50::/64', { via: ADDR.routerWan6 });
    for (const a of ['10.99.0.80/32', '10.99.0.53/32', 'fd99::80/128']) await tunnel.addAddress('lo', a);
    await tunnel.addRoute('192.168.50.0/24', { via: '10.64.0.1' });
    await tunnel.addRoute('fd50::/64', { via: 'fd64::1' });
    return { lab, lan, router, isp, tunnel };
  } catch (e) {
    await lab.destroy();
    throw e;
  }
}
