// The lab's address plan, in one place: every namespace, interface and address the topology uses,
// and the gateways (who they are, where they live, which tunnel addresses they hand out).
// Addresses live inside namespaces, so two labs may use the same plan at the same time.

import { isEd25519Identity } from '../../src/gateways/gateway.js';
import { labIdentity } from './directory-server.js';

export type GatewayRole = 'entry' | 'exit';

/** A gateway the caller asks for; the lab makes its namespace, keys and wireguard-go. */
export interface GatewaySpec {
  /** Short handle for tests and logs, e.g. 'entry-de' ([A-Za-z0-9._-]); the identity is derived from it. */
  label: string;
  role: GatewayRole;
  /** ISO 3166-1 alpha-2, upper case. */
  country: string;
  /** Public IPv4 on the gateway segment 203.0.113.0/24 (not .1, that is the ISP). */
  ip: string;
  /** Public IPv6; default 2001:db8:113::<last octet of ip>. */
  ip6?: string;
  /** Identity as the directory and UCI name it: a base58 ed25519 key; default labIdentity(label). */
  id?: string;
  /** Human name for the directory; default "lab <role> <country>". */
  name?: string;
  /** Directory performance score, percent 0..100 (default 100). */
  performance?: number;
}

/** A gateway with everything derived: public addresses, tunnel subnet, our addresses on it. */
export interface GatewayPlan extends Required<GatewaySpec> {
  /** 1-based index among the gateways of its role: the <n> in 10.100.<n>.0/24 / 10.200.<n>.0/24. */
  n: number;
  /** 0-based index among all gateways: names the ISP-side port. */
  index: number;
  port: number;
  /** "ip:port" as UCI's endpoint option takes it. */
  endpoint: string;
  /** The gateway's own tunnel addresses with prefix, e.g. 10.100.1.1/24, fd00:100:1::1/64. */
  tunnel: { v4: string; v6: string };
  /** Our addresses on this gateway, e.g. 10.100.1.2 and fd00:100:1::2 (no prefix). */
  ours: { v4: string; v6: string };
}

export const WG_PORT = 51820;
/** MTU of the gateways' WireGuard interfaces and of our entry hop; our inner hop (nym0) is 80 less. */
export const ENTRY_MTU = 1420;
export const INNER_MTU = 1340;

export const DEFAULT_GATEWAYS: readonly GatewaySpec[] = [
  { label: 'entry-de', role: 'entry', country: 'DE', ip: '203.0.113.10' },
  { label: 'exit-ch', role: 'exit', country: 'CH', ip: '203.0.113.20' },
];

/** Two per role in different countries (issue 7: selection by country, failover). */
export const MULTI_GATEWAYS: readonly GatewaySpec[] = [
  { label: 'entry-de', role: 'entry', country: 'DE', ip: '203.0.113.10' },
  { label: 'entry-nl', role: 'entry', country: 'NL', ip: '203.0.113.11', performance: 90 },
  { label: 'exit-ch', role: 'exit', country: 'CH', ip: '203.0.113.20' },
  { label: 'exit-se', role: 'exit', country: 'SE', ip: '203.0.113.21', performance: 90 },
];

/** Interface names inside the namespaces (each namespace has its own, so they repeat across labs). */
export const IF = {
  /** lan: its only interface. */
  lanHost: 'eth0',
  /** router: the LAN bridge (as on OpenWrt) and its port towards `lan`. */
  routerLan: 'br-lan',
  routerLanPort: 'lan1',
  /** router: the uplink towards the ISP (OpenWrt's DSA name). */
  routerWan: 'wan',
  /** isp: towards the router, the gateways' bridge (one veth port per gateway: gw<index>), towards inet. */
  ispToRouter: 'to-router',
  ispGatewayBridge: 'br-gw',
  ispToInet: 'to-inet',
  /** gateways and inet: their uplink. */
  uplink: 'eth0',
} as const;

export const ADDR = {
  lan: { v4: '192.168.50.2', v6: 'fd00:50::2', prefix4: 24, prefix6: 64 },
  routerLan: { v4: '192.168.50.1', v6: 'fd00:50::1' },
  lanNet: { v4: '192.168.50.0/24', v6: 'fd00:50::/64' },
  routerWan: { v4: '198.51.100.2', v6: '2001:db8:100::2' },
  ispWan: { v4: '198.51.100.1', v6: '2001:db8:100::1' },
  wanNet: { v4: '198.51.100.0/24', v6: '2001:db8:100::/64' },
  ispGateways: { v4: '203.0.113.1', v6: '2001:db8:113::1' },
  gatewayNet: { v4: '203.0.113.0/24', v6: '2001:db8:113::/64' },
  ispInet: { v4: '192.0.2.1', v6: '2001:db8:80::1' },
  inetNet: { v4: '192.0.2.0/24', v6: '2001:db8:80::/64' },
  /** inet's addresses: the web server, the lab's DNS resolver, the directory server. */
  inetWeb: { v4: '192.0.2.80', v6: '2001:db8:80::80' },
  inetDns: { v4: '192.0.2.53', v6: '2001:db8:80::53' },
  inetDirectory: { v4: '192.0.2.90', v6: '2001:db8:80::90' },
  /** The ISP's resolver answers lab.test with this instead, so a DNS leak shows in the answer. */
  ispDnsAnswer: { v4: '198.51.100.66', v6: '2001:db8:100::66' },
} as const;

