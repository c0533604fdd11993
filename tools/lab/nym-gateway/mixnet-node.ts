// The lab gateway's mix side: what nym-node does with a MixPacket that reaches it as the final hop (nymtech/nym
// b4046a89 nym-node/src/node/mixnet/handler.rs handle_final_hop, common/nymsphinx/framing/src/processing.rs):
// unwrap the Sphinx packet with the node's sphinx key; for a regular packet split off the SURB-ACK; hand the
// message to the destination client (a websocket client of this gateway, or a lab service living on it);
// then send the SURB-ACK on to its first hop. An ack packet (ack size) carries no SURB-ACK: its message is
// handed over as it is. With mix hops disabled every first hop is this gateway, so "sending on" means
// processing the packet here again; a packet for any other node is refused (the lab has no mix network).
// Every refusal is a MixnetRefusal with a message saying why; nothing here throws anything else for bad input.
import { base58 } from '@scure/base';
import { encodeMixPacketV2, MixPacketError, parseMixPacket, type NodeAddress } from './mix-packet.js';
import { NymPayloadError, splitSurbAck } from './nym-payload.js';
import { processFinalHop, SphinxError } from './sphinx.js';

export class MixnetRefusal extends Error {
  override readonly name = 'MixnetRefusal';
}

export type Delivery = { kind: 'message' | 'ack'; bytes: Uint8Array };

/** A destination living on the gateway (the lab's authenticator client, say). */
export interface LocalDestination {
  /** The client's identity (ed25519 public key bytes): its Sphinx destination address. */
  readonly identity: Uint8Array;
  deliver(d: Delivery): void;
}

export interface LabMixnetNodeOptions {
  sphinxPrivateKey: Uint8Array;
  /** This gateway's mix address (as the topology lists it). */
  mixAddress: NodeAddress;
  /** Pushes bytes to a connected websocket client (bs58 identity); false when it is not connected. */
  pushToClient: (identity: string, bytes: Uint8Array) => boolean;
  journal: string[];
}

export interface ProcessedPacket {
  version: number;
  destination: string;
  kind: Delivery['kind'];
  /** Microseconds spent unwrapping the Sphinx packet. */
  unwrapMicros: number;
}

const sameAddress = (a: NodeAddress, b: NodeAddress) => a.host === b.host && a.port === b.port;

export class LabMixnetNode {
  private readonly local = new Map<string, LocalDestination>();
  /** Every packet processed, in order (tests read it). */
  readonly processed: ProcessedPacket[] = [];

  constructor(private readonly o: LabMixnetNodeOptions) {}

  addLocalDestination(d: LocalDestination): void {
    this.local.set(base58.encode(d.identity), d);
  }

  /**
   * Handles MixPacket bytes as if they arrived at this node's mix port (`frameVersion` 2: with the key rotation
   * byte). Throws MixnetRefusal for anything it will not or cannot process.
   */
  handleMixPacket(bytes: Uint8Array, frameVersion: 1 | 2): void {
    let packet;
    try {
      packet = parseMixPacket(bytes, frameVersion);
    } catch (e) {
      if (e instanceof MixPacketError) throw new MixnetRefusal(`malformed mix packet: ${e.message}`);
      throw e;
    }
    if (!sameAddress(packet.nextHop, this.o.mixAddress)) {
      throw new MixnetRefusal(`mix packet for ${packet.nextHop.host}:${packet.nextHop.port}, not this gateway (${this.o.mixAddress.host}:${this.o.mixAddress.port}); the lab has no mix network`);
    }
    const started = process.hrtime.bigint();
    let hop;
    try {
      // The lab keeps one sphinx key; upstream picks the odd or even rotation's key by this byte.
      hop = processFinalHop(packet.packet, this.o.sphinxPrivateKey);
    } catch (e) {
      if (e instanceof SphinxError) throw new MixnetRefusal(`sphinx packet refused: ${e.message}`);
      throw e;
    }
    const unwrapMicros = Number(process.hrtime.bigint() - started) / 1000;
    const destination = base58.encode(hop.destination);
    const kind: Delivery['kind'] = packet.size === 'ack' ? 'ack' : 'message';
    let message = hop.plaintext;
    let forwardAck: Uint8Array | undefined;
    if (kind === 'message') {
      try {
        const split = splitSurbAck(hop.plaintext);
        message = split.message;
        if (!sameAddress(split.ackFirstHop, this.o.mixAddress)) throw new MixnetRefusal(`the SURB-ACK's first hop ${split.ackFirstHop.host}:${split.ackFirstHop.port} is not this gateway`);
        forwardAck = encodeMixPacketV2({ keyRotation: packet.keyRotation, nextHop: split.ackFirstHop, packet: split.ackPacket });
      } catch (e) {
        if (e instanceof NymPayloadError || e instanceof MixPacketError) throw new MixnetRefusal(`malformed SURB-ACK: ${e.message}`);
        throw e;
      }
    }
    this.processed.push({ version: hop.version, destination, kind, unwrapMicros });
    this.deliver(destination, { kind, bytes: message });
    this.o.journal.push(`final hop v${hop.version} ${kind} for ${destination} (${message.length} bytes)`);
    // Upstream sends the ack on only once the message was pushed or stored: the client exists here.
    if (forwardAck) this.handleMixPacket(forwardAck, 2);
  }

  private deliver(destination: string, d: Delivery): void {
    const local = this.local.get(destination);
    if (local) return local.deliver(d);
    if (this.o.pushToClient(destination, d.bytes)) return;
    // Upstream stores it for a client that is registered but offline; the lab has no inbox.
    throw new MixnetRefusal(`no client ${destination} at this gateway`);
  }
}

