// The files the router's nym-vpnd finds when it starts, under its --root: /etc/config/nym-vpn (the
// shipped defaults plus one `config peer` per lab gateway, the lab's resolver and directory, the first
// entry and exit by id; in the mixnet registration mode no peers but the lab nym-api's URL, since the
// daemon registers with the gateways' authenticators over the mixnet), a minimal /etc/config/network naming the LAN and WAN devices as OpenWrt
// would, our two WireGuard private keys in the state dir, and the WAN's resolv.conf.auto.
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { resolvePaths, type DaemonPaths } from '../../src/daemon/paths.js';
import {
  addAnonymousSection,
  addListValue,
  createPackage,
  findSection,
  parseUci,
  setListValues,
  setOption,
  setSection,
  writeUciFile,
  type UciPackage,
} from '../../src/uci/index.js';
import { ADDR, DIRECTORY_URL, ENTRY_MTU, IF, INNER_MTU, firstOfRole, type GatewayPlan } from './addresses.js';
import type { GatewayKeys } from './gateway.js';

export const SHIPPED_CONFIG = fileURLToPath(new URL('../../../files/etc/config/nym-vpn', import.meta.url));

export interface OurKeys {
  entry: GatewayKeys;
  exit: GatewayKeys;
}

export interface RouterFiles {
  paths: DaemonPaths;
  nymVpnConfig: string;
  networkConfig: string;
  entryKeyFile: string;
  exitKeyFile: string;
  /** dnsmasq's upstream servers (OpenWrt: written by netifd from WAN DHCP; nym-vpnd rewrites them). */
  resolvConfAuto: string;
}

/** How the router gets its peers: static `config peer` sections, or registration over the mixnet (nym_api_url). */
export type LabRegistrationMode = { registration: 'static' } | { registration: 'mixnet'; nymApiUrl: string };

/**
 * The shipped /etc/config/nym-vpn with the lab's resolver, directory and default choices, and per mode either
 * the lab's gateways as peers (publicKeys by id) or the nym-api the daemon's mixnet client reads.
 */
export function labNymVpnConfig(plans: readonly GatewayPlan[], publicKeys: ReadonlyMap<string, string>,
  mode: LabRegistrationMode = { registration: 'static' }): UciPackage {
  const pkg = parseUci(readFileSync(SHIPPED_CONFIG), { name: 'nym-vpn' });
  const main = findSection(pkg, 'main') ?? setSection(pkg, 'main', 'nym-vpn');
  setListValues(main, 'dns', [ADDR.inetDns.v4, ADDR.inetDns.v6]);
  setOption(main, 'api_url', DIRECTORY_URL);
  setOption(main, 'mtu', String(INNER_MTU));
  setOption(main, 'entry_mtu', String(ENTRY_MTU));
  for (const role of ['entry', 'exit'] as const) {
    const first = firstOfRole(plans, role);
    const section = findSection(pkg, role) ?? setSection(pkg, role, 'gateway');
    if (first !== undefined) {
      setOption(section, 'select', 'id');
      setOption(section, 'id', first.id);
    }
  }
  if (mode.registration === 'mixnet') {
    setOption(main, 'nym_api_url', mode.nymApiUrl);
    return pkg;
  }
  // The gateways are plain wireguard-go here, with no Nym side: the uci peers alone register them.
  setOption(main, 'registration', 'static');
  for (const g of plans) {
    const peer = addAnonymousSection(pkg, 'peer');
    setOption(peer, 'role', g.role);
    setOption(peer, 'gateway_id', g.id);
    const key = publicKeys.get(g.id);
    if (key === undefined) throw new Error(`no public key for gateway ${g.id}`);
    setOption(peer, 'public_key', key);
    setOption(peer, 'endpoint', g.endpoint);
    addListValue(peer, 'address', `${g.ours.v4}/32`);
    addListValue(peer, 'address', `${g.ours.v6}/128`);
    setOption(peer, 'country', g.country);
  }
  return pkg;
}

