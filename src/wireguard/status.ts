// What `wg show` reports, as data (for ubus/status) and as the familiar text.
import { formatEndpoint } from './bind.js';
import type { DeviceContext } from './device-context.js';
import { keyToBase64 } from './keys.js';

export interface PeerStatus {
  publicKey: string;
  endpoint: string | null;
  allowedIps: string[];
  /** Unix seconds of the latest handshake, 0 = never (as `wg show dump`). */
  latestHandshake: number;
  rxBytes: number;
  txBytes: number;
  persistentKeepalive: number;
  hasKeypair: boolean;
}

export interface DeviceStatus {
  publicKey: string;
  listenPort: number;
  peers: PeerStatus[];
}

export function deviceStatus(dev: DeviceContext): DeviceStatus {
  return {
    publicKey: keyToBase64(dev.publicKey),
    listenPort: dev.listenPort,
    peers: dev.allPeers().map((p) => ({
      publicKey: p.publicKeyBase64,
      endpoint: p.endpoint === null ? null : formatEndpoint(p.endpoint),
      allowedIps: dev.allowedIps.entriesFor(p),
      latestHandshake: Math.floor(p.stats.lastHandshake / 1000),
      rxBytes: p.stats.rxBytes,
      txBytes: p.stats.txBytes,
      persistentKeepalive: p.persistentKeepalive,
      hasKeypair: p.keypairs.current !== null,
    })),
  };
}

function ago(seconds: number): string {
  const parts: string[] = [];
  for (const [n, unit] of [[86400, 'day'], [3600, 'hour'], [60, 'minute'], [1, 'second']] as const) {
    const v = Math.floor(seconds / n);
    seconds -= v * n;
    if (v > 0) parts.push(`${v} ${unit}${v === 1 ? '' : 's'}`);
  }
  return parts.length === 0 ? 'Now' : `${parts.join(', ')} ago`;
}

function bytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) { v /= 1024; i++; }
  return i === 0 ? `${n} B` : `${v.toFixed(2)} ${units[i]}`;
}

/** `wg show`-style text; `nowSeconds` is the wall clock in Unix seconds. */
export function formatStatus(s: DeviceStatus, name: string, nowSeconds = Math.floor(Date.now() / 1000)): string {
  const lines = [`interface: ${name}`, `  public key: ${s.publicKey}`, '  private key: (hidden)', `  listening port: ${s.listenPort}`];
  for (const p of s.peers) {
    lines.push('', `peer: ${p.publicKey}`);
    if (p.endpoint !== null) lines.push(`  endpoint: ${p.endpoint}`);
    lines.push(`  allowed ips: ${p.allowedIps.length > 0 ? p.allowedIps.join(', ') : '(none)'}`);
    if (p.latestHandshake > 0) lines.push(`  latest handshake: ${ago(nowSeconds - p.latestHandshake)}`);
    if (p.rxBytes + p.txBytes > 0) lines.push(`  transfer: ${bytes(p.rxBytes)} received, ${bytes(p.txBytes)} sent`);
    if (p.persistentKeepalive > 0) lines.push(`  persistent keepalive: every ${p.persistentKeepalive} seconds`);
  }
  return lines.join('\n');
}
