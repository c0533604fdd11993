// The typed gateway and the strict parser for one entry of the nym-vpn-api directory
// (`NymDirectoryGateway` in nym-vpn-client's nym-vpn-api-client/src/response.rs). Field by field
// it follows upstream's serde rules: a required field that is missing, null or of the wrong type
// rejects the gateway; an `Option` field may be missing or null; unknown fields are ignored.
// Unlike upstream, which fails the whole list on one bad entry, a bad gateway is skipped and
// reported (see parseGatewayList).

import { isIP } from 'node:net';
import { ed25519 } from '@noble/curves/ed25519.js';
import { base58 } from '@scure/base';

export type GatewayRole = 'EntryGateway' | 'ExitGateway' | 'Standby' | 'Inactive' | 'Mixnode';

export interface GatewayLocation {
  latitude: number;
  longitude: number;
  /** Newer API versions add city and region; older ones do not. */
  city?: string;
  region?: string;
}

export interface ProbeOutcome {
  asEntry: { canConnect: boolean; canRoute: boolean };
  asExit?: {
    canConnect: boolean;
    canRouteIpV4: boolean;
    canRouteIpExternalV4: boolean;
    canRouteIpV6: boolean;
    canRouteIpExternalV6: boolean;
  };
  wg?: {
    canRegister: boolean;
    canHandshake: boolean;
    canResolveDns: boolean;
    pingHostsPerformance: number;
    pingIpsPerformance: number;
  };
}

export interface GatewayProbe {
  /** As the API wrote it (RFC 3339); `lastUpdatedMs` is its parsed form, undefined if unparseable. */
  lastUpdatedUtc: string;
  lastUpdatedMs: number | undefined;
  outcome: ProbeOutcome;
}

export interface Gateway {
  /** base58 ed25519 identity key (directory); the uci gateway_id or section name (static peers). */
  id: string;
  name: string;
  /** ISO 3166-1 alpha-2, upper case; static peers may have none. */
  country: string | undefined;
  location?: GatewayLocation;
  description?: string;
  /** IPv4 and IPv6 addresses, in the order the API gave them. */
  ipAddresses: string[];
  hostname?: string;
  /** The client websocket port (directory gateways). */
  wsPort?: number;
  wssPort?: number;
  mixPort?: number;
  role?: GatewayRole;
  /** The layer when role is 'Mixnode'. */
  mixnodeLayer?: number;
  /** Nym address of the authenticator; absent: not a VPN (WireGuard) gateway. */
  authenticatorAddress?: string;
  /** Nym address of the IP packet router (mixnet exit). */
  ipPacketRouterAddress?: string;
  /** Mixnet performance in percent, truncated to an integer as upstream's round_to_integer does. */
  performance: number;
  lastProbe?: GatewayProbe;
  buildVersion?: string;
  /** A static peer's WireGuard endpoint; directory gateways learn theirs from the registrar. */
  wireguardEndpoint?: { host: string; port: number };
  source: 'directory' | 'static';
}

/** A gateway the parser skipped, or a field it dropped; `identity` when the entry had a usable one. */
export interface GatewayIssue {
  index: number;
  identity?: string;
  reason: string;
  /** true: the whole gateway was left out; false: only the named field was ignored. */
  skipped: boolean;
}

export type IssueReporter = (issue: GatewayIssue) => void;

