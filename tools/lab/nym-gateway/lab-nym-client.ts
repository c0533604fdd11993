// A Nym client that lives on the lab gateway (the lab's authenticator's side of the mixnet): it receives what
// the gateway delivers to its address, decrypts and reassembles messages as upstream's receiving client does
// (nymtech/nym b4046a89 common/nymsphinx/src/receiver.rs, client-core received_buffer), hands each message to
// a handler, and sends the handler's answer back with the sender's reply SURBs (common/nymsphinx/src/preparer
// prepare_reply_chunk_for_sending): per fragment, plaintext = a SURB-ACK to itself || BLAKE3(SURB key) ||
// AES-128-CTR(SURB key, fragment), LIONESS-encrypted with the SURB's payload key seed under the SURB's
// ready-made header, and sent to the SURB's first hop (this gateway, since the sender's surb_mix_hops = 0).
import { randomBytes } from 'node:crypto';
import { ed25519, x25519 } from '@noble/curves/ed25519.js';
import { base58 } from '@scure/base';
import { encodeFragment, FragmentReassembler, parseFragment, splitIntoFragments } from './chunking.js';
import { decodeNodeAddress, encodeMixPacketV2, PACKET_SIZES, type NodeAddress } from './mix-packet.js';
import type { Delivery, LocalDestination } from './mixnet-node.js';
import { encodeReplyData, padMessage, parseNymMessage, removeMessagePadding, type NymMessage, type ReplySurb } from './nym-message.js';
import { buildSurbAck, decryptRegularMessage, encryptReplyMessage, fragmentRoomInReplyPacket, recoverAckIdentifier } from './nym-payload.js';
import { HEADER_SIZE, useSurb } from './sphinx.js';
import { concatBytes } from '@noble/hashes/utils.js';

export interface ReceivedMessage {
  message: Uint8Array;
  /** The anonymous sender's tag (hex), when the message was repliable. */
  senderTag?: string;
  replySurbs: number;
}

export interface LabNymClientOptions {
  gatewayIdentity: Uint8Array;
  gatewayMixAddress: NodeAddress;
  gatewaySphinxPublic: Uint8Array;
  /** Where packets this client sends go: the gateway's mix side (LabMixnetNode.handleMixPacket). */
  sendMixPacket: (bytes: Uint8Array) => void;
  /** Answers a message; the answer (if any) goes back by the sender's reply SURBs. */
  handler: (m: ReceivedMessage) => Uint8Array | undefined;
  journal?: string[];
  identityPrivate?: Uint8Array;
  encryptionPrivate?: Uint8Array;
  /**
   * Reply SURBs kept in reserve per sender (client-core reply_surbs.minimum_reply_surb_storage_threshold,
   * 10 by default: a service answers only with SURBs beyond it and keeps those to ask for more). Default 0.
   */
  minimumSurbThreshold?: number;
}

export class LabNymClient implements LocalDestination {
  readonly identity: Uint8Array;
  readonly encryptionPublic: Uint8Array;
  /** `identity.encryption@gateway`, all bs58: the address senders use. */
  readonly address: string;
  readonly journal: string[];
  /** Fragment identifiers (hex) of this client's replies that were acknowledged. */
  readonly acknowledged = new Set<string>();
  readonly reassembler = new FragmentReassembler();
  private readonly encryptionPrivate: Uint8Array;
  private readonly ackKey = randomBytes(16);
  private readonly surbs = new Map<string, ReplySurb[]>();

  constructor(private readonly o: LabNymClientOptions) {
    this.identity = ed25519.getPublicKey(o.identityPrivate ?? randomBytes(32));
    this.encryptionPrivate = o.encryptionPrivate ?? randomBytes(32);
    this.encryptionPublic = x25519.getPublicKey(this.encryptionPrivate);
    this.address = `${base58.encode(this.identity)}.${base58.encode(this.encryptionPublic)}@${base58.encode(o.gatewayIdentity)}`;
    this.journal = o.journal ?? [];
  }

