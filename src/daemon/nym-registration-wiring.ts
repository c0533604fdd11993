// How nym-vpnd registers with gateways: a uci `config peer` wins for its gateway (self-hosted gateways);
// every other directory gateway with a v6 authenticator is registered with over the mixnet, paid for with
// one ticket of the hop's type from the stored ticketbooks. Each connect attempt gets a mixnet session of its
// own (mixnet-session.ts), pinned to the attempt's entry gateway, whose sockets carry the daemon's fwmark.
import type { NymVpnConfig } from '../config/nym-vpn-config.js';
import type { Gateway } from '../gateways/gateway.js';
import { FirstRegistrar, StaticRegistrar, type Registrar } from '../gateways/registrar.js';
import type { AuthenticatorChannel } from '../nym-registration/authenticator-channel.js';
import { NymRegistrar, type BandwidthTickets } from '../nym-registration/nym-registrar.js';
import { nymApiOwnTraffic } from './api-endpoint.js';
import type { KeyStore, OwnTraffic } from './connection-ports.js';
import type { Logger } from './log.js';
import { MixnetSession, type MixnetSessionOptions } from './mixnet-session.js';
import { nymApiUrlOf } from './settings.js';

export interface NymRegistrationWiring {
  registrar: (channel: AuthenticatorChannel) => Registrar;
  mixnet: (entry: Gateway, allow: (own: readonly OwnTraffic[]) => Promise<void>) => MixnetSession;
}

export function nymRegistration(o: {
  config: () => NymVpnConfig;
  keys: KeyStore;
  /** One ticket of a type spent for a gateway (the daemon's TicketSpender). */
  spend: BandwidthTickets['spend'];
  log: Logger;
  /** The fwmark of the mixnet client's sockets (the daemon's own traffic). */
  mark: number | undefined;
  /** Tests only: another way to start the channel. */
  startChannel?: MixnetSessionOptions['start'];
}): NymRegistrationWiring {
  const tickets: BandwidthTickets = {
    spend: o.spend,
    // The upgrade-mode JWT comes with the network's emergency attestation, which we do not fetch yet: during
    // an upgrade-mode window a gateway then gets a ticket instead, which it also accepts.
    upgradeModeToken: async () => undefined,
  };
  return {
    // `registration static`: the uci peers alone, and never a message to the Nym network.
    registrar: (channel) => (o.config().main.registration === 'static' ? new StaticRegistrar(o.config().peers) : new FirstRegistrar([
      new StaticRegistrar(o.config().peers),
      new NymRegistrar({ channel, privateKey: (role) => o.keys.privateKey(role), tickets }),
    ])),
    mixnet: (entry, allow) => new MixnetSession({
      entry, nymApiUrl: nymApiUrlOf(o.config()), mark: o.mark, nymApiTraffic: () => nymApiOwnTraffic(o.config()), allow, log: o.log,
      ...(o.startChannel ? { start: o.startChannel } : {}),
    }),
  };
}
