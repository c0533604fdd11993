// NymMessages: what a reassembled set of fragments holds (nymtech/nym b4046a89 common/nymsphinx/src/message.rs,
// anonymous-replies/src/{requests/mod.rs,requests/v2.rs,reply_surb.rs}).
//   padded message = message || 0x01 || zeros, to fill whole fragments
//   message = type (0 Plain, 1 Repliable, 2 Reply) || content
//   Repliable = sender tag (16) || content tag || content; the v2 contents (3 Data, 4 AdditionalSurbs,
//     5 Heartbeat) start with the reply SURBs: count (u16 BE) || hops per SURB (u8) || key rotation (u8) ||
//     SURBs, each = encryption key (16) || Sphinx SURB (header 348 || first hop 32 || one 16-byte seed per hop);
//     Data then has the message bytes.
//   Reply = tag (0 Data || message, 1 SurbRequest || recipient (96) || amount u32 BE)
// nym-client-wasm 1.4.1 with mix hops disabled sends v2 contents (its message handler forces the non-legacy
// SURB format); the v1 contents (tags 0–2, full payload keys) are refused by name. Pure: no I/O.
import { UNLINKED_FRAGMENT_HEADER_LEN } from './chunking.js';
import { HEADER_SIZE, NODE_ADDRESS_LENGTH, PAYLOAD_KEY_SEED_SIZE, parseSurb, type Surb } from './sphinx.js';
import { concatBytes } from '@noble/hashes/utils.js';

export const SENDER_TAG_SIZE = 16;
export const SURB_ENCRYPTION_KEY_SIZE = 16;
const RECIPIENT_LENGTH = 96;

export class NymMessageError extends Error {
  override readonly name = 'NymMessageError';
}

export interface ReplySurb {
  /** The key the reply's fragment is encrypted with. */
  encryptionKey: Uint8Array;
  surb: Surb;
  keyRotation: number;
}

export type RepliableContent =
  | { kind: 'data'; message: Uint8Array; replySurbs: ReplySurb[] }
  | { kind: 'additional-surbs'; replySurbs: ReplySurb[] }
  | { kind: 'heartbeat'; replySurbs: ReplySurb[] };

export type NymMessage =
  | { kind: 'plain'; message: Uint8Array }
  | { kind: 'repliable'; senderTag: Uint8Array; content: RepliableContent }
  | { kind: 'reply-data'; message: Uint8Array }
  | { kind: 'reply-surb-request'; recipient: Uint8Array; amount: number };

/** Pads a serialized message to whole fragments of `room` bytes (message.rs pad_to_full_packet_lengths). */
export function padMessage(message: Uint8Array, room: number): Uint8Array {
  const perFragment = room - UNLINKED_FRAGMENT_HEADER_LEN;
  const total = Math.ceil((message.length + 1) / perFragment) * perFragment;
  const out = new Uint8Array(total);
  out.set(message);
  out[message.length] = 1;
  return out;
}

/** Drops everything from the last 0x01 on (message.rs PaddedMessage::remove_padding). */
export function removeMessagePadding(padded: Uint8Array): Uint8Array {
  const marker = padded.lastIndexOf(1);
  if (marker < 0) throw new NymMessageError('the reassembled message has no 0x01 padding marker');
  return padded.subarray(0, marker);
}

