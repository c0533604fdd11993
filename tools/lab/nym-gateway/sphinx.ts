// Sphinx packets as the sphinx-packet crate 0.6.0 makes them (the version nymtech/nym b4046a89's Cargo.lock
// pins, `sphinx-packet = "=0.6.0"`), for the lab gateway: the final hop's processing (the only hop there is when
// a client disables mix hops) and the two things the lab must make itself: a one-hop packet (a SURB-ACK) and a
// packet from a reply SURB. Ported from nymtech/sphinx src/{constants,version}.rs,
// src/header/{mod,shared_secret,mac}.rs, src/header/routing/{mod,nodes,destination}.rs, src/payload/{mod,key}.rs,
// src/surb/mod.rs. Pure: no I/O.
//
// Packet = header (348) || payload. Header = alpha (X25519 point, 32) || integrity MAC (16) || beta (300).
// A node computes s = X25519(its sphinx key, alpha) and expands it with HKDF-SHA256 (empty salt, the crate's
// fixed Greek info string) into 288 bytes: stream cipher key (16) || MAC key (16) || payload key material (192;
// its first 16 bytes are the payload key seed) || blinding factor (32) || replay tag (32). The MAC is
// HMAC-SHA256(MAC key, beta) truncated to 16 bytes. beta, extended by 60 zero bytes, is XORed with
// AES-128-CTR(stream key, zero IV); the first byte is the routing flag (1 forward, 2 final). A final hop reads
// version (3 bytes: 0 || u16 big-endian) || destination (32) || SURB identifier (16) || random padding.
// The payload is LIONESS-decrypted with a 192-byte key: for version 258 the payload key material itself, for
// 259 HKDF-SHA256(seed, the crate's payload salt and info). Fully decrypted it is 16 zero bytes || plaintext ||
// 0x01 || zero padding.
import { createCipheriv, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { x25519 } from '@noble/curves/ed25519.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { lionessDecrypt, lionessEncrypt, LIONESS_KEY_SIZE } from './lioness.js';
import { concatBytes } from '@noble/hashes/utils.js';

/** k in the Sphinx paper (bytes). */
export const SECURITY_PARAMETER = 16;
export const MAX_PATH_LENGTH = 5;
export const HEADER_INTEGRITY_MAC_SIZE = 16;
export const NODE_ADDRESS_LENGTH = 32;
export const DESTINATION_ADDRESS_LENGTH = 32;
export const IDENTIFIER_LENGTH = 16;
export const VERSION_LENGTH = 3;
const FLAG_LENGTH = 1;
const DELAY_LENGTH = 8;
const NODE_META_INFO_SIZE = NODE_ADDRESS_LENGTH + FLAG_LENGTH + DELAY_LENGTH + VERSION_LENGTH;
const FINAL_NODE_META_INFO_LENGTH = FLAG_LENGTH + VERSION_LENGTH + DESTINATION_ADDRESS_LENGTH + IDENTIFIER_LENGTH;
/** beta: room for five hops' routing information and MACs. */
export const ENCRYPTED_ROUTING_INFO_SIZE = (NODE_META_INFO_SIZE + HEADER_INTEGRITY_MAC_SIZE) * MAX_PATH_LENGTH;
const STREAM_CIPHER_OUTPUT_LENGTH = (NODE_META_INFO_SIZE + HEADER_INTEGRITY_MAC_SIZE) * (MAX_PATH_LENGTH + 1);
export const HEADER_SIZE = 32 + HEADER_INTEGRITY_MAC_SIZE + ENCRYPTED_ROUTING_INFO_SIZE;
/** Leading zeros and the 0x01 padding marker. */
export const PAYLOAD_OVERHEAD_SIZE = SECURITY_PARAMETER + 1;
export const PAYLOAD_KEY_SEED_SIZE = 16;
export const REPLAY_TAG_SIZE = 32;

const STREAM_KEY_SIZE = 16;
const MAC_KEY_SIZE = 16;
const BLINDING_FACTOR_SIZE = 32;
const EXPANDED_SHARED_SECRET_LENGTH = STREAM_KEY_SIZE + MAC_KEY_SIZE + LIONESS_KEY_SIZE + BLINDING_FACTOR_SIZE + REPLAY_TAG_SIZE;
const EXPANDED_SHARED_SECRET_HKDF_INFO = new TextEncoder().encode('Dwste mou enan moxlo arketa makru kai ena upomoxlio gia na ton topothetisw kai tha kinisw thn gh.');
const PAYLOAD_KEY_HKDF_SALT = new TextEncoder().encode('sphinx-payload-key-V01-CS01-HKDF:SHA256-SALT');
const PAYLOAD_KEY_HKDF_INFO = new TextEncoder().encode('sphinx-payload-key-V01-CS01-HKDF:SHA256-INFO');

const FORWARD_HOP = 1;
const FINAL_HOP = 2;

/** The packet versions nym-client-wasm 1.4.1 can emit: 258 with `use_legacy_sphinx_format`, 259 otherwise. */
export const X25519_WITH_EXPLICIT_PAYLOAD_KEYS_VERSION = 258;
export const PAYLOAD_KEYS_SEEDS_VERSION = 259;

export class SphinxError extends Error {
  override readonly name = 'SphinxError';
}

export interface ExpandedSharedSecret {
  streamCipherKey: Uint8Array;
  headerIntegrityMacKey: Uint8Array;
  /** 192 bytes: the legacy (258) payload key; its first 16 bytes are the 259 payload key seed. */
  payloadKeyMaterial: Uint8Array;
  blindingFactor: Uint8Array;
  /** What upstream's nodes remember to refuse a replayed packet. */
  replayTag: Uint8Array;
}

export function expandSharedSecret(sharedSecret: Uint8Array): ExpandedSharedSecret {
  const okm = hkdf(sha256, sharedSecret, new Uint8Array(0), EXPANDED_SHARED_SECRET_HKDF_INFO, EXPANDED_SHARED_SECRET_LENGTH);
  let at = 0;
  const take = (n: number) => { const part = okm.slice(at, at + n); at += n; return part; };
  return {
    streamCipherKey: take(STREAM_KEY_SIZE),
    headerIntegrityMacKey: take(MAC_KEY_SIZE),
    payloadKeyMaterial: take(LIONESS_KEY_SIZE),
    blindingFactor: take(BLINDING_FACTOR_SIZE),
    replayTag: take(REPLAY_TAG_SIZE),
  };
}

/** The 192-byte LIONESS key a 259 packet derives from its 16-byte seed. */
export function derivePayloadKey(seed: Uint8Array): Uint8Array {
  if (seed.length !== PAYLOAD_KEY_SEED_SIZE) throw new SphinxError(`a payload key seed has ${PAYLOAD_KEY_SEED_SIZE} bytes, not ${seed.length}`);
  return hkdf(sha256, seed, PAYLOAD_KEY_HKDF_SALT, PAYLOAD_KEY_HKDF_INFO, LIONESS_KEY_SIZE);
}

function payloadKeyFor(version: number, expanded: ExpandedSharedSecret): Uint8Array {
  if (version === X25519_WITH_EXPLICIT_PAYLOAD_KEYS_VERSION) return expanded.payloadKeyMaterial;
  if (version === PAYLOAD_KEYS_SEEDS_VERSION) return derivePayloadKey(expanded.payloadKeyMaterial.subarray(0, PAYLOAD_KEY_SEED_SIZE));
  throw new SphinxError(`sphinx packet version ${version} is not one the lab processes (258 or 259)`);
}

function versionBytes(version: number): Uint8Array {
  return Uint8Array.of(0, (version >> 8) & 0xff, version & 0xff);
}

function keystream(key: Uint8Array, length: number): Buffer {
  return createCipheriv('aes-128-ctr', key, Buffer.alloc(16)).update(Buffer.alloc(length));
}

function integrityMac(key: Uint8Array, encryptedRoutingInfo: Uint8Array): Buffer {
  return createHmac('sha256', key).update(encryptedRoutingInfo).digest().subarray(0, HEADER_INTEGRITY_MAC_SIZE);
}

export interface FinalHop {
  version: number;
  /** The destination client's address bytes (its ed25519 identity for Nym clients). */
  destination: Uint8Array;
  /** The SURB identifier slot (unused by Nym: zeros). */
  surbIdentifier: Uint8Array;
  /** The payload's plaintext: leading zeros and padding removed. */
  plaintext: Uint8Array;
  replayTag: Uint8Array;
}

/**
 * Processes a whole Sphinx packet (header || payload) as its final hop. Throws SphinxError for a packet too
 * short, a header whose MAC does not verify (a wrong key included), a forward hop, an unknown version or a
 * payload that does not decrypt to the padded form.
 */
export function processFinalHop(packet: Uint8Array, sphinxPrivateKey: Uint8Array): FinalHop {
  if (packet.length < HEADER_SIZE + PAYLOAD_OVERHEAD_SIZE) throw new SphinxError(`a sphinx packet has at least ${HEADER_SIZE + PAYLOAD_OVERHEAD_SIZE} bytes, got ${packet.length}`);
  const alpha = packet.subarray(0, 32);
  const mac = packet.subarray(32, 32 + HEADER_INTEGRITY_MAC_SIZE);
  const beta = packet.subarray(32 + HEADER_INTEGRITY_MAC_SIZE, HEADER_SIZE);
  let shared: Uint8Array;
  try {
    shared = x25519.getSharedSecret(sphinxPrivateKey, alpha);
  } catch (e) {
    // noble refuses low-order points (an all-zero shared secret); so would any sane node
    throw new SphinxError(`the header's public element is unusable: ${(e as Error).message}`);
  }
  const expanded = expandSharedSecret(shared);
  if (!timingSafeEqual(integrityMac(expanded.headerIntegrityMacKey, beta), mac)) {
    throw new SphinxError('the sphinx header failed its integrity MAC (tampered, or not made for this key)');
  }
  const stream = keystream(expanded.streamCipherKey, STREAM_CIPHER_OUTPUT_LENGTH);
  const routing = new Uint8Array(FINAL_NODE_META_INFO_LENGTH);
  for (let i = 0; i < FINAL_NODE_META_INFO_LENGTH; i++) routing[i] = beta[i] ^ stream[i];
  const flag = routing[0];
  if (flag === FORWARD_HOP) throw new SphinxError('the packet is for a forward hop; the lab gateway only processes final hops');
  if (flag !== FINAL_HOP) throw new SphinxError(`unknown routing flag ${flag}`);
  const version = (routing[2] << 8) | routing[3];
  if (routing[1] !== 0) throw new SphinxError(`malformed version bytes ${Buffer.from(routing.subarray(1, 4)).toString('hex')}`);
  const payloadKey = payloadKeyFor(version, expanded);
  // A copy of its own: LIONESS works in place, and Buffer#slice would be a view of the caller's bytes.
  const payload = new Uint8Array(packet.subarray(HEADER_SIZE));
  lionessDecrypt(payloadKey, payload);
  return {
    version,
    destination: routing.slice(1 + VERSION_LENGTH, 1 + VERSION_LENGTH + DESTINATION_ADDRESS_LENGTH),
    surbIdentifier: routing.slice(1 + VERSION_LENGTH + DESTINATION_ADDRESS_LENGTH, FINAL_NODE_META_INFO_LENGTH),
    plaintext: recoverPlaintext(payload),
    replayTag: expanded.replayTag,
  };
}

/** Strips 16 leading zeros and the trailing 0x01 || zeros from a fully decrypted payload. */
export function recoverPlaintext(payload: Uint8Array): Uint8Array {
  if (payload.length < PAYLOAD_OVERHEAD_SIZE) throw new SphinxError('payload shorter than its overhead');
  for (let i = 0; i < SECURITY_PARAMETER; i++) {
    if (payload[i] !== 0) throw new SphinxError('the payload did not decrypt: its leading zero bytes are missing');
  }
  const marker = payload.lastIndexOf(1);
  if (marker < SECURITY_PARAMETER) throw new SphinxError('the payload has no 0x01 padding marker');
  for (let i = marker + 1; i < payload.length; i++) {
    if (payload[i] !== 0) throw new SphinxError('the payload has non-zero bytes after its padding marker');
  }
  return payload.slice(SECURITY_PARAMETER, marker);
}

/** 16 zeros || plaintext || 0x01 || zeros, `payloadSize` bytes in all. */
export function padPayload(plaintext: Uint8Array, payloadSize: number): Uint8Array {
  if (payloadSize - PAYLOAD_OVERHEAD_SIZE < plaintext.length) throw new SphinxError(`${plaintext.length} bytes do not fit a ${payloadSize}-byte payload`);
  const out = new Uint8Array(payloadSize);
  out.set(plaintext, SECURITY_PARAMETER);
  out[SECURITY_PARAMETER + plaintext.length] = 1;
  return out;
}

export interface OneHopPacketSpec {
  /** The only hop's x25519 sphinx public key. */
  nodePublicKey: Uint8Array;
  destination: Uint8Array;
  surbIdentifier?: Uint8Array;
  plaintext: Uint8Array;
  payloadSize: number;
  version?: number;
  /** For reproducible packets (tests): the sender's ephemeral x25519 secret and the routing padding. */
  ephemeralSecret?: Uint8Array;
  routingPadding?: Uint8Array;
}

/**
 * A Sphinx packet whose first hop is its final hop, as the crate builds one for a one-node route (no filler;
 * random padding after the destination, against Kuhn et al.'s attack, as the crate does).
 */
export function buildOneHopPacket(s: OneHopPacketSpec): Uint8Array {
  const version = s.version ?? PAYLOAD_KEYS_SEEDS_VERSION;
  if (s.destination.length !== DESTINATION_ADDRESS_LENGTH) throw new SphinxError(`a destination has ${DESTINATION_ADDRESS_LENGTH} bytes`);
  const surbIdentifier = s.surbIdentifier ?? new Uint8Array(IDENTIFIER_LENGTH);
  if (surbIdentifier.length !== IDENTIFIER_LENGTH) throw new SphinxError(`a SURB identifier has ${IDENTIFIER_LENGTH} bytes`);
  const secret = s.ephemeralSecret ?? randomBytes(32);
  const alpha = x25519.getPublicKey(secret);
  const expanded = expandSharedSecret(x25519.getSharedSecret(secret, s.nodePublicKey));
  const paddingLength = ENCRYPTED_ROUTING_INFO_SIZE - FINAL_NODE_META_INFO_LENGTH;
  const padding = s.routingPadding ?? randomBytes(paddingLength);
  if (padding.length !== paddingLength) throw new SphinxError(`routing padding has ${paddingLength} bytes`);
  const routing = new Uint8Array(ENCRYPTED_ROUTING_INFO_SIZE);
  routing[0] = FINAL_HOP;
  routing.set(versionBytes(version), 1);
  routing.set(s.destination, 1 + VERSION_LENGTH);
  routing.set(surbIdentifier, 1 + VERSION_LENGTH + DESTINATION_ADDRESS_LENGTH);
  routing.set(padding, FINAL_NODE_META_INFO_LENGTH);
  const stream = keystream(expanded.streamCipherKey, ENCRYPTED_ROUTING_INFO_SIZE);
  for (let i = 0; i < routing.length; i++) routing[i] ^= stream[i];
  const payload = padPayload(s.plaintext, s.payloadSize);
  lionessEncrypt(payloadKeyFor(version, expanded), payload);
  const packet = new Uint8Array(HEADER_SIZE + payload.length);
  packet.set(alpha, 0);
  packet.set(integrityMac(expanded.headerIntegrityMacKey, routing), 32);
  packet.set(routing, 32 + HEADER_INTEGRITY_MAC_SIZE);
  packet.set(payload, HEADER_SIZE);
  return packet;
}

/** A SURB (src/surb/mod.rs): a ready header, the first hop's address, and the payload keys (or seeds) per hop. */
export interface Surb {
  header: Uint8Array;
  /** NodeAddressBytes: 32 bytes (Nym: a zero-padded NymNodeRoutingAddress). */
  firstHop: Uint8Array;
  /** One entry per hop: a 16-byte seed (259) or a 192-byte key (258 and older). */
  payloadKeyMaterial: Uint8Array[];
}

/** SURB bytes = header (348) || first hop (32) || seeds (16 each) or keys (192 each). */
export function parseSurb(bytes: Uint8Array): Surb {
  if (bytes.length < HEADER_SIZE + NODE_ADDRESS_LENGTH + PAYLOAD_KEY_SEED_SIZE) throw new SphinxError(`a SURB has at least ${HEADER_SIZE + NODE_ADDRESS_LENGTH + PAYLOAD_KEY_SEED_SIZE} bytes, got ${bytes.length}`);
  const material = bytes.subarray(HEADER_SIZE + NODE_ADDRESS_LENGTH);
  // The crate tells seeds from keys by length: five 16-byte seeds are still shorter than one 192-byte key.
  const unit = material.length < LIONESS_KEY_SIZE ? PAYLOAD_KEY_SEED_SIZE : LIONESS_KEY_SIZE;
  if (material.length % unit !== 0) throw new SphinxError(`SURB payload key material of ${material.length} bytes is not whole ${unit}-byte entries`);
  const payloadKeyMaterial: Uint8Array[] = [];
  for (let at = 0; at < material.length; at += unit) payloadKeyMaterial.push(material.slice(at, at + unit));
  return { header: bytes.slice(0, HEADER_SIZE), firstHop: bytes.slice(HEADER_SIZE, HEADER_SIZE + NODE_ADDRESS_LENGTH), payloadKeyMaterial };
}

export function surbToBytes(surb: Surb): Uint8Array {
  return concatBytes(surb.header, surb.firstHop, ...surb.payloadKeyMaterial);
}

/**
 * The packet a reply SURB makes of `plaintext` (the crate's use_surb): the SURB's header with the padded
 * payload LIONESS-encrypted once per hop, the last hop's layer first, so that each hop removes its own.
 */
export function useSurb(surb: Surb, plaintext: Uint8Array, payloadSize: number): Uint8Array {
  const payload = padPayload(plaintext, payloadSize);
  for (const material of [...surb.payloadKeyMaterial].reverse()) {
    lionessEncrypt(material.length === PAYLOAD_KEY_SEED_SIZE ? derivePayloadKey(material) : material, payload);
  }
  return concatBytes(surb.header, payload);
}
