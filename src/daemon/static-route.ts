// Picks the entry and exit among the static peers of UCI (`config peer`): by id, by country, or at
// random (low latency falls back to random until gateways are measured). Interim: the gateway
// directory and its selection replace this for routers that use the Nym network.

import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { NymVpnConfig, StaticPeer } from '../uci/index.js';
import type { ConnectChoice, ResolvedHop, ResolvedRoute } from './connection.js';
import { ConnectError } from './connect-error.js';

type Want = { id?: string; country?: string; random?: boolean; lowLatency?: boolean };

function wanted(role: 'entry' | 'exit', arg: Want, c: NymVpnConfig): Want {
  if (arg.id || arg.country || arg.random || arg.lowLatency) return arg;
  const ch = role === 'entry' ? c.entry : c.exit;
  if (ch.select === 'id') return { id: ch.id };
  if (ch.select === 'country') return { country: ch.country };
  return { random: true };
}

function pick(role: 'entry' | 'exit', want: Want, peers: readonly StaticPeer[], avoid?: StaticPeer): StaticPeer {
  const mine = peers.filter((p) => p.role === role);
  let candidates = mine;
  if (want.id) candidates = mine.filter((p) => p.gatewayId === want.id);
  else if (want.country) candidates = mine.filter((p) => p.country?.toUpperCase() === want.country!.toUpperCase());
  if (candidates.length === 0) {
    if (want.country) throw new ConnectError(role === 'entry' ? 'InvalidEntryGatewayCountry' : 'InvalidExitGatewayCountry', `no ${role} gateway in ${want.country.toUpperCase()}`, false);
    if (want.id) throw new ConnectError('Internal', `no static ${role} peer with gateway_id '${want.id}' in /etc/config/nym-vpn`, false);
    throw new ConnectError('Internal', `no static ${role} peer in /etc/config/nym-vpn`, false);
  }
  const usable = avoid ? candidates.filter((p) => p.publicKey !== avoid.publicKey) : candidates;
  if (usable.length === 0) throw new ConnectError('SameEntryAndExitGateway', `the only ${role} gateway is the entry gateway`, false);
  return usable[Math.floor(Math.random() * usable.length)]!;
}

async function hop(p: StaticPeer): Promise<ResolvedHop> {
  let host = p.endpoint.host;
  if (isIP(host) === 0) {
    try {
      host = (await lookup(host)).address;
    } catch (e) {
      throw new ConnectError('ResolveGatewayAddrs', `cannot resolve ${p.endpoint.host}: ${(e as Error).message}`, true);
    }
  }
  const strip = (a: string) => a.replace(/\/\d+$/, '');
  const ipv4 = p.addresses.map(strip).find((a) => isIP(a) === 4);
  const ipv6 = p.addresses.map(strip).find((a) => isIP(a) === 6);
  if (!ipv4) throw new ConnectError('Internal', `static peer ${p.section} has no IPv4 address`, false);
  const id = p.gatewayId ?? p.section;
  return {
    gateway: { id, ...(p.country ? { country: p.country } : {}), endpoint: `${isIP(host) === 6 ? `[${host}]` : host}:${p.endpoint.port}`, public_key: p.publicKey },
    hop: {
      publicKey: p.publicKey,
      ...(p.presharedKey ? { presharedKey: p.presharedKey } : {}),
      endpoint: `${isIP(host) === 6 ? `[${host}]` : host}:${p.endpoint.port}`,
      ipv4,
      ...(ipv6 ? { ipv6 } : {}),
    },
  };
}

export async function resolveStaticRoute(choice: ConnectChoice, c: NymVpnConfig): Promise<ResolvedRoute> {
  const entry = pick('entry', wanted('entry', choice.entry, c), c.peers);
  const exit = pick('exit', wanted('exit', choice.exit, c), c.peers, entry);
  return { entry: await hop(entry), exit: await hop(exit) };
}
