// The lab authenticator as a gateway runs it: a Nym client of its own living on the gateway (nym-node starts
// its authenticator as an embedded client, nym-node/src/node/mod.rs, nymtech/nym daed9cd15bc0), whose address
// is the authenticator's own ed25519 and x25519 keys at the node's identity key (exit_authenticator_address:
// `Recipient::new(auth_ed25519, auth_x25519, node identity)`), which the node publishes under
// /api/v1/authenticator `address` and the directory passes on as a gateway's authenticator address.
// Requests arrive as the bare v6 bytes; answers go back as replies by the sender's SURBs
// (mixnet_listener.rs create_input_message: InputMessage::new_reply with the sender tag), keeping
// client-core's default reserve of 10 SURBs per sender (minimum_reply_surb_storage_threshold). Never packaged.
import type { LabAuthenticator } from './authenticator.js';
import type { LabNymGateway } from './gateway-server.js';
import { LabNymClient } from './lab-nym-client.js';

/** client-core's DEFAULT_MINIMUM_REPLY_SURB_STORAGE_THRESHOLD, which the authenticator's client keeps. */
export const AUTHENTICATOR_SURB_RESERVE = 10;

export interface LabAuthenticatorServiceOptions {
  /** A started gateway with a sphinx key. */
  gateway: LabNymGateway;
  authenticator: LabAuthenticator;
  identityPrivate?: Uint8Array;
  encryptionPrivate?: Uint8Array;
  /** Default AUTHENTICATOR_SURB_RESERVE. */
  minimumSurbThreshold?: number;
}

export class LabAuthenticatorService {
  readonly client: LabNymClient;
  /** What the directory lists as the gateway's authenticator address. */
  readonly address: string;
  /** The client's side: messages received, replies sent or withheld. */
  readonly journal: string[] = [];

  constructor(o: LabAuthenticatorServiceOptions) {
    const g = o.gateway;
    if (!g.sphinxKey) throw new Error('an authenticator needs a gateway with a sphinx key');
    this.client = new LabNymClient({
      gatewayIdentity: g.identityKey,
      gatewayMixAddress: g.mixAddress,
      gatewaySphinxPublic: g.sphinxKey,
      sendMixPacket: (b) => g.receiveMixPacket(b),
      handler: (m) => {
        if (!m.senderTag) {
          // v6 has no reply_to address: without SURBs upstream cannot answer (MissingReplyToForOldClient).
          this.journal.push('a message without reply SURBs: not answered');
          return undefined;
        }
        return o.authenticator.handle(m.message);
      },
      journal: this.journal,
      minimumSurbThreshold: o.minimumSurbThreshold ?? AUTHENTICATOR_SURB_RESERVE,
      ...(o.identityPrivate ? { identityPrivate: o.identityPrivate } : {}),
      ...(o.encryptionPrivate ? { encryptionPrivate: o.encryptionPrivate } : {}),
    });
    this.address = this.client.address;
    g.addLocalDestination(this.client);
  }
}