class FieldError extends Error {}

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}`;
  if (typeof v === 'object') return 'an object';
  return `${typeof v} ${String(v)}`;
}

/** Reads JSON values at named paths, throwing FieldError("path: problem") on the first mismatch. */
class Reader {
  constructor(private readonly path: string) {}

  private where(key: string): string {
    return this.path === '' ? key : `${this.path}.${key}`;
  }

  obj(o: Obj, key: string): Obj {
    const v = o[key];
    if (!isObj(v)) throw new FieldError(`${this.where(key)} must be an object, got ${v === undefined ? 'nothing' : describe(v)}`);
    return v;
  }

  /** An `Option<struct>`: undefined when missing or null. */
  optObj(o: Obj, key: string): Obj | undefined {
    return o[key] === undefined || o[key] === null ? undefined : this.obj(o, key);
  }

  str(o: Obj, key: string): string {
    const v = o[key];
    if (typeof v !== 'string') throw new FieldError(`${this.where(key)} must be a string, got ${v === undefined ? 'nothing' : describe(v)}`);
    return v;
  }

  optStr(o: Obj, key: string): string | undefined {
    return o[key] === undefined || o[key] === null ? undefined : this.str(o, key);
  }

  bool(o: Obj, key: string): boolean {
    const v = o[key];
    if (typeof v !== 'boolean') throw new FieldError(`${this.where(key)} must be true or false, got ${v === undefined ? 'nothing' : describe(v)}`);
    return v;
  }

  num(o: Obj, key: string): number {
    const v = o[key];
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw new FieldError(`${this.where(key)} must be a number, got ${v === undefined ? 'nothing' : describe(v)}`);
    }
    return v;
  }

  u16(o: Obj, key: string): number {
    const v = o[key];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 65535) {
      throw new FieldError(`${this.where(key)} must be a port number (0-65535), got ${v === undefined ? 'nothing' : describe(v)}`);
    }
    return v;
  }

  optU16(o: Obj, key: string): number | undefined {
    return o[key] === undefined || o[key] === null ? undefined : this.u16(o, key);
  }

  at(key: string): Reader {
    return new Reader(this.where(key));
  }
}

const ED25519_KEY_BYTES = 32;

/** true for a base58 string that decodes to exactly `bytes` bytes (an ed25519 or x25519 key). */
export function isBase58Key(text: string, bytes = ED25519_KEY_BYTES): boolean {
  if (text.length === 0 || text.length > 64) return false;
  try {
    return base58.decode(text).length === bytes;
  } catch {
    return false;
  }
}

/**
 * A node identity as upstream accepts it (NodeIdentity::from_base58_string): base58 of 32 bytes
 * that decompress to an ed25519 point. About half of all random 32-byte strings do not.
 */
export function isEd25519Identity(text: string): boolean {
  if (!isBase58Key(text)) return false;
  try {
    ed25519.Point.fromBytes(base58.decode(text));
    return true;
  } catch {
    return false;
  }
}

/** A Nym client address: `<ed25519 identity>.<x25519 encryption key>@<gateway ed25519 identity>`, base58. */
export function isNymAddress(text: string): boolean {
  const m = /^([^.@]+)\.([^.@]+)@([^.@]+)$/.exec(text);
  return m !== null && isEd25519Identity(m[1]!) && isBase58Key(m[2]!) && isEd25519Identity(m[3]!);
}

const ATTO = 10n ** 18n;

/**
 * The API's `performance`: a cosmwasm Decimal as a string ("1", "0.93", up to 18 fractional digits),
 * at most 1. Returns percent truncated to an integer (upstream's Percent::round_to_integer); exact
 * decimal arithmetic, since 0.29 * 100 in floating point is 28.999….
 */
export function parsePerformance(text: string): number | undefined {
  const m = /^(\d{1,20})(?:\.(\d{1,18}))?$/.exec(text);
  if (m === null) return undefined;
  const atto = BigInt(m[1]!) * ATTO + BigInt((m[2] ?? '').padEnd(18, '0'));
  if (atto > ATTO) return undefined;
  return Number(atto / 10n ** 16n);
}

/** Percent (0..100) in the decimal form the API uses: 93 → "0.93", 100 → "1". */
export function formatPerformance(percent: number): string {
  if (!Number.isInteger(percent) || percent < 0 || percent > 100) throw new RangeError(`performance must be 0..100, got ${percent}`);
  if (percent === 100) return '1';
  if (percent === 0) return '0';
  return `0.${String(percent).padStart(2, '0').replace(/0$/, '')}`;
}

function parseRole(raw: Obj): { role: GatewayRole; mixnodeLayer?: number } {
  const v = raw.role;
  if (typeof v === 'string') {
    // serde aliases upstream: "entry" and "gateway" for EntryGateway, "exit" for ExitGateway.
    switch (v) {
      case 'EntryGateway': case 'entry': case 'gateway': return { role: 'EntryGateway' };
      case 'ExitGateway': case 'exit': return { role: 'ExitGateway' };
      case 'Standby': return { role: 'Standby' };
      case 'Inactive': return { role: 'Inactive' };
      default: throw new FieldError(`role ${describe(v)} is not EntryGateway, ExitGateway, Standby, Inactive or {"Mixnode": …}`);
    }
  }
  if (isObj(v) && Object.keys(v).length === 1 && isObj(v.Mixnode)) {
    const layer = v.Mixnode.layer;
    if (typeof layer !== 'number' || !Number.isInteger(layer) || layer < 0 || layer > 255) {
      throw new FieldError(`role.Mixnode.layer must be an integer 0-255, got ${describe(layer)}`);
    }
    return { role: 'Mixnode', mixnodeLayer: layer };
  }
  throw new FieldError(`role must be a string or {"Mixnode": {"layer": n}}, got ${v === undefined ? 'nothing' : describe(v)}`);
}

function parseProbe(r: Reader, raw: Obj): GatewayProbe {
  const lastUpdatedUtc = r.str(raw, 'last_updated_utc');
  const outcome = r.obj(raw, 'outcome');
  const o = r.at('outcome');
  const e = o.obj(outcome, 'as_entry');
  const er = o.at('as_entry');
  const parsed: ProbeOutcome = { asEntry: { canConnect: er.bool(e, 'can_connect'), canRoute: er.bool(e, 'can_route') } };
  const x = o.optObj(outcome, 'as_exit');
  if (x !== undefined) {
    const xr = o.at('as_exit');
    parsed.asExit = {
      canConnect: xr.bool(x, 'can_connect'),
      canRouteIpV4: xr.bool(x, 'can_route_ip_v4'),
      canRouteIpExternalV4: xr.bool(x, 'can_route_ip_external_v4'),
      canRouteIpV6: xr.bool(x, 'can_route_ip_v6'),
      canRouteIpExternalV6: xr.bool(x, 'can_route_ip_external_v6'),
    };
  }
  const wg = o.optObj(outcome, 'wg');
  if (wg !== undefined) {
    const wr = o.at('wg');
    parsed.wg = {
      canRegister: wr.bool(wg, 'can_register'),
      canHandshake: wr.bool(wg, 'can_handshake'),
      canResolveDns: wr.bool(wg, 'can_resolve_dns'),
      pingHostsPerformance: wr.num(wg, 'ping_hosts_performance'),
      pingIpsPerformance: wr.num(wg, 'ping_ips_performance'),
    };
  }
  const ms = Date.parse(lastUpdatedUtc);
  return { lastUpdatedUtc, lastUpdatedMs: Number.isNaN(ms) ? undefined : ms, outcome: parsed };
}

/** Parses one directory entry; throws an Error naming the first bad field. `onIgnored` hears dropped fields. */
export function parseGateway(raw: unknown, onIgnored: (reason: string) => void = () => {}): Gateway {
  if (!isObj(raw)) throw new FieldError(`a gateway must be an object, got ${describe(raw)}`);
  const r = new Reader('');
  const id = r.str(raw, 'identity_key');
  if (!isEd25519Identity(id)) throw new FieldError(`identity_key ${describe(id)} is not a base58 ed25519 public key`);
  const name = r.str(raw, 'name');
  const description = r.optStr(raw, 'description');

  // Upstream drops an address that does not parse as a Nym recipient rather than the gateway.
  const address = (key: 'authenticator' | 'ip_packet_router'): string | undefined => {
    const o = r.optObj(raw, key);
    if (o === undefined) return undefined;
    const text = r.at(key).str(o, 'address');
    if (isNymAddress(text)) return text;
    onIgnored(`${key}.address ${describe(text)} is not a Nym address; the gateway is kept without it`);
    return undefined;
  };
  const ipPacketRouterAddress = address('ip_packet_router');
  const authenticatorAddress = address('authenticator');

  const loc = r.obj(raw, 'location');
  const lr = r.at('location');
  const cc = lr.str(loc, 'two_letter_iso_country_code');
  if (!/^[A-Za-z]{2}$/.test(cc)) throw new FieldError(`location.two_letter_iso_country_code ${describe(cc)} is not a two-letter code`);
  const location: GatewayLocation = { latitude: lr.num(loc, 'latitude'), longitude: lr.num(loc, 'longitude') };
  const city = lr.optStr(loc, 'city');
  const region = lr.optStr(loc, 'region');
  if (city !== undefined) location.city = city;
  if (region !== undefined) location.region = region;

  const probeRaw = r.optObj(raw, 'last_probe');
  const lastProbe = probeRaw === undefined ? undefined : parseProbe(r.at('last_probe'), probeRaw);

  const ips = raw.ip_addresses;
  if (!Array.isArray(ips)) throw new FieldError(`ip_addresses must be an array, got ${ips === undefined ? 'nothing' : describe(ips)}`);
  const ipAddresses = ips.map((ip, i) => {
    if (typeof ip !== 'string' || isIP(ip) === 0) throw new FieldError(`ip_addresses[${i}] ${describe(ip)} is not an IP address`);
    return ip;
  });

  const mixPort = r.u16(raw, 'mix_port');
  const { role, mixnodeLayer } = parseRole(raw);
  const entry = r.obj(raw, 'entry');
  const enr = r.at('entry');
  const hostname = enr.optStr(entry, 'hostname');
  const wsPort = enr.u16(entry, 'ws_port');
  const wssPort = enr.optU16(entry, 'wss_port');

  const perfText = r.str(raw, 'performance');
  const performance = parsePerformance(perfText);
  if (performance === undefined) throw new FieldError(`performance ${describe(perfText)} is not a decimal fraction between 0 and 1`);

  const build = r.optObj(raw, 'build_information');
  let buildVersion: string | undefined;
  if (build !== undefined) {
    const br = r.at('build_information');
    buildVersion = br.str(build, 'build_version');
    br.str(build, 'commit_branch');
    br.str(build, 'commit_sha');
  }

  const gw: Gateway = { id, name, country: cc.toUpperCase(), location, ipAddresses, mixPort, role, wsPort, performance, source: 'directory' };
  if (description !== undefined) gw.description = description;
  if (hostname !== undefined) gw.hostname = hostname;
  if (wssPort !== undefined) gw.wssPort = wssPort;
  if (mixnodeLayer !== undefined) gw.mixnodeLayer = mixnodeLayer;
  if (authenticatorAddress !== undefined) gw.authenticatorAddress = authenticatorAddress;
  if (ipPacketRouterAddress !== undefined) gw.ipPacketRouterAddress = ipPacketRouterAddress;
  if (lastProbe !== undefined) gw.lastProbe = lastProbe;
  if (buildVersion !== undefined) gw.buildVersion = buildVersion;
  return gw;
}

/** The identity of a raw entry, when it has a plausible one (for reports about entries we skip). */
function identityOf(raw: unknown): string | undefined {
  if (!isObj(raw) || typeof raw.identity_key !== 'string') return undefined;
  const id = raw.identity_key;
  return id.length <= 64 && /^[\x21-\x7e]+$/.test(id) ? id : undefined;
}

export class DirectoryFormatError extends Error {
  override name = 'DirectoryFormatError';
}

/**
 * Parses a gateways response body. Not an array → DirectoryFormatError; each bad entry is skipped
 * and reported, as is a repeated identity (the first one wins).
 */
export function parseGatewayList(body: unknown, report: IssueReporter = () => {}): Gateway[] {
  if (!Array.isArray(body)) throw new DirectoryFormatError(`the gateway list is not a JSON array but ${describe(body)}`);
  const out: Gateway[] = [];
  const seen = new Set<string>();
  body.forEach((raw, index) => {
    const identity = identityOf(raw);
    try {
      const gw = parseGateway(raw, (reason) => report({ index, identity, reason, skipped: false }));
      if (seen.has(gw.id)) {
        report({ index, identity, reason: 'repeats an identity listed earlier', skipped: true });
        return;
      }
      seen.add(gw.id);
      out.push(gw);
    } catch (error) {
      if (!(error instanceof FieldError)) throw error;
      report({ index, identity, reason: error.message, skipped: true });
    }
  });
  return out;
}

/** Parses a countries response: an array of two-letter codes; bad entries skipped and reported. */
export function parseCountryList(body: unknown, report: IssueReporter = () => {}): string[] {
  if (!Array.isArray(body)) throw new DirectoryFormatError(`the country list is not a JSON array but ${describe(body)}`);
  const out = new Set<string>();
  body.forEach((raw, index) => {
    if (typeof raw === 'string' && /^[A-Za-z]{2}$/.test(raw)) out.add(raw.toUpperCase());
    else report({ index, reason: `${describe(raw)} is not a two-letter country code`, skipped: true });
  });
  return [...out];
}