/**
 * Well-known internet addresses that inet also holds (on its loopback), so upstream's defaults work in
 * the lab: the connection monitor's probe targets answer pings, the default DNS servers answer like the
 * lab resolver.
 */
export const WELL_KNOWN = {
  probe: ['8.8.8.8', '2001:4860:4860::8888'],
  dns: ['1.1.1.1', '1.0.0.1', '2606:4700:4700::1111', '2606:4700:4700::1001'],
} as const;

export const DIRECTORY_PORT = 8080;
/** The directory server's path prefix, as in https://nymvpn.com/api. */
export const DIRECTORY_BASE_PATH = '/api';
/** The lab's NymVPN account (upstream's test mnemonic from nym-vpn-api-client jwt.rs): subscribed, 5 devices. */
export const LAB_ACCOUNT_MNEMONIC = 'range mystery picture decline olympic acoustic lesson quick rebuild panda royal fold start leader egg hammer width olympic worry length crawl couch link mobile';
export const LAB_ACCOUNT_ADDRESS = 'n1sslaag27wfydyrvyua72hg5e0vteglxrs8nw3c';
export const DIRECTORY_URL = `http://${ADDR.inetDirectory.v4}:${DIRECTORY_PORT}${DIRECTORY_BASE_PATH}`;
/** The lab nym-api (mixnet registration mode): beside the directory on inet, the topology the WASM client reads. */
export const NYM_API_PORT = 8081;
export const NYM_API_URL = `http://${ADDR.inetDirectory.v4}:${NYM_API_PORT}/`;
/** The zone both resolvers answer; they differ in what they say. */
export const TEST_ZONE = 'lab.test';
export const HTTP_PORT = 80;
export const IPERF_PORT = 5201;

const IPV4_RE = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;
const LABEL_RE = /^[A-Za-z0-9._-]{1,32}$/;

/** Checks the specs (unique labels, ids and addresses on the gateway segment) and derives the rest. */
export function planGateways(specs: readonly GatewaySpec[]): GatewayPlan[] {
  const seen = new Set<string>();
  const perRole = { entry: 0, exit: 0 };
  return specs.map((spec, index) => {
    const at = `gateway ${JSON.stringify(spec.label)}`;
    if (typeof spec.label !== 'string' || !LABEL_RE.test(spec.label)) throw new TypeError(`${at}: label must be 1-32 of A-Z a-z 0-9 . _ -`);
    if (spec.role !== 'entry' && spec.role !== 'exit') throw new TypeError(`${at}: role must be entry or exit`);
    if (!/^[A-Z]{2}$/.test(spec.country)) throw new TypeError(`${at}: country must be two upper-case letters`);
    const m = IPV4_RE.exec(spec.ip);
    const last = m ? Number(m[4]) : NaN;
    if (!m || `${m[1]}.${m[2]}.${m[3]}` !== '203.0.113' || !(last >= 2 && last <= 254)) {
      throw new TypeError(`${at}: ip must be in 203.0.113.2-254, got ${spec.ip}`);
    }
    const performance = spec.performance ?? 100;
    if (!Number.isInteger(performance) || performance < 0 || performance > 100) throw new TypeError(`${at}: performance must be an integer percent`);
    const id = spec.id ?? labIdentity(spec.label);
    if (!isEd25519Identity(id)) throw new TypeError(`${at}: id must be a base58 ed25519 key`);
    const ip6 = spec.ip6 ?? `2001:db8:113::${last}`;
    for (const key of [spec.label, id, spec.ip, ip6]) {
      if (seen.has(key)) throw new TypeError(`${at}: ${key} is used twice`);
      seen.add(key);
    }
    const n = ++perRole[spec.role];
    if (n > 255) throw new RangeError('at most 255 gateways per role');
    const [net4, net6] = spec.role === 'entry' ? ['10.100', 'fd00:100'] : ['10.200', 'fd00:200'];
    return {
      label: spec.label,
      id,
      role: spec.role,
      country: spec.country,
      ip: spec.ip,
      ip6,
      name: spec.name ?? `lab ${spec.role} ${spec.country}`,
      performance,
      n,
      index,
      port: WG_PORT,
      endpoint: `${spec.ip}:${WG_PORT}`,
      tunnel: { v4: `${net4}.${n}.1/24`, v6: `${net6}:${n}::1/64` },
      ours: { v4: `${net4}.${n}.2`, v6: `${net6}:${n}::2` },
    };
  });
}

/** The lab's default choice for a role: its first gateway in the caller's order (selected by id in UCI). */
export function firstOfRole(plans: readonly GatewayPlan[], role: GatewayRole): GatewayPlan | undefined {
  return plans.find((g) => g.role === role);
}
