// /etc/config/nym-vpn → NymVpnConfig: validation with every error named by its uci path and
// value, unknown options and sections as warnings, and the loader the daemon calls. What to do
// with an invalid config (keep the last good one) is the daemon's business.

import { INTERFACE_NAME_RULE, isInterfaceName } from '../net/interface-name.js';
import { UNICAST_RULE, isUnicastAddress } from '../net/unicast-address.js';
import { ConfigError, IssueCollector, makeIssue } from '../uci/config-issues.js';
import type { ConfigIssue } from '../uci/config-issues.js';
import {
  isHttpUrl,
  isWireGuardKey,
  parseCountryCode,
  parseEndpoint,
  parseIpPrefix,
} from '../uci/config-values.js';
import { UciError } from '../uci/errors.js';
import { DEFAULT_CONFIG_DIR } from '../uci/file.js';
import { parseUci } from '../uci/parser.js';
import { FileShapeError, readBoundedFile } from '../fs/bounded-read.js';
import type { UciPackage, UciSection } from '../uci/model.js';
import {
  DEFAULT_ENTRY,
  DEFAULT_EXIT,
  DEFAULT_MAIN,
  DEFAULT_MONITOR,
  DEFAULT_POLICY,
  FIREWALL_BACKENDS,
  REGISTRATIONS,
  GATEWAY_SELECTIONS,
  LOG_LEVELS,
  MTU_MAX,
  MTU_MIN,
  NYM_VPN_CONFIG_NAME,
  PEER_ROLES,
  WIREGUARD_OVERHEAD,
  defaultNymVpnConfig,
} from './nym-vpn-schema.js';
import type {
  GatewayChoice,
  MonitorSettings,
  NymVpnConfig,
  NymVpnMain,
  PeerEndpoint,
  StaticPeer,
  TrafficPolicy,
} from './nym-vpn-schema.js';
import { SectionReader, intBetween } from '../uci/section-reader.js';
import type { ValueKind } from '../uci/section-reader.js';

export type { ConfigIssue } from '../uci/config-issues.js';
export { ConfigError } from '../uci/config-issues.js';
export * from './nym-vpn-schema.js';

export interface NymVpnValidation {
  /** Present when there are no errors. */
  readonly config: NymVpnConfig | undefined;
  readonly errors: readonly ConfigIssue[];
  readonly warnings: readonly ConfigIssue[];
}

export interface LoadedNymVpnConfig {
  readonly config: NymVpnConfig;
  readonly warnings: readonly ConfigIssue[];
}

/** Accepts the text when `test` does: for kinds whose value is the text itself. */
function textKind(test: (text: string) => boolean, problem: string): ValueKind<string> {
  return { read: (text) => (test(text) ? text : undefined), problem };
}

const NETWORK = textKind((t) => /^[A-Za-z0-9_-]{1,64}$/.test(t), "is not a network name (letters, digits, '-', '_')");
/** Empty means "the network's own API". */
const API_URL = textKind((t) => t === '' || isHttpUrl(t), 'is not an http(s) URL');
const INTERFACE = textKind(isInterfaceName, `is not an interface name (${INTERFACE_NAME_RULE})`);
const UNICAST = textKind(isUnicastAddress, `is not ${UNICAST_RULE}`);
/** Nym identities are base58; lab and self-hosted gateways may use plain names. */
const GATEWAY_IDENTITY = textKind((t) => /^[A-Za-z0-9._:-]{1,128}$/.test(t), 'is not a gateway identity');
const COUNTRY: ValueKind<string> = { read: parseCountryCode, problem: 'is not an ISO 3166-1 alpha-2 country code' };
const PERCENT = intBetween(0, 100);
const WIREGUARD_KEY = textKind(isWireGuardKey, 'is not a WireGuard key (base64 of 32 bytes)');
const ENDPOINT: ValueKind<PeerEndpoint> = { read: parseEndpoint, problem: 'is not host:port or [IPv6]:port' };
const TUNNEL_ADDRESS = textKind((t) => parseIpPrefix(t) !== undefined, 'is not an IP address with optional /prefix');
const POLICY_SOURCE = textKind(
  (t) => parseIpPrefix(t) !== undefined || isInterfaceName(t),
  'is not an interface name or an IP prefix',
);

// Lists are bounded as the ubus schema bounds them: a router needs a handful, and every reply and rule set
// that carries them must stay small.
const MAX_DNS = 8;
const MAX_TARGETS = 8;
const MAX_SOURCES = 32;
const MAX_PEERS = 32;

