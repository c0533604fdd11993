// The lab gateway's mix side: what nym-node does with a MixPacket (nymtech/nym b4046a89 and daed9cd15bc0
// nym-node/src/node/mixnet/handler.rs handle_final_hop, shared/mod.rs forward_ack_packet, packet_forwarding
// with its routing filter; common/nymsphinx/framing/src/processing.rs). A packet reaches it two ways: from a
// client of this gateway (a websocket ForwardSphinx frame, or a lab service living here) with the next hop
// written beside it, or over a mix connection from another node (then this node is the next hop). A packet
// whose next hop is this gateway is unwrapped as the final hop: for a regular packet the SURB-ACK is split off;
// the message goes to the destination client (a websocket client of this gateway, or a lab service living on
// it); then the SURB-ACK is sent on to its first hop. A packet for another node is forwarded over TCP, but only
// to a node this gateway knows (upstream drops what its routing filter does not recognise). An ack packet (ack
// size) carries no SURB-ACK: its message is handed over as it is. With mix hops disabled every route is one
// gateway long: a client's packet for its own gateway's service is final here; one for another gateway's
// service is forwarded there and is final on arrival, and so are the SURB-ACKs and reply-SURB packets coming
// back. Forward hops (mixnodes) are refused. Every refusal is a MixnetRefusal with a message saying why;
// nothing here throws anything else for bad input.
import { base58 } from '@scure/base';
import type { FramedPacket } from './framing.js';
import { MixPacketError, parseMixPacket, type NodeAddress, type PacketSizeName } from './mix-packet.js';
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
  /** This gateway's mix address (as the topology lists it); a function when it is known only once listening. */
  mixAddress: NodeAddress | (() => NodeAddress);
  /** Pushes bytes to a connected websocket client (bs58 identity); false when it is not connected. */
  pushToClient: (identity: string, bytes: Uint8Array) => boolean;
  journal: string[];
  /** Sends a packet to another node's mix port (mix-forwarder.ts); without it nothing leaves this node. */
  forward?: (nextHop: NodeAddress, p: OutgoingPacket) => void;
  /** The routing filter: whether `nextHop` is a node of the network (the lab: the other lab gateways). */
  isKnownNode?: (nextHop: NodeAddress) => boolean;
}

/** A Sphinx packet on its way to a next hop. */
export interface OutgoingPacket {
  packet: Uint8Array;
  packetType: number;
  keyRotation: number;
  size: PacketSizeName;
}

export interface ProcessedPacket {
  /** How it reached this node: from one of its clients, over a mix connection, or split off here (a SURB-ACK). */
  via: 'client' | 'mix' | 'self';
  version: number;
  destination: string;
  kind: Delivery['kind'];
  /** Microseconds spent unwrapping the Sphinx packet. */
  unwrapMicros: number;
}

const sameAddress = (a: NodeAddress, b: NodeAddress) => a.host === b.host && a.port === b.port;

export class LabMixnetNode {
  private readonly local = new Map<string, LocalDestination>();
  /** Every packet processed as final hop, in order (tests read it). */
  readonly processed: ProcessedPacket[] = [];
  /** Every packet forwarded to another node: `host:port size` (tests read it). */
  readonly forwarded: string[] = [];

  constructor(private readonly o: LabMixnetNodeOptions) {}

  get mixAddress(): NodeAddress {
    return typeof this.o.mixAddress === 'function' ? this.o.mixAddress() : this.o.mixAddress;
  }

  addLocalDestination(d: LocalDestination): void {
    this.local.set(base58.encode(d.identity), d);
  }

  /**
   * MixPacket bytes from a client of this node (`frameVersion` 2: with the key rotation byte): processed here
   * when its next hop is this node, forwarded when it is a known node. Throws MixnetRefusal otherwise.
   */
  handleMixPacket(bytes: Uint8Array, frameVersion: 1 | 2): void {
    let packet;
    try {
      packet = parseMixPacket(bytes, frameVersion);
    } catch (e) {
      if (e instanceof MixPacketError) throw new MixnetRefusal(`malformed mix packet: ${e.message}`);
      throw e;
    }
    this.route(packet.nextHop, { packet: packet.packet, packetType: packet.packetType, keyRotation: packet.keyRotation, size: packet.size }, 'client');
  }

  /** A frame read from a mix connection: this node is its next hop. Throws MixnetRefusal. */
  handleFrame(frame: FramedPacket): void {
    this.processHere({ packet: frame.packet, packetType: frame.packetType, keyRotation: frame.keyRotation, size: frame.size }, 'mix');
  }

  private route(nextHop: NodeAddress, p: OutgoingPacket, via: ProcessedPacket['via']): void {
    if (sameAddress(nextHop, this.mixAddress)) return this.processHere(p, via);
    if (this.o.forward && this.o.isKnownNode?.(nextHop)) {
      this.o.forward(nextHop, p);
      this.forwarded.push(`${nextHop.host}:${nextHop.port} ${p.size}`);
      this.o.journal.push(`forwarded ${p.size} packet to ${nextHop.host}:${nextHop.port}`);
      return;
    }
    const here = this.mixAddress;
    throw new MixnetRefusal(`mix packet for ${nextHop.host}:${nextHop.port}, not this gateway (${here.host}:${here.port}) nor a node it knows; the lab forwards only to its own gateways`);
  }

  private processHere(p: OutgoingPacket, via: ProcessedPacket['via']): void {
    const started = process.hrtime.bigint();
    let hop;
    try {
      // The lab keeps one sphinx key; upstream picks the odd or even rotation's key by the rotation byte.
      hop = processFinalHop(p.packet, this.o.sphinxPrivateKey);
    } catch (e) {
      if (e instanceof SphinxError) throw new MixnetRefusal(`sphinx packet refused: ${e.message}`);
      throw e;
    }
    const unwrapMicros = Number(process.hrtime.bigint() - started) / 1000;
    const destination = base58.encode(hop.destination);
    const kind: Delivery['kind'] = p.size === 'ack' ? 'ack' : 'message';
    let message = hop.plaintext;
    let ack: { firstHop: NodeAddress; packet: OutgoingPacket } | undefined;
    if (kind === 'message') {
      try {
        const split = splitSurbAck(hop.plaintext);
        message = split.message;
        ack = { firstHop: split.ackFirstHop, packet: { packet: split.ackPacket, packetType: p.packetType, keyRotation: p.keyRotation, size: 'ack' } };
      } catch (e) {
        if (e instanceof NymPayloadError || e instanceof MixPacketError) throw new MixnetRefusal(`malformed SURB-ACK: ${e.message}`);
        throw e;
      }
    }
    this.processed.push({ via, version: hop.version, destination, kind, unwrapMicros });
    this.deliver(destination, { kind, bytes: message });
    this.o.journal.push(`final hop v${hop.version} ${kind} for ${destination} (${message.length} bytes, via ${via})`);
    // Upstream sends the ack on only once the message was pushed or stored: the client exists here. Its first
    // hop is the sender's own gateway: this one, or (for a packet that came from another gateway) that one.
    if (ack) this.route(ack.firstHop, ack.packet, 'self');
  }

  private deliver(destination: string, d: Delivery): void {
    const local = this.local.get(destination);
    if (local) return local.deliver(d);
    if (this.o.pushToClient(destination, d.bytes)) return;
    // Upstream stores it for a client that is registered but offline; the lab has no inbox.
    throw new MixnetRefusal(`no client ${destination} at this gateway`);
  }
}