/** /etc/config/network as OpenWrt would have it for this router (static WAN: the lab has no DHCP server). */
export function labNetworkConfig(): UciPackage {
  const pkg = createPackage('network');
  const lo = setSection(pkg, 'loopback', 'interface');
  setOption(lo, 'device', 'lo');
  setOption(lo, 'proto', 'static');
  setOption(lo, 'ipaddr', '127.0.0.1');
  setOption(lo, 'netmask', '255.0.0.0');
  const br = addAnonymousSection(pkg, 'device');
  setOption(br, 'name', IF.routerLan);
  setOption(br, 'type', 'bridge');
  addListValue(br, 'ports', IF.routerLanPort);
  const lan = setSection(pkg, 'lan', 'interface');
  setOption(lan, 'device', IF.routerLan);
  setOption(lan, 'proto', 'static');
  setOption(lan, 'ipaddr', ADDR.routerLan.v4);
  setOption(lan, 'netmask', '255.255.255.0');
  setOption(lan, 'ip6addr', `${ADDR.routerLan.v6}/64`);
  const wan = setSection(pkg, 'wan', 'interface');
  setOption(wan, 'device', IF.routerWan);
  setOption(wan, 'proto', 'static');
  setOption(wan, 'ipaddr', ADDR.routerWan.v4);
  setOption(wan, 'netmask', '255.255.255.0');
  setOption(wan, 'gateway', ADDR.ispWan.v4);
  addListValue(wan, 'dns', ADDR.ispWan.v4);
  const wan6 = setSection(pkg, 'wan6', 'interface');
  setOption(wan6, 'device', IF.routerWan);
  setOption(wan6, 'proto', 'static');
  setOption(wan6, 'ip6addr', `${ADDR.routerWan.v6}/64`);
  setOption(wan6, 'ip6gw', ADDR.ispWan.v6);
  addListValue(wan6, 'dns', ADDR.ispWan.v6);
  return pkg;
}

/** resolv.conf.auto as netifd writes it for the WAN's DNS servers. */
export function wanResolvConf(): string {
  return `# Interface wan\nnameserver ${ADDR.ispWan.v4}\n# Interface wan6\nnameserver ${ADDR.ispWan.v6}\n`;
}

/**
 * Writes everything the daemon reads at start under root. `editConfig` may change the nym-vpn
 * package before it is written (e.g. kill_switch, autoconnect).
 */
export async function writeRouterFiles(root: string, plans: readonly GatewayPlan[], gatewayKeys: ReadonlyMap<string, string>, ours: OurKeys,
  editConfig?: (pkg: UciPackage) => void, mode: LabRegistrationMode = { registration: 'static' }): Promise<RouterFiles> {
  const paths = resolvePaths(root, join(root, 'var/run/ubus/ubus.sock'));
  for (const dir of [paths.uciDir, paths.runDir, paths.resolvConfDir, join(root, 'var/run/ubus'), join(root, 'var/etc'), join(root, 'tmp')]) {
    mkdirSync(dir, { recursive: true });
  }
  mkdirSync(paths.stateDir, { recursive: true, mode: 0o700 });
  chmodSync(paths.stateDir, 0o700);
  const entryKeyFile = join(paths.stateDir, 'wg-entry.key');
  const exitKeyFile = join(paths.stateDir, 'wg-exit.key');
  for (const [file, key] of [[entryKeyFile, ours.entry.privateKey], [exitKeyFile, ours.exit.privateKey]] as const) {
    writeFileSync(file, `${key}\n`, { mode: 0o600 });
    chmodSync(file, 0o600);
  }
  const pkg = labNymVpnConfig(plans, gatewayKeys, mode);
  editConfig?.(pkg);
  const nymVpnConfig = join(paths.uciDir, 'nym-vpn');
  const networkConfig = join(paths.uciDir, 'network');
  await writeUciFile(nymVpnConfig, pkg);
  await writeUciFile(networkConfig, labNetworkConfig());
  const resolvConfAuto = join(paths.resolvConfDir, 'resolv.conf.auto');
  writeFileSync(resolvConfAuto, wanResolvConf());
  return { paths, nymVpnConfig, networkConfig, entryKeyFile, exitKeyFile, resolvConfAuto };
}
