// What Nym puts inside a Sphinx payload's plaintext (nymtech/nym b4046a89 common/nymsphinx/src/preparer/
// {mod,payload}.rs, src/receiver.rs, acknowledgements/src/{surb_ack,identifier}.rs, params/src/lib.rs,
// common/crypto/src/shared_key.rs):
//   SURB-ACK (405) || variant data || the fragment encrypted with AES-128-CTR under a zero IV
// SURB-ACK = the ack's first hop, zero-padded to 19 bytes || an ack Sphinx packet (386 bytes) whose payload is
//   IV (16) || AES-128-CTR(ack key, IV, fragment identifier (5)); the final gateway sends it on unopened.
// Regular (Plain or Repliable) messages: variant data = an ephemeral x25519 public key (32); the fragment key
//   is HKDF over BLAKE3 (no salt, no info) of X25519(ephemeral, recipient's encryption key), 16 bytes.
// Replies (sent with a reply SURB): variant data = BLAKE3(SURB encryption key) (32), so the SURB's creator
//   finds the key; the fragment key is that 16-byte SURB encryption key itself.
// Pure: no I/O.
import { createCipheriv, randomBytes } from 'node:crypto';
import { x25519 } from '@noble/curves/ed25519.js';
import { blake3 } from '@noble/hashes/blake3.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { decodeNodeAddress, encodeNodeAddress, PACKET_SIZES, plaintextSize, type NodeAddress } from './mix-packet.js';
import { buildOneHopPacket, HEADER_SIZE } from './sphinx.js';
import { concatBytes } from '@noble/hashes/utils.js';

/** The longest node address (IPv6 with its prefix): SURB-ACKs pad their first hop to it. */
export const MAX_NODE_ADDRESS_UNPADDED_LEN = 19;
export const SURB_ACK_SIZE = MAX_NODE_ADDRESS_UNPADDED_LEN + PACKET_SIZES.ack;
export const PACKET_KEY_SIZE = 16;
export const FRAGMENT_IDENTIFIER_SIZE = 5;
const ACK_IV_SIZE = 16;
const X25519_KEY_SIZE = 32;
export const SURB_KEY_DIGEST_SIZE = 32;

export class NymPayloadError extends Error {
  override readonly name = 'NymPayloadError';
}

function aes128Ctr(key: Uint8Array, iv: Uint8Array, data: Uint8Array): Uint8Array {
  if (key.length !== PACKET_KEY_SIZE) throw new NymPayloadError(`an AES-128 key has 16 bytes, not ${key.length}`);
  return new Uint8Array(createCipheriv('aes-128-ctr', key, iv).update(data));
}
const ZERO_IV = new Uint8Array(16);

export interface SplitPayload {
  ackFirstHop: NodeAddress;
  /** The ack's Sphinx packet, to be sent to `ackFirstHop`. */
  ackPacket: Uint8Array;
  /** Variant data || encrypted fragment: what the gateway pushes to the destination client. */
  message: Uint8Array;
}

/** Splits a regular-size packet's plaintext into its SURB-ACK and the message (processing.rs split_into_ack_and_message). */
export function splitSurbAck(plaintext: Uint8Array): SplitPayload {
  if (plaintext.length < SURB_ACK_SIZE) throw new NymPayloadError(`the plaintext (${plaintext.length} bytes) is shorter than a SURB-ACK (${SURB_ACK_SIZE})`);
  const { address } = decodeNodeAddress(plaintext.subarray(0, MAX_NODE_ADDRESS_UNPADDED_LEN));
  return {
    ackFirstHop: address,
    ackPacket: plaintext.slice(MAX_NODE_ADDRESS_UNPADDED_LEN, SURB_ACK_SIZE),
    message: plaintext.slice(SURB_ACK_SIZE),
  };
}

export interface SurbAckSpec {
  /** Where the ack goes first (a gateway's mix address) and that node's sphinx key. */
  firstHop: NodeAddress;
  firstHopSphinxKey: Uint8Array;
  /** The client that waits for the ack: its identity key bytes. */
  destination: Uint8Array;
  ackKey: Uint8Array;
  fragmentIdentifier: Uint8Array;
  /** For reproducible bytes (tests). */
  iv?: Uint8Array;
  ephemeralSecret?: Uint8Array;
  routingPadding?: Uint8Array;
}

