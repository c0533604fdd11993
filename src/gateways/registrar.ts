// Registrars turn a chosen gateway into a WireGuard peer. Upstream asks the gateway's authenticator
// over the mixnet (nym.md, "authenticator protocol, v6"): our public key in, the gateway's key,
// private IPv4/IPv6 and WireGuard port out, after a credential (zk-nym) is accepted. That
// exchange is async, cancellable, and fails on bandwidth, credentials, reachability or time — the
// failure kinds below. StaticRegistrar answers from the uci `peer` sections instead: self-hosted
// gateways and the lab.

import { isIP } from 'node:net';
import type { PeerRole, StaticPeer } from '../config/nym-vpn-config.js';
import type { ErrorReason } from '../daemon/tunnel-state.js';
import { keyFromBase64 } from '../wireguard/keys.js';
import type { Gateway } from './gateway.js';

export interface RegisteredPeer {
  /** The gateway's WireGuard public key, base64. */
  publicKey: string;
  /** Where to send WireGuard packets (a host name is resolved by the caller). */
  endpoint: { host: string; port: number };
  /** Our addresses inside this hop, plain IPs (upstream's private_ips). */
  addresses: { ipv4?: string; ipv6?: string };
  /** Static peers only: the Nym authenticator flow uses none. */
  presharedKey?: string;
  /** The gateway meters our bandwidth (registered with a ticket over Nym) and sells more inside the hop. */
  metered?: boolean;
}

export interface RegistrationRequest {
  gateway: Gateway;
  role: PeerRole;
  /** Our WireGuard public key for this hop, base64. */
  ourPublicKey: string;
}

export type RegistrationFailure =
  /** The gateway refused: no bandwidth left on the credential or account. */
  | 'BandwidthExhausted'
  /**
   * The credential (zk-nym ticket) was sent and did not buy a registration: refused, or no answer to the message
   * carrying it (upstream's gateway answers a refused ticket with silence; upstream calls it credential wasted).
   */
  | 'CredentialRejected'
  /** No credential could be obtained (no ticket left): nothing was sent with one. */
  | 'CredentialUnavailable'
  /** The gateway (or its authenticator) could not be reached. */
  | 'Unreachable'
  /** No answer in time before any credential was sent (upstream waits 10 s for the authenticator). */
  | 'Timeout'
  /** The answer was malformed or failed its MAC check. */
  | 'ProtocolError'
  /** This registrar knows no peer for the gateway (static: no matching uci peer section). */
  | 'NoPeer'
  | 'Aborted';

export class RegistrationError extends Error {
  override name = 'RegistrationError';
  constructor(
    readonly failure: RegistrationFailure,
    readonly gatewayId: string,
    message: string,
  ) {
    super(message);
  }

  /** Worth trying again (maybe another gateway): the network, not the account, was at fault. */
  get retryable(): boolean {
    return this.failure === 'Unreachable' || this.failure === 'Timeout' || this.failure === 'ProtocolError';
  }

  /** The tunnel state's error reason for this failure. */
  get tunnelReason(): ErrorReason {
    switch (this.failure) {
      case 'BandwidthExhausted': return 'BandwidthExceeded';
      case 'CredentialRejected':
      case 'CredentialUnavailable': return 'RequestZkNym';
      case 'Unreachable':
      case 'Timeout':
      case 'ProtocolError': return 'TunnelProvider';
      default: return 'Internal';
    }
  }
}

export interface Registrar {
  readonly name: string;
  /** Whether this registrar could register us at the gateway in that role (what the lists show). */
  canRegister(gateway: Gateway, role: PeerRole, nowMs: number): boolean;
  /** Registers our key at the gateway; rejects with RegistrationError. */
  register(request: RegistrationRequest, signal: AbortSignal): Promise<RegisteredPeer>;
}

/** The id a static peer's gateway has: its gateway_id, else its uci section. */
export function staticGatewayId(peer: StaticPeer): string {
  return peer.gatewayId ?? peer.section;
}

