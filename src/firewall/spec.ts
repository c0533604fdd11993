// From the daemon's FirewallState to what the renderers take: every field checked (errors name it),
// split by address family, sorted and de-duplicated; and the one decision the states make.
import { checkFwmark, checkInterface, checkPort, parseAddress, parseCidr, uniqueSorted } from './addresses.js';
import {
  FirewallConfigError, NYM_FWMARK, TUNNEL_PHASES,
  type BootGuardSpec, type FirewallState, type KillSwitchSpec, type TransportProtocol,
} from './types.js';

/**
 * Whether the kill switch rules belong in the kernel. Connecting, connected, error (and the passing
 * disconnecting/offline) keep them; only a disconnect without always-on lifts them.
 */
export function wantsKillSwitch(s: Pick<FirewallState, 'killSwitch' | 'alwaysOn' | 'state'>): boolean {
  return s.killSwitch && (s.state !== 'disconnected' || s.alwaysOn);
}

/** The boot guard follows the owner's setting alone: it must be there at the next boot whatever happens now. */
export function wantsBootGuard(s: Pick<FirewallState, 'killSwitch'>): boolean {
  return s.killSwitch;
}

function list(field: string, value: unknown): readonly unknown[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new FirewallConfigError(field, value, 'not a list');
  return value;
}

export function bootGuardSpec(s: Pick<FirewallState, 'tunnelInterface' | 'fwmark'>): BootGuardSpec {
  return {
    tunnel: checkInterface('tunnelInterface', s.tunnelInterface),
    fwmark: checkFwmark('fwmark', s.fwmark ?? NYM_FWMARK),
  };
}

export function killSwitchSpec(s: FirewallState): KillSwitchSpec {
  if (typeof s !== 'object' || s === null) throw new FirewallConfigError('state', s, 'not an object');
  if (!TUNNEL_PHASES.includes(s.state)) throw new FirewallConfigError('state', s.state, `not one of ${TUNNEL_PHASES.join(', ')}`);
  if (s.ipv6 !== 'tunnel' && s.ipv6 !== 'block') throw new FirewallConfigError('ipv6', s.ipv6, 'not tunnel or block');
  const { tunnel, fwmark } = bootGuardSpec(s);

  if (typeof s.lan !== 'object' || s.lan === null) throw new FirewallConfigError('lan', s.lan, 'not {interfaces, cidrs}');
  const lanInterfaces = uniqueSorted(list('lan.interfaces', s.lan.interfaces).map((n, i) => checkInterface(`lan.interfaces[${i}]`, n)));
  const lanCidrs = list('lan.cidrs', s.lan.cidrs).map((c, i) => parseCidr(`lan.cidrs[${i}]`, c));
  if (lanInterfaces.length === 0 && lanCidrs.length === 0) {
    throw new FirewallConfigError('lan', s.lan, 'no LAN interface or range: nothing to keep inside the tunnel');
  }
  if (lanInterfaces.includes(tunnel)) throw new FirewallConfigError('lan.interfaces', tunnel, 'the tunnel cannot be a LAN interface');

  let wan: string[] | 'any';
  if (s.wan === 'any') wan = 'any';
  else {
    wan = uniqueSorted(list('wan', s.wan).map((n, i) => checkInterface(`wan[${i}]`, n)));
    if (wan.length === 0) throw new FirewallConfigError('wan', s.wan, "empty: name the WAN interfaces or use 'any'");
    for (const n of wan) {
      if (n === tunnel || lanInterfaces.includes(n)) throw new FirewallConfigError('wan', n, 'also the tunnel or a LAN interface');
    }
  }

  const seen = new Set<string>();
  const endpoints: KillSwitchSpec['endpoints'] = [];
  list('endpoints', s.endpoints).forEach((e, i) => {
    const f = `endpoints[${i}]`;
    if (typeof e !== 'object' || e === null) throw new FirewallConfigError(f, e, 'not {address, port}');
    const ep = e as Record<string, unknown>;
    const addr = parseAddress(`${f}.address`, ep.address);
    if (ep.family !== undefined && ep.family !== addr.family) throw new FirewallConfigError(`${f}.family`, ep.family, `the address is IPv${addr.family}`);
    const protocol = (ep.protocol ?? 'udp') as TransportProtocol;
    if (protocol !== 'udp' && protocol !== 'tcp') throw new FirewallConfigError(`${f}.protocol`, ep.protocol, 'not udp or tcp');
    const port = checkPort(`${f}.port`, ep.port);
    const key = `${addr.text} ${protocol} ${port}`;
    if (!seen.has(key)) endpoints.push({ family: addr.family, address: addr.text, port, protocol });
    seen.add(key);
  });
  // Code-unit order, not localeCompare: the ruleset must not depend on the router's locale, and
  // localeCompare loads ICU's collator, about 2.5 MB of node's binary paged in for one sort.
  endpoints.sort((a, b) => a.family - b.family || byCodeUnit(a.address, b.address) || byCodeUnit(a.protocol, b.protocol) || a.port - b.port);

  const dns = list('dns', s.dns).map((d, i) => parseAddress(`dns[${i}]`, d));
  return {
    tunnel,
    lanInterfaces,
    lan4: uniqueSorted(lanCidrs.filter((c) => c.family === 4).map((c) => c.text)),
    lan6: uniqueSorted(lanCidrs.filter((c) => c.family === 6).map((c) => c.text)),
    wan,
    endpoints,
    fwmark,
    dns4: uniqueSorted(dns.filter((d) => d.family === 4).map((d) => d.text)),
    dns6: uniqueSorted(dns.filter((d) => d.family === 6).map((d) => d.text)),
    ipv6: s.ipv6,
  };
}

function byCodeUnit(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