/** A SURB-ACK as a one-hop route builds it (surb_ack.rs construct with an empty route, prepare_for_sending). */
export function buildSurbAck(s: SurbAckSpec): Uint8Array {
  if (s.fragmentIdentifier.length !== FRAGMENT_IDENTIFIER_SIZE) throw new NymPayloadError('a fragment identifier has 5 bytes');
  const iv = s.iv ?? randomBytes(ACK_IV_SIZE);
  const ackPlaintext = concatBytes(iv, aes128Ctr(s.ackKey, iv, s.fragmentIdentifier));
  const packet = buildOneHopPacket({
    nodePublicKey: s.firstHopSphinxKey,
    destination: s.destination,
    plaintext: ackPlaintext,
    payloadSize: PACKET_SIZES.ack - HEADER_SIZE,
    ephemeralSecret: s.ephemeralSecret,
    routingPadding: s.routingPadding,
  });
  const out = new Uint8Array(SURB_ACK_SIZE);
  out.set(encodeNodeAddress(s.firstHop));
  out.set(packet, MAX_NODE_ADDRESS_UNPADDED_LEN);
  return out;
}

/** What an ack's final hop delivers: the fragment identifier it acknowledges (identifier.rs recover_identifier). */
export function recoverAckIdentifier(ackKey: Uint8Array, ackMessage: Uint8Array): Uint8Array {
  if (ackMessage.length < ACK_IV_SIZE + FRAGMENT_IDENTIFIER_SIZE) throw new NymPayloadError('an ack too short for its IV and identifier');
  return aes128Ctr(ackKey, ackMessage.subarray(0, ACK_IV_SIZE), ackMessage.subarray(ACK_IV_SIZE, ACK_IV_SIZE + FRAGMENT_IDENTIFIER_SIZE));
}

/** The fragment key of a regular message: HKDF-BLAKE3(X25519(ours, theirs)) → 16 bytes. */
function packetKey(privateKey: Uint8Array, publicKey: Uint8Array): Uint8Array {
  return hkdf(blake3, x25519.getSharedSecret(privateKey, publicKey), undefined, undefined, PACKET_KEY_SIZE);
}

/** Recovers the fragment of a regular message (receiver.rs recover_plaintext_from_regular_packet). */
export function decryptRegularMessage(message: Uint8Array, recipientEncryptionPrivate: Uint8Array): Uint8Array {
  if (message.length < X25519_KEY_SIZE) throw new NymPayloadError('a regular message too short for its ephemeral key');
  let key: Uint8Array;
  try {
    key = packetKey(recipientEncryptionPrivate, message.subarray(0, X25519_KEY_SIZE));
  } catch (e) {
    throw new NymPayloadError(`the message's ephemeral key is unusable: ${(e as Error).message}`);
  }
  return aes128Ctr(key, ZERO_IV, message.subarray(X25519_KEY_SIZE));
}

/** Encrypts a fragment for a recipient as a sender's preparer does (build_regular). */
export function encryptRegularMessage(fragment: Uint8Array, recipientEncryptionPublic: Uint8Array, ephemeralSecret: Uint8Array = randomBytes(32)): Uint8Array {
  const key = packetKey(ephemeralSecret, recipientEncryptionPublic);
  return concatBytes(x25519.getPublicKey(ephemeralSecret), aes128Ctr(key, ZERO_IV, fragment));
}

export function surbKeyDigest(surbKey: Uint8Array): Uint8Array {
  return blake3(surbKey);
}

/** A reply's message: BLAKE3(SURB key) || AES-128-CTR(SURB key, zero IV, fragment) (build_reply). */
export function encryptReplyMessage(fragment: Uint8Array, surbKey: Uint8Array): Uint8Array {
  return concatBytes(surbKeyDigest(surbKey), aes128Ctr(surbKey, ZERO_IV, fragment));
}

/** The SURB creator's side: the key is found by its digest, then the fragment decrypted. */
export function decryptReplyMessage(message: Uint8Array, keysByDigest: (digestHex: string) => Uint8Array | undefined): Uint8Array {
  if (message.length < SURB_KEY_DIGEST_SIZE) throw new NymPayloadError('a reply too short for its key digest');
  const key = keysByDigest(Buffer.from(message.subarray(0, SURB_KEY_DIGEST_SIZE)).toString('hex'));
  if (!key) throw new NymPayloadError('no reply key has that digest');
  return aes128Ctr(key, ZERO_IV, message.subarray(SURB_KEY_DIGEST_SIZE));
}

/** How much of a regular packet's plaintext is left for the (encrypted) fragment. */
export function fragmentRoomInRegularPacket(): number {
  return plaintextSize('regular') - SURB_ACK_SIZE - X25519_KEY_SIZE;
}

/** The same for a reply. */
export function fragmentRoomInReplyPacket(): number {
  return plaintextSize('regular') - SURB_ACK_SIZE - SURB_KEY_DIGEST_SIZE;
}
