// Readable text for nym-vpnc's replies (`--json` prints the reply as is instead).

type Table = Record<string, unknown>;

function when(unixSeconds: unknown, now = Date.now()): string {
  if (typeof unixSeconds !== 'number') return '?';
  const d = new Date(unixSeconds * 1000);
  const ago = Math.max(0, Math.round(now / 1000 - unixSeconds));
  const span = ago < 60 ? `${ago}s` : ago < 3600 ? `${Math.floor(ago / 60)}m ${ago % 60}s` : `${Math.floor(ago / 3600)}h ${Math.floor((ago % 3600) / 60)}m`;
  return `${d.toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC')} (${span} ago)`;
}

function bytes(n: unknown): string {
  const v = Number(n ?? 0);
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  let x = v;
  while (x >= 1024 && i < units.length - 1) { x /= 1024; i++; }
  return i === 0 ? `${v} B` : `${x.toFixed(1)} ${units[i]}`;
}

function gateway(g: unknown): string {
  const t = (g ?? {}) as Table;
  const parts = [String(t.id ?? '?')];
  if (t.name) parts.push(`"${String(t.name)}"`);
  if (t.country) parts.push(`(${String(t.country)})`);
  if (t.endpoint) parts.push(`at ${String(t.endpoint)}`);
  return parts.join(' ');
}

const row = (k: string, v: string) => `${(k + ':').padEnd(14)}${v}`;

export function formatStatus(s: Table): string {
  const lines = [row('State', `${String(s.state)}${s.state === 'connecting' && s.retry_attempt ? ` (attempt ${String(s.retry_attempt)})` : ''}`)];
  lines.push(row('Since', when(s.since)));
  const err = s.error as Table | undefined;
  if (err) lines.push(row('Error', `${String(err.reason)}: ${String(err.message)}`));
  if (s.entry) lines.push(row('Entry', gateway(s.entry)));
  if (s.exit) lines.push(row('Exit', gateway(s.exit)));
  const addr = s.addresses as Table | undefined;
  if (addr) lines.push(row('Addresses', [addr.ipv4, addr.ipv6].filter(Boolean).join(', ')));
  const hs = s.handshake_age as Table | undefined;
  if (hs) lines.push(row('Handshakes', `entry ${String(hs.entry ?? '-')}s ago, exit ${String(hs.exit ?? '-')}s ago`));
  lines.push(row('Interface', String(s.interface)));
  const silent = Array.isArray(s.dns_unreachable) && s.dns_unreachable.length > 0 ? ` (not answering: ${s.dns_unreachable.join(', ')})` : '';
  lines.push(row('DNS', (Array.isArray(s.dns) ? s.dns.join(', ') : '-') + silent));
  lines.push(row('Kill switch', killSwitch(s)));
  if (s.kill_switch_error) lines.push(row('Firewall', String(s.kill_switch_error)));
  if (s.mtu_black_hole) lines.push(row('Path', 'large packets vanish on the way to the entry gateway: sending the exit hop in fragments'));
  const st = (s.stats ?? {}) as Table;
  const bw = s.bandwidth as Record<string, Table | undefined> | undefined;
  for (const role of ['entry', 'exit']) {
    const b = bw?.[role];
    if (!b) continue;
    const left = typeof b.remaining_bytes === 'number' ? `${bytes(Math.max(0, b.remaining_bytes))} left at the ${role} gateway, checked ${when(b.checked_at)}` : `not known yet at the ${role} gateway`;
    const paid = Number(b.top_ups ?? 0) > 0 ? `; ${String(b.top_ups)} ticket${b.top_ups === 1 ? '' : 's'} paid since connecting` : '';
    lines.push(row('Bandwidth', `${left}${b.upgrade_mode ? ' (upgrade mode: not metered)' : ''}${paid}${b.problem ? ` (last query failed: ${String(b.problem)})` : ''}`));
  }
  lines.push(row('Traffic', `received ${bytes(st.rx_bytes)} (${String(st.rx_packets ?? 0)} packets), sent ${bytes(st.tx_bytes)} (${String(st.tx_packets ?? 0)} packets)`));
  lines.push(row('Reconnects', `${String(s.reconnects ?? 0)}${s.last_reconnect_reason ? ` (last: ${String(s.last_reconnect_reason)})` : ''}`));
  if (s.config_error) lines.push(row('Config error', `${String(s.config_error)} (running on the last good config)`));
  return lines.join('\n');
}

