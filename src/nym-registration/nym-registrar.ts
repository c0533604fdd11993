// Registration with a Nym gateway's authenticator (protocol v6), as upstream's authenticator client does it
// (nymtech/nym nym-authenticator-client/src/lib.rs register_wireguard, commit daed9cd15bc0):
//   Initial{our key} → PendingRegistration (its MAC checked with our key) → Final{our key, the IPs it
//   offered, our MAC, a bandwidth claim: one ticket of the hop's type, or the upgrade-mode token when the
//   gateway says it is in upgrade mode and we hold one} → Registered{its key, our private IPs, its port}.
// A gateway that already knows our key answers the Initial with Registered at once. The peer's endpoint is
// the gateway's own IP with the port it named. Once the Final has gone out, any failure (no answer in time
// included: a gateway that refuses the ticket says nothing) is a credential failure, as upstream reports it
// (RegistrationError::CredentialSent → nym-vpn-lib's CredentialWastedOn{Entry,Exit}Gateway): the ticket was
// sent and is spent, and trying again would spend another.
import { isIP } from 'node:net';
import { clientMac, verifyClientMac } from '../authenticator/client-mac.js';
import { AUTHENTICATOR_V6, authenticatorVersionOf, chooseAuthenticatorVersion, UnsupportedGatewayError } from '../authenticator/version.js';
import type { Gateway } from '../gateways/gateway.js';
import { unfitness } from '../gateways/select.js';
import type { AuthenticatorResponse, BandwidthCredential } from '../authenticator/messages-v6.js';
import { formatIp } from '../net/ip-address.js';
import { RegistrationError, type RegisteredPeer, type Registrar, type RegistrationRequest } from '../gateways/registrar.js';
import type { TicketType } from '../zk-nym/ticket-type.js';
import { publicKeyFromPrivate, keyToBase64 } from '../wireguard/keys.js';
import type { AuthenticatorChannel } from './authenticator-channel.js';
import { exchange, ExchangeError, AUTHENTICATOR_REPLY_TIMEOUT_MS } from './exchange.js';

/** What pays for a registration: a ticket spent for this gateway, or the upgrade-mode token. */
export interface BandwidthTickets {
  /** One ticket of `type` spent for the gateway (upstream's DEFAULT_TICKETS_TO_SPEND is 1), as serde-bincode. */
  spend(type: TicketType, gatewayId: string): Promise<Uint8Array>;
  /** The upgrade-mode JWT, when the network published one and we hold it. */
  upgradeModeToken(): Promise<string | undefined>;
}

export interface NymRegistrarOptions {
  channel: AuthenticatorChannel;
  /** Our WireGuard private key for a hop. */
  privateKey: (role: 'entry' | 'exit') => Promise<Uint8Array>;
  tickets: BandwidthTickets;
  timeoutMs?: number;
}

/** Two-hop WireGuard spends a ticket of the hop's own type. */
export function ticketTypeFor(role: 'entry' | 'exit'): TicketType {
  return role === 'entry' ? 'v1-wireguard-entry' : 'v1-wireguard-exit';
}

export class NymRegistrar implements Registrar {
  readonly name = 'nym';

  constructor(private readonly o: NymRegistrarOptions) {}

  /** A directory gateway with an authenticator speaking v6, whose last probe passes for the role. */
  canRegister(gateway: Gateway, role: 'entry' | 'exit', nowMs: number): boolean {
    return gateway.source === 'directory' && gateway.authenticatorAddress !== undefined
      && authenticatorVersionOf(gateway.buildVersion) === AUTHENTICATOR_V6 && unfitness(gateway, role, nowMs) === undefined;
  }

