// MixPackets: what a client hands its gateway in ForwardSphinx(V2) frames and what nodes pass on, and the
// node addresses inside them (nymtech/nym b4046a89 common/nymsphinx/forwarding/src/packet.rs,
// addressing/src/nodes.rs, params/src/{packet_sizes,packet_types,key_rotation}.rs):
//   v1: packet type (1) || next hop || packet
//   v2: packet type (1) || key rotation (1: 0 unknown, 1 odd, 2 even) || next hop || packet
//   next hop (NymNodeRoutingAddress): 4 || port (u16 BE) || IPv4 (4)  or  6 || port || IPv6 (16)
// The packet's length must be one of the known packet sizes (Sphinx header 348 + payload overhead 17 + the
// plaintext size). Pure: no I/O.
import { isIPv4 } from 'node:net';
import { HEADER_SIZE, NODE_ADDRESS_LENGTH, PAYLOAD_OVERHEAD_SIZE } from './sphinx.js';
import { concatBytes } from '@noble/hashes/utils.js';

export class MixPacketError extends Error {
  override readonly name = 'MixPacketError';
}

export const PACKET_TYPE_MIX = 0;
export const PACKET_TYPE_OUTFOX = 2;

/** An ack's plaintext: an AES-128-CTR IV (16) and the encrypted 5-byte fragment identifier. */
const ACK_PLAINTEXT_SIZE = 16 + 5;

/** Sphinx packet sizes by name (params/src/packet_sizes.rs). */
export const PACKET_SIZES = {
  regular: 2 * 1024 + HEADER_SIZE + PAYLOAD_OVERHEAD_SIZE,
  ack: ACK_PLAINTEXT_SIZE + HEADER_SIZE + PAYLOAD_OVERHEAD_SIZE,
  extended8: 8 * 1024 + HEADER_SIZE + PAYLOAD_OVERHEAD_SIZE,
  extended16: 16 * 1024 + HEADER_SIZE + PAYLOAD_OVERHEAD_SIZE,
  extended32: 32 * 1024 + HEADER_SIZE + PAYLOAD_OVERHEAD_SIZE,
} as const;
export type PacketSizeName = keyof typeof PACKET_SIZES;

export function packetSizeName(length: number): PacketSizeName | undefined {
  return (Object.keys(PACKET_SIZES) as PacketSizeName[]).find((k) => PACKET_SIZES[k] === length);
}

/** The plaintext a packet of that size carries (size − header − payload overhead). */
export function plaintextSize(name: PacketSizeName): number {
  return PACKET_SIZES[name] - HEADER_SIZE - PAYLOAD_OVERHEAD_SIZE;
}

export interface NodeAddress {
  host: string;
  port: number;
}

/** The IPv4 form's length; `try_from_bytes` needs no more and ignores zero padding after it. */
const IPV4_ADDRESS_BYTES = 7;
const IPV6_ADDRESS_BYTES = 19;

export function encodeNodeAddress(a: NodeAddress): Uint8Array {
  if (isIPv4(a.host)) {
    const out = new Uint8Array(IPV4_ADDRESS_BYTES);
    out[0] = 4;
    out[1] = a.port >> 8;
    out[2] = a.port & 0xff;
    out.set(a.host.split('.').map(Number), 3);
    return out;
  }
  throw new MixPacketError(`the lab encodes IPv4 node addresses only, not ${a.host}`);
}

/** Decodes a node address and says how many bytes it used. */
export function decodeNodeAddress(b: Uint8Array): { address: NodeAddress; length: number } {
  if (b.length === 0) throw new MixPacketError('no node address bytes');
  const port = () => (b[1] << 8) | b[2];
  if (b[0] === 4) {
    if (b.length < IPV4_ADDRESS_BYTES) throw new MixPacketError('an IPv4 node address needs 7 bytes');
    return { address: { host: [...b.subarray(3, 7)].join('.'), port: port() }, length: IPV4_ADDRESS_BYTES };
  }
  if (b[0] === 6) {
    if (b.length < IPV6_ADDRESS_BYTES) throw new MixPacketError('an IPv6 node address needs 19 bytes');
    const groups: string[] = [];
    for (let i = 3; i < 19; i += 2) groups.push(((b[i] << 8) | b[i + 1]).toString(16));
    return { address: { host: groups.join(':'), port: port() }, length: IPV6_ADDRESS_BYTES };
  }
  throw new MixPacketError(`${b[0]} is not a node address IP version (4 or 6)`);
}

/** The 32-byte NodeAddressBytes a Sphinx header carries: the address zero-padded. */
export function nodeAddressBytes(a: NodeAddress): Uint8Array {
  const out = new Uint8Array(NODE_ADDRESS_LENGTH);
  out.set(encodeNodeAddress(a));
  return out;
}

export interface MixPacket {
  packetType: number;
  /** 0 (unknown, v1 packets), 1 (odd rotation), 2 (even). */
  keyRotation: number;
  nextHop: NodeAddress;
  /** The Sphinx packet. */
  packet: Uint8Array;
  size: PacketSizeName;
}

export function parseMixPacket(b: Uint8Array, frameVersion: 1 | 2): MixPacket {
  if (b.length < frameVersion + 1) throw new MixPacketError('a MixPacket too short for its header');
  const packetType = b[0];
  if (packetType === PACKET_TYPE_OUTFOX) throw new MixPacketError('Outfox packets are not processed by the lab');
  if (packetType !== PACKET_TYPE_MIX) throw new MixPacketError(`${packetType} is not a packet type`);
  const keyRotation = frameVersion === 2 ? b[1] : 0;
  if (keyRotation > 2) throw new MixPacketError(`${keyRotation} is not a key rotation`);
  const { address, length } = decodeNodeAddress(b.subarray(frameVersion));
  const packet = b.slice(frameVersion + length);
  const size = packetSizeName(packet.length);
  if (!size) throw new MixPacketError(`a ${packet.length}-byte packet is not of a known packet size`);
  return { packetType, keyRotation, nextHop: address, packet, size };
}

export function encodeMixPacketV2(p: { keyRotation: number; nextHop: NodeAddress; packet: Uint8Array }): Uint8Array {
  return concatBytes(Uint8Array.of(PACKET_TYPE_MIX, p.keyRotation), encodeNodeAddress(p.nextHop), p.packet);
}