function readMain(r: SectionReader): NymVpnMain {
  // Read in the order of the fields, so that errors come out in that order too.
  const enabled = r.bool('enabled', DEFAULT_MAIN.enabled);
  const autoconnect = r.bool('autoconnect', DEFAULT_MAIN.autoconnect);
  const network = r.value('network', NETWORK) ?? DEFAULT_MAIN.network;
  const apiUrl = r.value('api_url', API_URL);
  const nymApiUrl = r.value('nym_api_url', API_URL);
  const killSwitch = r.bool('kill_switch', DEFAULT_MAIN.killSwitch);
  const alwaysOn = r.bool('always_on', DEFAULT_MAIN.alwaysOn);
  const ipv6 = r.bool('ipv6', DEFAULT_MAIN.ipv6);
  const dns = r.listOf('dns', UNICAST);
  if (dns !== undefined && dns.length > MAX_DNS) r.error('dns', undefined, `names ${dns.length} servers (at most ${MAX_DNS})`);
  if (dns !== undefined && dns.length === 0) r.error('dns', undefined, 'names no server');
  const main: NymVpnMain = {
    enabled,
    autoconnect,
    network,
    apiUrl: apiUrl === '' ? undefined : apiUrl,
    nymApiUrl: nymApiUrl === '' ? undefined : nymApiUrl,
    killSwitch,
    alwaysOn,
    ipv6,
    dns: dns !== undefined && dns.length > 0 ? dns : DEFAULT_MAIN.dns,
    interface: r.value('interface', INTERFACE) ?? DEFAULT_MAIN.interface,
    mtu: r.int('mtu', MTU_MIN, MTU_MAX, DEFAULT_MAIN.mtu),
    entryMtu: r.int('entry_mtu', MTU_MIN, MTU_MAX, DEFAULT_MAIN.entryMtu),
    logLevel: r.oneOf('log_level', LOG_LEVELS, DEFAULT_MAIN.logLevel),
    firewallBackend: r.oneOf('firewall_backend', FIREWALL_BACKENDS, DEFAULT_MAIN.firewallBackend),
    registration: r.oneOf('registration', REGISTRATIONS, DEFAULT_MAIN.registration),
  };
  const roomyMtu = main.entryMtu - WIREGUARD_OVERHEAD;
  if (main.mtu > roomyMtu) {
    // The exit hop travels inside the entry hop: a bigger tunnel MTU cannot fit (the config says so too).
    r.error('mtu', String(main.mtu), `leaves no room for the inner hop: at most entry_mtu - ${WIREGUARD_OVERHEAD} = ${roomyMtu}`);
  }
  r.warnUnknown();
  return main;
}

function readGateway(r: SectionReader, defaults: GatewayChoice): GatewayChoice {
  const choice: GatewayChoice = {
    select: r.oneOf('select', GATEWAY_SELECTIONS, defaults.select),
    id: r.value('id', GATEWAY_IDENTITY),
    country: r.value('country', COUNTRY),
    minPerformance: r.value('min_performance', PERCENT),
  };
  if (choice.select === 'id' && !r.has('id')) r.error('id', undefined, "is missing, and select is 'id'");
  if (choice.select === 'country' && !r.has('country')) {
    r.error('country', undefined, "is missing, and select is 'country'");
  }
  r.warnUnknown();
  return choice;
}

function readPeer(r: SectionReader): StaticPeer | undefined {
  // A missing option is reported here; a present but bad one was reported by its reader.
  const required = <T>(name: string, value: T | undefined, what: string): T | undefined => {
    if (!r.has(name)) r.error(name, undefined, `is missing (${what})`);
    return value;
  };
  const role = required('role', r.word('role', PEER_ROLES), 'entry or exit');
  const publicKey = required('public_key', r.value('public_key', WIREGUARD_KEY), "the gateway's WireGuard public key");
  const endpoint = required('endpoint', r.value('endpoint', ENDPOINT), 'host:port');
  const addresses = required('address', r.listOf('address', TUNNEL_ADDRESS), 'our tunnel address');
  const optional = {
    gatewayId: r.value('gateway_id', GATEWAY_IDENTITY),
    presharedKey: r.value('preshared_key', WIREGUARD_KEY),
    country: r.value('country', COUNTRY),
  };
  r.warnUnknown();
  if (role === undefined || publicKey === undefined || endpoint === undefined || addresses === undefined) {
    return undefined;
  }
  if (addresses.length === 0) {
    r.error('address', undefined, 'names no address');
    return undefined;
  }
  return { section: r.ref, role, publicKey, endpoint, addresses, ...optional };
}

function readMonitor(r: SectionReader): MonitorSettings {
  const targets = r.listOf('target', UNICAST);
  if (targets !== undefined && targets.length > MAX_TARGETS) r.error('target', undefined, `names ${targets.length} addresses (at most ${MAX_TARGETS})`);
  if (targets !== undefined && targets.length === 0) r.error('target', undefined, 'names no address');
  const monitor: MonitorSettings = {
    targets: targets !== undefined && targets.length > 0 ? targets : DEFAULT_MONITOR.targets,
    interval: r.int('interval', 1, 3600, DEFAULT_MONITOR.interval),
    timeout: r.int('timeout', 1, 60, DEFAULT_MONITOR.timeout),
    tries: r.int('tries', 1, 10, DEFAULT_MONITOR.tries),
    handshakeTimeout: r.int('handshake_timeout', 1, 300, DEFAULT_MONITOR.handshakeTimeout),
  };
  r.warnUnknown();
  return monitor;
}

function readPolicy(r: SectionReader): TrafficPolicy {
  const sources = r.listOf('source', POLICY_SOURCE);
  if (sources !== undefined && sources.length > MAX_SOURCES) r.error('source', undefined, `names ${sources.length} sources (at most ${MAX_SOURCES})`);
  r.warnUnknown();
  return { sources: sources ?? DEFAULT_POLICY.sources };
}

