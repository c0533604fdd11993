// The nym-vpn-api as a destination of the daemon's own marked TCP: the one place outside the tunnel the
// daemon talks to for the directory and the account, so the kill switch lets it (and nothing else) through
// whenever the daemon is not connected — while connecting, after an error, and disconnected with always-on.
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { NymVpnConfig } from '../config/nym-vpn-config.js';
import type { OwnTraffic } from './connection-ports.js';
import { apiUrlOf } from './settings.js';

/** The API's address and port (when its host is a literal IP or resolves); none otherwise. */
export async function apiOwnTraffic(c: NymVpnConfig): Promise<OwnTraffic[]> {
  try {
    const u = new URL(apiUrlOf(c));
    const host = u.hostname.replace(/^\[|\]$/g, '');
    const address = isIP(host) !== 0 ? host : (await lookup(host)).address;
    return [{ address, port: Number(u.port || (u.protocol === 'https:' ? 443 : 80)), protocol: 'tcp' }];
  } catch {
    return [];
  }
}