function splitAddresses(peer: StaticPeer): RegisteredPeer['addresses'] {
  const out: RegisteredPeer['addresses'] = {};
  for (const a of peer.addresses) {
    const ip = a.split('/')[0]!;
    const family = isIP(ip);
    if (family === 4 && out.ipv4 === undefined) out.ipv4 = ip;
    if (family === 6 && out.ipv6 === undefined) out.ipv6 = ip;
  }
  return out;
}

/** The gateways the static peers describe, per role, for routers without a directory. */
export function gatewaysFromStaticPeers(peers: readonly StaticPeer[]): { entries: Gateway[]; exits: Gateway[] } {
  const entries: Gateway[] = [];
  const exits: Gateway[] = [];
  for (const peer of peers) {
    const host = peer.endpoint.host;
    const gw: Gateway = {
      id: staticGatewayId(peer),
      name: peer.section,
      country: peer.country,
      ipAddresses: isIP(host) === 0 ? [] : [host],
      // The uci schema has no score for a self-hosted gateway: it is taken to be fine.
      performance: 100,
      wireguardEndpoint: { host, port: peer.endpoint.port },
      source: 'static',
    };
    if (isIP(host) === 0) gw.hostname = host;
    (peer.role === 'entry' ? entries : exits).push(gw);
  }
  return { entries, exits };
}

/** Answers from the uci `peer` sections, matched by gateway id and role. */
export class StaticRegistrar implements Registrar {
  readonly name = 'static';

  constructor(private readonly peers: readonly StaticPeer[]) {}

  canRegister(gateway: Gateway, role: PeerRole): boolean {
    return this.peers.some((p) => staticGatewayId(p) === gateway.id && p.role === role);
  }

  async register(request: RegistrationRequest, signal: AbortSignal): Promise<RegisteredPeer> {
    const { gateway, role } = request;
    if (signal.aborted) throw new RegistrationError('Aborted', gateway.id, `registration at ${gateway.id} was cancelled`);
    keyFromBase64(request.ourPublicKey, 'our public key');  // the Nym registrar sends it; same contract here
    const peer = this.peers.find((p) => staticGatewayId(p) === gateway.id && p.role === role);
    if (peer === undefined) {
      const other = this.peers.find((p) => staticGatewayId(p) === gateway.id);
      const hint = other === undefined
        ? `add a "config peer" section with gateway_id '${gateway.id}' and role '${role}'`
        : `peer ${other.section} has it as ${other.role}, not ${role}`;
      throw new RegistrationError('NoPeer', gateway.id, `no static ${role} peer for gateway ${gateway.id}: ${hint}`);
    }
    const addresses = splitAddresses(peer);
    if (addresses.ipv4 === undefined && addresses.ipv6 === undefined) {
      throw new RegistrationError('NoPeer', gateway.id, `peer ${peer.section} has no usable tunnel address`);
    }
    const out: RegisteredPeer = { publicKey: peer.publicKey, endpoint: { ...peer.endpoint }, addresses };
    if (peer.presharedKey !== undefined) out.presharedKey = peer.presharedKey;
    return out;
  }
}

/** Self-hosted peers first (a uci peer wins for its gateway), then the next registrar (Nym's). */
export class FirstRegistrar implements Registrar {
  readonly name: string;

  constructor(private readonly registrars: readonly Registrar[]) {
    this.name = registrars.map((r) => r.name).join('+');
  }

  canRegister(gateway: Gateway, role: PeerRole, nowMs: number): boolean {
    return this.registrars.some((r) => r.canRegister(gateway, role, nowMs));
  }

  register(request: RegistrationRequest, signal: AbortSignal): Promise<RegisteredPeer> {
    const r = this.registrars.find((x) => x.canRegister(request.gateway, request.role, Date.now()));
    if (!r) return Promise.reject(new RegistrationError('NoPeer', request.gateway.id, `no registrar can register us at ${request.gateway.id} as ${request.role}`));
    return r.register(request, signal);
  }
}
