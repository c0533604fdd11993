// How nodes frame Sphinx packets on their TCP connections to each other (nymtech/nym common/nymsphinx/framing
// src/{codec,packet}.rs, params/src/{packet_version,packet_sizes,packet_types,key_rotation}.rs; identical at
// b4046a89 and daed9cd15bc0). Each frame is a small header and the packet, with no length prefix: the header's
// size tag says how many packet bytes follow.
//   legacy (version 7):  version (1) || size tag (1) || packet type (1)                 || packet
//   current (version 8): version (1) || size tag (1) || packet type (1) || key rotation || packet
// Size tags: 1 regular, 2 ack, 3 extended32, 4 extended8, 5 extended16 (6, 7: Outfox). Packet types: 0 Sphinx
// ("mix"), 2 Outfox. Key rotation: 0 unknown, 1 odd, 2 even. A version under 7 or over 8, an unknown tag,
// type or rotation is an error for the whole connection (the receiver drops it): there is no resynchronising
// a stream without lengths. nym-node writes the legacy form by default (config use_legacy_packet_encoding =
// true) and reads both. Outfox sizes are not known to the lab, so Outfox frames are refused by name.
// Pure: no I/O.
import { concatBytes } from '@noble/hashes/utils.js';
import { PACKET_SIZES, PACKET_TYPE_MIX, PACKET_TYPE_OUTFOX, packetSizeName, type PacketSizeName } from './mix-packet.js';

export class FramingError extends Error {
  override readonly name = 'FramingError';
}

export const LEGACY_PACKET_VERSION = 7;
export const CURRENT_PACKET_VERSION = 8;
const LEGACY_HEADER_SIZE = 3;
const CURRENT_HEADER_SIZE = 4;

/** PacketSize's u8 representation (params packet_sizes.rs). */
const SIZE_TAGS: Readonly<Record<PacketSizeName, number>> = { regular: 1, ack: 2, extended32: 3, extended8: 4, extended16: 5 };
const OUTFOX_SIZE_TAGS = new Set([6, 7]);

export interface FramedPacket {
  version: number;
  size: PacketSizeName;
  packetType: number;
  /** 0 (unknown: legacy frames always), 1 odd, 2 even. */
  keyRotation: number;
  packet: Uint8Array;
}

/** One frame for `packet` (its size picks the tag). `legacy` writes version 7, which drops the key rotation. */
export function encodeFrame(p: { packet: Uint8Array; packetType: number; keyRotation: number }, legacy: boolean): Uint8Array {
  const size = packetSizeName(p.packet.length);
  if (!size) throw new FramingError(`a ${p.packet.length}-byte packet is not of a known packet size`);
  if (p.packetType !== PACKET_TYPE_MIX) throw new FramingError(`packet type ${p.packetType}: the lab frames Sphinx packets only`);
  if (p.keyRotation < 0 || p.keyRotation > 2) throw new FramingError(`${p.keyRotation} is not a key rotation`);
  const header = legacy
    ? Uint8Array.of(LEGACY_PACKET_VERSION, SIZE_TAGS[size], p.packetType)
    : Uint8Array.of(CURRENT_PACKET_VERSION, SIZE_TAGS[size], p.packetType, p.keyRotation);
  return concatBytes(header, p.packet);
}

interface Header {
  version: number;
  size: PacketSizeName;
  packetType: number;
  keyRotation: number;
  headerSize: number;
}

/** The header at the start of `b`, undefined while too few bytes have arrived; checks in upstream's order. */
function decodeHeader(b: Uint8Array): Header | undefined {
  if (b.length < LEGACY_HEADER_SIZE) return undefined;
  const version = b[0]!;
  if (version < LEGACY_PACKET_VERSION) throw new FramingError(`packet version ${version} is below the first framed version ${LEGACY_PACKET_VERSION}`);
  if (version > CURRENT_PACKET_VERSION) throw new FramingError(`packet version ${version} is newer than ${CURRENT_PACKET_VERSION}, the newest known`);
  const legacy = version === LEGACY_PACKET_VERSION;
  if (!legacy && b.length < CURRENT_HEADER_SIZE) return undefined;
  const keyRotation = legacy ? 0 : b[3]!;
  if (keyRotation > 2) throw new FramingError(`${keyRotation} is not a key rotation`);
  const tag = b[1]!;
  if (OUTFOX_SIZE_TAGS.has(tag)) throw new FramingError(`size tag ${tag} is an Outfox size; the lab does not frame Outfox packets`);
  const size = (Object.keys(SIZE_TAGS) as PacketSizeName[]).find((k) => SIZE_TAGS[k] === tag);
  if (!size) throw new FramingError(`${tag} is not a packet size tag`);
  const packetType = b[2]!;
  if (packetType === PACKET_TYPE_OUTFOX) throw new FramingError('Outfox packets are not processed by the lab');
  if (packetType !== PACKET_TYPE_MIX) throw new FramingError(`${packetType} is not a packet type`);
  return { version, size, packetType, keyRotation, headerSize: legacy ? LEGACY_HEADER_SIZE : CURRENT_HEADER_SIZE };
}

/**
 * Reads frames from a byte stream in whatever pieces it arrives. `push` returns the frames completed by the
 * new bytes and, once the stream turned out malformed, the error: frames before the bad header are still
 * good (upstream hands them on, then fails the next read). After an error every push returns it again.
 */
export class FrameDecoder {
  private buffered: Uint8Array = new Uint8Array(0);
  private broken?: FramingError;

  push(chunk: Uint8Array): { frames: FramedPacket[]; error?: FramingError } {
    if (this.broken) return { frames: [], error: this.broken };
    this.buffered = this.buffered.length === 0 ? new Uint8Array(chunk) : concatBytes(this.buffered, chunk);
    const frames: FramedPacket[] = [];
    for (;;) {
      let header: Header | undefined;
      try {
        header = decodeHeader(this.buffered);
      } catch (e) {
        if (!(e instanceof FramingError)) throw e;
        this.broken = e;
        this.buffered = new Uint8Array(0);
        return { frames, error: e };
      }
      if (!header) break;
      const frameSize = header.headerSize + PACKET_SIZES[header.size];
      if (this.buffered.length < frameSize) break;
      frames.push({
        version: header.version, size: header.size, packetType: header.packetType, keyRotation: header.keyRotation,
        packet: this.buffered.slice(header.headerSize, frameSize),
      });
      this.buffered = this.buffered.subarray(frameSize);
    }
    return { frames };
  }

  /** Bytes held for a frame not yet complete. */
  get pending(): number {
    return this.buffered.length;
  }
}