  async register(req: RegistrationRequest, signal: AbortSignal): Promise<RegisteredPeer> {
    const g = req.gateway;
    const fail = (kind: RegistrationError['failure'], message: string) => new RegistrationError(kind, g.id, message);
    if (!g.authenticatorAddress) throw fail('NoPeer', `gateway ${g.id} has no authenticator (not a WireGuard gateway)`);
    const host = g.ipAddresses.find((a) => isIP(a) !== 0);
    if (!host) throw fail('Unreachable', `gateway ${g.id} has no IP address to send WireGuard to`);
    try {
      chooseAuthenticatorVersion(g.buildVersion);
    } catch (e) {
      if (e instanceof UnsupportedGatewayError) throw fail('ProtocolError', e.message);
      throw e;
    }
    const ownPrivate = await this.o.privateKey(req.role);
    const ownPublic = publicKeyFromPrivate(ownPrivate);
    if (keyToBase64(ownPublic) !== req.ourPublicKey) throw fail('ProtocolError', 'our key for this hop changed during registration');
    const ask = async (data: Parameters<typeof exchange>[2]): Promise<AuthenticatorResponse> => {
      try {
        return await exchange(this.o.channel, g.authenticatorAddress!, data, signal, this.o.timeoutMs ?? AUTHENTICATOR_REPLY_TIMEOUT_MS);
      } catch (e) {
        if (e instanceof ExchangeError) throw fail(e.kind, e.message);
        throw e;
      }
    };

    let answer = await ask({ type: 'initial', pubKey: ownPublic });
    if (answer.data.type === 'pending-registration') {
      const p = answer.data;
      if (!verifyClientMac(ownPrivate, p.gatewayData.pubKey, p.gatewayData.privateIps, p.nonce, p.gatewayData.mac)) {
        throw fail('ProtocolError', `the pending registration from ${g.id} failed its MAC check`);
      }
      const credential = await this.claim(req.role, g.id, answer.upgradeModeEnabled).catch((e: Error) => {
        throw fail('CredentialUnavailable', `no ${ticketTypeFor(req.role)} ticket for ${g.id}: ${e.message}`);
      });
      const mac = clientMac(ownPrivate, ownPublic, p.gatewayData.pubKey, p.gatewayData.privateIps, p.nonce);
      try {
        answer = await ask({
          type: 'final',
          gatewayClient: { pubKey: ownPublic, privateIps: p.gatewayData.privateIps, mac },
          credential: { credential, ticketType: ticketTypeFor(req.role) },
        });
      } catch (e) {
        if (e instanceof RegistrationError && (e.failure === 'Timeout' || e.failure === 'Unreachable')) {
          const spent = credential.kind === 'zk-nym' ? `its ${ticketTypeFor(req.role)} ticket is spent` : 'it carried the upgrade-mode token';
          throw fail('CredentialRejected', `${e.message}, after the final message went out (${spent}; upstream: credential wasted on the ${req.role} gateway)`);
        }
        throw e;
      }
      if (answer.data.type !== 'registered') throw fail('CredentialRejected', `${g.id} answered the final message with ${answer.data.type}, not registered (the ticket is spent)`);
    }
    if (answer.data.type !== 'registered') throw fail('ProtocolError', `${g.id} answered the initial message with ${answer.data.type}`);
    const r = answer.data;
    if (r.wgPort === 0) throw fail('ProtocolError', `${g.id} named port 0 for WireGuard`);
    return {
      publicKey: keyToBase64(r.pubKey),
      endpoint: { host, port: r.wgPort },
      addresses: { ipv4: formatIp(r.privateIps.ipv4), ipv6: formatIp(r.privateIps.ipv6) },
      metered: true,
    };
  }

  private async claim(role: 'entry' | 'exit', gatewayId: string, upgradeMode: boolean): Promise<BandwidthCredential> {
    if (upgradeMode) {
      const token = await this.o.tickets.upgradeModeToken();
      if (token !== undefined) return { kind: 'upgrade-mode-jwt', token };
    }
    return { kind: 'zk-nym', credentialBincode: await this.o.tickets.spend(ticketTypeFor(role), gatewayId) };
  }
}
