// The nym-vpn-api as a destination of the daemon's own marked TCP: the one place outside the tunnel the
// daemon talks to for the directory and the account, so the kill switch lets it (and nothing else) through
// whenever the daemon is not connected — while connecting, after an error, and disconnected with always-on.
// While registering over the mixnet, the nym-api joins it for as long as the registration takes.
//
// A firewall change must never wait on DNS (with the kill switch up the router's resolver may not answer for
// seconds): a host name is resolved at most once per 10 minutes, in the background, and the kill switch uses
// the last address known — or, the very first time, what a lookup gives within a second.
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { NymVpnConfig } from '../config/nym-vpn-config.js';
import type { OwnTraffic } from './connection-ports.js';
import { apiUrlOf, nymApiUrlOf } from './settings.js';

const REFRESH_MS = 10 * 60_000;
const FIRST_LOOKUP_MS = 1_000;

const known = new Map<string, { address: string; at: number }>();
const pending = new Map<string, Promise<string | undefined>>();

function resolveInBackground(host: string): Promise<string | undefined> {
  let p = pending.get(host);
  if (!p) {
    p = lookup(host).then(
      (r) => { known.set(host, { address: r.address, at: Date.now() }); return r.address; },
      () => undefined,
    ).finally(() => pending.delete(host));
    pending.set(host, p);
  }
  return p;
}

/** The API's address and port (a literal IP, or the host's last known address); none when unknown. */
export function apiOwnTraffic(c: NymVpnConfig): Promise<OwnTraffic[]> {
  return urlOwnTraffic(apiUrlOf(c));
}

/** The nym-api's, which the mixnet client reads its topology from while registering. */
export function nymApiOwnTraffic(c: NymVpnConfig): Promise<OwnTraffic[]> {
  return urlOwnTraffic(nymApiUrlOf(c));
}

/** An http(s) URL's server as a marked TCP destination. */
export async function urlOwnTraffic(url: string): Promise<OwnTraffic[]> {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return [];
  }
  const host = u.hostname.replace(/^\[|\]$/g, '');
  const port = Number(u.port || (u.protocol === 'https:' ? 443 : 80));
  if (isIP(host) !== 0) return [{ address: host, port, protocol: 'tcp' }];
  const cached = known.get(host);
  if (cached && Date.now() - cached.at < REFRESH_MS) return [{ address: cached.address, port, protocol: 'tcp' }];
  const fresh = resolveInBackground(host);
  const address = cached?.address ?? (await Promise.race([fresh, new Promise<undefined>((r) => setTimeout(() => r(undefined), FIRST_LOOKUP_MS).unref())]));
  return address ? [{ address, port, protocol: 'tcp' }] : [];
}