function parseReplySurbsV2(b: Uint8Array): { replySurbs: ReplySurb[]; consumed: number } {
  if (b.length < 4) throw new NymMessageError('reply SURBs too short for their count, hops and key rotation');
  const count = (b[0] << 8) | b[1];
  const hops = b[2];
  const keyRotation = b[3];
  if (keyRotation > 2) throw new NymMessageError(`${keyRotation} is not a key rotation`);
  const surbSize = SURB_ENCRYPTION_KEY_SIZE + HEADER_SIZE + NODE_ADDRESS_LENGTH + hops * PAYLOAD_KEY_SEED_SIZE;
  if (count > 0 && hops === 0) throw new NymMessageError('reply SURBs of zero hops');
  if (b.length < 4 + count * surbSize) throw new NymMessageError(`${count} reply SURBs of ${hops} hops need ${count * surbSize} bytes, ${b.length - 4} are left`);
  const replySurbs: ReplySurb[] = [];
  let at = 4;
  for (let i = 0; i < count; i++, at += surbSize) {
    replySurbs.push({
      encryptionKey: b.slice(at, at + SURB_ENCRYPTION_KEY_SIZE),
      surb: parseSurb(b.subarray(at + SURB_ENCRYPTION_KEY_SIZE, at + surbSize)),
      keyRotation,
    });
  }
  return { replySurbs, consumed: at };
}

function parseRepliable(b: Uint8Array): NymMessage {
  if (b.length < SENDER_TAG_SIZE + 1) throw new NymMessageError('a repliable message too short for its sender tag');
  const senderTag = b.slice(0, SENDER_TAG_SIZE);
  const tag = b[SENDER_TAG_SIZE];
  const rest = b.subarray(SENDER_TAG_SIZE + 1);
  if (rest.length === 0) throw new NymMessageError('a repliable message without content');
  switch (tag) {
    case 0: case 1: case 2:
      throw new NymMessageError(`repliable content v1 (tag ${tag}, reply SURBs with full payload keys) is not read by the lab`);
    case 3: {
      const { replySurbs, consumed } = parseReplySurbsV2(rest);
      return { kind: 'repliable', senderTag, content: { kind: 'data', message: rest.slice(consumed), replySurbs } };
    }
    case 4:
      return { kind: 'repliable', senderTag, content: { kind: 'additional-surbs', replySurbs: parseReplySurbsV2(rest).replySurbs } };
    case 5:
      return { kind: 'repliable', senderTag, content: { kind: 'heartbeat', replySurbs: parseReplySurbsV2(rest).replySurbs } };
    default:
      throw new NymMessageError(`${tag} is not a repliable content tag`);
  }
}

export function parseNymMessage(b: Uint8Array): NymMessage {
  if (b.length === 0) throw new NymMessageError('an empty message');
  const body = b.subarray(1);
  switch (b[0]) {
    case 0:
      return { kind: 'plain', message: body.slice() };
    case 1:
      return parseRepliable(body);
    case 2: {
      if (body.length < 2) throw new NymMessageError('a reply without content');
      const content = body.subarray(1);
      if (body[0] === 0) return { kind: 'reply-data', message: content.slice() };
      if (body[0] === 1) {
        if (content.length !== RECIPIENT_LENGTH + 4) throw new NymMessageError('a SURB request of the wrong length');
        return { kind: 'reply-surb-request', recipient: content.slice(0, RECIPIENT_LENGTH), amount: new DataView(content.buffer, content.byteOffset + RECIPIENT_LENGTH, 4).getUint32(0) };
      }
      throw new NymMessageError(`${body[0]} is not a reply content tag`);
    }
    default:
      throw new NymMessageError(`${b[0]} is not a NymMessage type`);
  }
}

/** NymMessage::Reply(Data) serialized: 2 || 0 || message. */
export function encodeReplyData(message: Uint8Array): Uint8Array {
  return concatBytes(Uint8Array.of(2, 0), message);
}

/** A repliable Data v2 message serialized (what a sending client makes; the lab's tests use it). */
export function encodeRepliableData(senderTag: Uint8Array, message: Uint8Array, replySurbs: { encryptionKey: Uint8Array; surbBytes: Uint8Array }[], hops: number, keyRotation: number): Uint8Array {
  const head = Uint8Array.of(1, ...senderTag, 3, replySurbs.length >> 8, replySurbs.length & 0xff, hops, keyRotation);
  return concatBytes(head, ...replySurbs.flatMap((s) => [s.encryptionKey, s.surbBytes]), message);
}