/** The setting, and what the kernel holds (they differ after a crash, or when the firewall failed). */
function killSwitch(s: Table): string {
  const active = s.kill_switch_active === true;
  if (s.kill_switch) return active ? 'on (blocking outside the tunnel)' : s.state === 'disconnected' ? 'on (lifted while disconnected)' : 'on, but NOT in the kernel';
  return active ? 'off, but rules are still in the kernel (disconnect lifts them)' : 'off';
}

export function formatInfo(i: Table): string {
  return [
    row('Version', String(i.version)),
    row('Node.js', String(i.node)),
    row('Platform', `${String(i.platform)} ${String(i.arch)}`),
    row('Network', String(i.network)),
    row('API', String(i.api_url)),
    row('Uptime', `${String(i.uptime)}s`),
    row('PID', String(i.pid)),
  ].join('\n');
}

/** A gateway's measured latency as the list shows it: its round trip, or what there is instead. */
export function latencyText(g: Table): string {
  const ms = g.latency_ms;
  if (typeof ms === 'number' && Number.isInteger(ms) && ms >= 0) return ms === 0 ? '<1 ms' : `${ms} ms`;
  return typeof g.measured_at === 'number' ? 'no answer' : '-';
}

/**
 * One line per gateway: id, country, performance, then the measured latency — a column only when the
 * daemon has measured some gateway of the list (after connecting with the lowest latency) — and the name.
 */
export function formatGateways(r: Table): string {
  const list = (r.gateways ?? []) as Table[];
  if (list.length === 0) return 'no gateways';
  const measured = list.some((g) => g.latency_ms !== undefined || g.measured_at !== undefined);
  const lines = list.map((g) => {
    const latency = measured ? `  ${latencyText(g).padStart(9)}` : '';
    return `${String(g.id).padEnd(46)} ${String(g.country ?? '??').padEnd(3)} ${String(g.performance ?? '?').padStart(3)}%${latency}  ${String(g.name ?? '')}`;
  });
  if (r.cached) lines.push('(from the cache: the directory is unreachable)');
  return lines.join('\n');
}

export function formatCountries(r: Table): string {
  const list = (r.countries ?? []) as string[];
  return list.length === 0 ? 'no countries' : list.join('\n');
}

export function formatReload(r: Table): string {
  if (!r.reloaded) return `config not reloaded: ${String(r.error)}`;
  const changed = (r.changed ?? []) as string[];
  return changed.length === 0 ? 'config reloaded, nothing changed' : `config reloaded; changed: ${changed.join(', ')}${r.reconnect ? ' (reconnecting)' : ''}`;
}

/** upstream's ReadyToConnect, said as a router owner would read it. */
const READINESS: Record<string, string> = {
  ready: 'ready to connect',
  no_mnemonic_stored: 'no account stored (nym-vpnc store-account)',
  account_not_synced: 'not yet synced with nym-vpn-api',
  account_not_active: 'the account is not active',
  no_active_subscription: 'no active subscription',
  device_not_registered: 'this router is not registered as a device yet',
  device_not_active: 'this router is registered but not active',
  max_devices_reached: 'the account has no device left for this router',
};

export function formatAccount(a: Table): string {
  if (!a.stored) return 'no account stored';
  const lines = [row('Account', String(a.id ?? '?'))];
  lines.push(row('Device', `${String(a.device_id ?? '?')}${a.device_registered === undefined ? '' : a.device_registered ? ` (registered${a.device_status ? `, ${String(a.device_status)}` : ''})` : ' (not registered)'}`));
  if (a.account_status !== undefined) {
    const sub = a.subscription_active ? `active${a.subscription_until ? ` until ${String(a.subscription_until)}` : ''}` : 'none';
    lines.push(row('Status', `account ${String(a.account_status)}, subscription ${sub}`));
  }
  const d = a.devices as Table | undefined;
  if (d) lines.push(row('Devices', `${String(d.active)} of ${String(d.max)} in use, ${String(d.remaining)} left`));
  const t = a.tickets as Table | undefined;
  if (t) lines.push(row('Tickets', Object.entries(t).map(([k, v]) => `${k.replace(/^v1-/, '')} ${String(v)}`).join(', ')));
  lines.push(row('Ready', READINESS[String(a.ready_to_connect)] ?? String(a.ready_to_connect)));
  lines.push(row('Last sync', a.last_sync === undefined ? 'never' : `${when(a.last_sync)}${a.last_sync_error ? `, failed: ${String(a.last_sync_error)}` : ''}`));
  return lines.join('\n');
}