/** How `uci show` refers to each section: its name, or @type[n] when unnamed. */
function sectionRefs(pkg: UciPackage): Map<UciSection, string> {
  const perType = new Map<string, number>();
  const refs = new Map<UciSection, string>();
  for (const section of pkg.sections) {
    const index = perType.get(section.type) ?? 0;
    perType.set(section.type, index + 1);
    refs.set(section, section.anonymous ? `@${section.type}[${index}]` : section.name);
  }
  return refs;
}

export function validateNymVpnConfig(pkg: UciPackage): NymVpnValidation {
  const issues = new IssueCollector(pkg.name);
  let main = DEFAULT_MAIN;
  let entry = DEFAULT_ENTRY;
  let exit = DEFAULT_EXIT;
  let policy = DEFAULT_POLICY;
  let monitor = DEFAULT_MONITOR;
  const peers: StaticPeer[] = [];

  for (const [section, ref] of sectionRefs(pkg)) {
    const reader = new SectionReader(section, ref, issues);
    const named = section.anonymous ? undefined : section.name;
    switch (section.type) {
      case 'nym-vpn':
        if (named === 'main') main = readMain(reader);
        else reader.warn(undefined, undefined, "is ignored: the client's settings are read from config nym-vpn 'main'");
        break;
      case 'gateway':
        if (named === 'entry') entry = readGateway(reader, DEFAULT_ENTRY);
        else if (named === 'exit') exit = readGateway(reader, DEFAULT_EXIT);
        else reader.warn(undefined, undefined, "is ignored: gateway sections are 'entry' and 'exit'");
        break;
      case 'peer': {
        const peer = readPeer(reader);
        if (peer !== undefined) peers.push(peer);
        break;
      }
      case 'monitor':
        if (named === 'monitor') monitor = readMonitor(reader);
        else reader.warn(undefined, undefined, "is ignored: the monitor's settings are read from config monitor 'monitor'");
        break;
      case 'policy':
        if (named === 'lan') policy = readPolicy(reader);
        else reader.warn(undefined, undefined, "is ignored: the only policy section is 'lan'");
        break;
      default:
        reader.warn(undefined, undefined, `is ignored: unknown section type '${section.type}'`);
        break;
    }
  }

  if (peers.length > MAX_PEERS) issues.error(undefined, undefined, undefined, `has ${peers.length} peer sections (at most ${MAX_PEERS})`);
  const config = issues.errors.length === 0 ? { main, entry, exit, peers, policy, monitor } : undefined;
  return { config, errors: issues.errors, warnings: issues.warnings };
}

/** A router's config is a few KiB; anything near this is not one. */
export const MAX_CONFIG_BYTES = 1 << 20;

export interface LoadConfigOptions {
  /**
   * 'defaults': a missing file gives the defaults (the first start, before any config exists); 'error': it
   * is refused like any bad edit (a reload: the running config is kept). Default 'defaults'.
   */
  whenMissing?: 'defaults' | 'error';
}

/**
 * Reads and checks `<dir>/nym-vpn`: a regular file of at most MAX_CONFIG_BYTES, not empty, that uci would
 * accept and that has the `config nym-vpn 'main'` section (a truncated or foreign file does not silently turn
 * into the defaults). Throws ConfigError listing every error.
 */
export async function loadNymVpnConfig(
  dir: string = DEFAULT_CONFIG_DIR,
  name: string = NYM_VPN_CONFIG_NAME,
  opts: LoadConfigOptions = {},
): Promise<LoadedNymVpnConfig & { source: 'file' | 'defaults' }> {
  const fileIssue = (problem: string) => new ConfigError([makeIssue(name, undefined, undefined, undefined, problem)]);
  let bytes: Buffer;
  try {
    bytes = await readBoundedFile(`${dir}/${name}`, MAX_CONFIG_BYTES);
  } catch (error) {
    if (!(error instanceof FileShapeError)) throw error;
    if (error.problem === 'missing' && (opts.whenMissing ?? 'defaults') === 'defaults') {
      const warning = makeIssue(name, undefined, undefined, undefined, `no file ${dir}/${name}, using the defaults`);
      return { config: defaultNymVpnConfig(), warnings: [warning], source: 'defaults' };
    }
    throw fileIssue(error.message);
  }
  if (bytes.length === 0) throw fileIssue('the file is empty');
  let pkg: UciPackage;
  try {
    pkg = parseUci(bytes, { name });
  } catch (error) {
    if (!(error instanceof UciError)) throw error;
    throw fileIssue(error.message);
  }
  if (!pkg.sections.some((sec) => sec.type === 'nym-vpn' && !sec.anonymous && sec.name === 'main')) {
    throw fileIssue("has no config nym-vpn 'main' section (a truncated or foreign file)");
  }
  const result = validateNymVpnConfig(pkg);
  if (result.config === undefined) throw new ConfigError(result.errors);
  return { config: result.config, warnings: result.warnings, source: 'file' };
}