  /** Reply SURBs held for a sender tag (hex). */
  surbsFor(senderTag: string): number {
    return this.surbs.get(senderTag)?.length ?? 0;
  }

  deliver(d: Delivery): void {
    try {
      if (d.kind === 'ack') {
        this.acknowledged.add(Buffer.from(recoverAckIdentifier(this.ackKey, d.bytes)).toString('hex'));
        return;
      }
      const fragment = parseFragment(decryptRegularMessage(d.bytes, this.encryptionPrivate));
      const padded = this.reassembler.insert(fragment);
      if (!padded) return;
      this.receive(parseNymMessage(removeMessagePadding(padded)));
    } catch (e) {
      this.journal.push(`unreadable delivery: ${(e as Error).message}`);
    }
  }

  private receive(m: NymMessage): void {
    if (m.kind === 'plain') return this.answer({ message: m.message, replySurbs: 0 });
    if (m.kind !== 'repliable') {
      this.journal.push(`ignored ${m.kind} message (this client sends no repliable messages)`);
      return;
    }
    const tag = Buffer.from(m.senderTag).toString('hex');
    const held = this.surbs.get(tag) ?? [];
    held.push(...m.content.replySurbs);
    this.surbs.set(tag, held);
    this.journal.push(`received ${m.content.kind} from ${tag} with ${m.content.replySurbs.length} reply SURBs`);
    if (m.content.kind === 'data') this.answer({ message: m.content.message, senderTag: tag, replySurbs: m.content.replySurbs.length });
  }

  private answer(m: ReceivedMessage): void {
    const reply = this.o.handler(m);
    if (!reply) return;
    if (!m.senderTag) {
      this.journal.push('cannot answer a plain message: no reply SURBs');
      return;
    }
    const tag = m.senderTag;
    // After the delivery that carried the request has finished (its ack is sent on first, as upstream does).
    setImmediate(() => {
      try {
        this.reply(tag, reply);
      } catch (e) {
        this.journal.push(`reply to ${tag} failed: ${(e as Error).message}`);
      }
    });
  }

  /** Sends `message` to the anonymous sender `senderTag` (hex) with the reply SURBs it attached. */
  reply(senderTag: string, message: Uint8Array): void {
    const room = fragmentRoomInReplyPacket();
    const fragments = splitIntoFragments(padMessage(encodeReplyData(message), room), room);
    const held = this.surbs.get(senderTag) ?? [];
    const reserve = this.o.minimumSurbThreshold ?? 0;
    if (held.length - reserve < fragments.length) {
      // Upstream (receiver_controller.rs handle_send_reply) sends what the SURBs above the reserve allow,
      // buffers the rest and spends a reserved SURB asking the sender for more; the lab only says so.
      throw new Error(`the reply needs ${fragments.length} reply SURBs beyond the ${reserve} kept in reserve, ${held.length} are held for ${senderTag} (upstream would ask for more; the lab does not)`);
    }
    const payloadSize = PACKET_SIZES.regular - HEADER_SIZE;
    for (const fragment of fragments) {
      const surb = held.shift()!;
      const fragmentId = Uint8Array.of(...u32(fragment.setId), fragment.currentFragment);
      const surbAck = buildSurbAck({
        firstHop: this.o.gatewayMixAddress,
        firstHopSphinxKey: this.o.gatewaySphinxPublic,
        destination: this.identity,
        ackKey: this.ackKey,
        fragmentIdentifier: fragmentId,
      });
      const plaintext = concatBytes(surbAck, encryptReplyMessage(encodeFragment(fragment), surb.encryptionKey));
      const packet = useSurb(surb.surb, plaintext, payloadSize);
      const nextHop = decodeNodeAddress(surb.surb.firstHop).address;
      this.o.sendMixPacket(encodeMixPacketV2({ keyRotation: surb.keyRotation, nextHop, packet }));
      this.journal.push(`reply fragment ${fragment.currentFragment}/${fragment.totalFragments} of set ${fragment.setId} sent by SURB to ${nextHop.host}:${nextHop.port}`);
    }
  }
}

function u32(n: number): number[] {
  return [(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
}
