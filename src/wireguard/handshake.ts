// Noise_IKpsk2 as WireGuard uses it (whitepaper §5.4.2–5.4.5, wireguard-go noise-protocol.go):
// one Handshake per peer holds the chaining key and hash while a handshake is in flight.
// Pure: time, indices, timestamps and (for tests) ephemeral keys are passed in.
import { randomBytes } from 'node:crypto';
import {
  AEAD_TAG_SIZE, HANDSHAKE_INITIATION_RATE, KEY_SIZE, MESSAGE_INITIATION_SIZE, MESSAGE_INITIATION_TYPE,
  MESSAGE_RESPONSE_SIZE, MESSAGE_RESPONSE_TYPE, NOISE_CONSTRUCTION, TAI64N_SIZE, WG_IDENTIFIER,
} from './constants.js';
import type { CryptoBackend } from './crypto/backend.js';
import { kdf1, kdf2, kdf3 } from './kdf.js';
import { clampPrivateKey, keysEqual } from './keys.js';
import { INITIATION, RESPONSE, messageType, readU32, writeU32 } from './messages.js';
import { tai64nAfter } from './tai64n.js';

export const enum HandshakeState {
  Zeroed = 0,
  InitiationCreated = 1,
  InitiationConsumed = 2,
  ResponseCreated = 3,
  ResponseConsumed = 4,
}

export interface LocalIdentity {
  readonly privateKey: Uint8Array;
  readonly publicKey: Uint8Array;
}

export interface SessionKeys {
  sendKey: Uint8Array;
  receiveKey: Uint8Array;
  isInitiator: boolean;
  localIndex: number;
  remoteIndex: number;
}

/** What the responder learns from an initiation before it knows which peer sent it. */
export interface OpenedInitiation {
  peerPublicKey: Uint8Array;
  sender: number;
  ephemeral: Uint8Array;
  hash: Uint8Array;
  chainKey: Uint8Array;
  /** The initiation itself, kept to decrypt the timestamp once the peer is known. */
  message: Uint8Array;
}

const ZERO_NONCE = new Uint8Array(12);
const EMPTY = new Uint8Array(0);
const ZERO_KEY = new Uint8Array(KEY_SIZE);
const initialCache = new WeakMap<CryptoBackend, { chainKey: Uint8Array; hash: Uint8Array }>();

/** Initial chaining key = HASH(construction); initial hash = HASH(chaining key ‖ identifier). */
export function initialState(c: CryptoBackend): { chainKey: Uint8Array; hash: Uint8Array } {
  let s = initialCache.get(c);
  if (s === undefined) {
    const chainKey = c.hash(new TextEncoder().encode(NOISE_CONSTRUCTION));
    s = { chainKey, hash: c.hash(chainKey, new TextEncoder().encode(WG_IDENTIFIER)) };
    initialCache.set(c, s);
  }
  return s;
}

function newEphemeral(): Uint8Array {
  return clampPrivateKey(new Uint8Array(randomBytes(KEY_SIZE)));
}

/**
 * Responder, first half: decrypts the initiator's static key with our static key. Needs no peer
 * state, so the device can look the peer up by the returned public key.
 */
export function openInitiation(c: CryptoBackend, local: LocalIdentity, msg: Uint8Array): OpenedInitiation | null {
  if (messageType(msg) !== MESSAGE_INITIATION_TYPE) return null;
  const init = initialState(c);
  const ephemeral = msg.subarray(INITIATION.ephemeral, INITIATION.static);
  let hash = c.hash(c.hash(init.hash, local.publicKey), ephemeral);
  let chainKey = kdf1(c, init.chainKey, ephemeral);
  const ss = c.x25519(local.privateKey, ephemeral);
  if (ss === null) return null;
  const [ck, key] = kdf2(c, chainKey, ss);
  chainKey = ck;
  const sealedStatic = msg.subarray(INITIATION.static, INITIATION.timestamp);
  const peerPublicKey = c.aeadOpen(key, ZERO_NONCE, sealedStatic, hash);
  if (peerPublicKey === null) return null;
  hash = c.hash(hash, sealedStatic);
  return { peerPublicKey, sender: readU32(msg, INITIATION.sender), ephemeral: ephemeral.slice(), hash, chainKey, message: msg };
}

export class Handshake {
  state = HandshakeState.Zeroed;
  localIndex = 0;
  remoteIndex = 0;
  lastTimestamp: Uint8Array = new Uint8Array(TAI64N_SIZE);
  lastInitiationConsumption = -Infinity;
  lastSentHandshake = -Infinity;
  private hash: Uint8Array = EMPTY;
  private chainKey: Uint8Array = EMPTY;
  private localEphemeral: Uint8Array = EMPTY;
  private remoteEphemeral: Uint8Array = EMPTY;
  /** DH(static, static), fixed for the life of the peer; null for a low-order peer key. */
  private readonly staticStatic: Uint8Array | null;
  readonly presharedKey: Uint8Array;

  constructor(
    private readonly crypto: CryptoBackend,
    private readonly local: LocalIdentity,
    readonly remoteStatic: Uint8Array,
    presharedKey?: Uint8Array,
  ) {
    this.staticStatic = crypto.x25519(local.privateKey, remoteStatic);
    this.presharedKey = presharedKey ?? ZERO_KEY;
  }

  private mixHash(data: Uint8Array): void {
    this.hash = this.crypto.hash(this.hash, data);
  }
  private mixKey(data: Uint8Array): void {
    this.chainKey = kdf1(this.crypto, this.chainKey, data);
  }

  /** Initiator: builds a 148-byte initiation with zero MACs (the CookieGenerator adds them). */
  createInitiation(localIndex: number, timestamp: Uint8Array, ephemeralPrivate = newEphemeral()): Uint8Array | null {
    const c = this.crypto;
    if (this.staticStatic === null) return null;
    const init = initialState(c);
    this.hash = init.hash;
    this.chainKey = init.chainKey;
    this.localEphemeral = ephemeralPrivate;
    this.mixHash(this.remoteStatic);
    const msg = new Uint8Array(MESSAGE_INITIATION_SIZE);
    msg[0] = MESSAGE_INITIATION_TYPE;
    writeU32(msg, INITIATION.sender, localIndex);
    const ephemeralPublic = c.x25519Public(ephemeralPrivate);
    msg.set(ephemeralPublic, INITIATION.ephemeral);
    this.mixKey(ephemeralPublic);
    this.mixHash(ephemeralPublic);
    const ss = c.x25519(ephemeralPrivate, this.remoteStatic);
    if (ss === null) return null;
    let key: Uint8Array;
    [this.chainKey, key] = kdf2(c, this.chainKey, ss);
    const sealedStatic = c.aeadSeal(key, ZERO_NONCE, this.local.publicKey, this.hash);
    msg.set(sealedStatic, INITIATION.static);
    this.mixHash(sealedStatic);
    [this.chainKey, key] = kdf2(c, this.chainKey, this.staticStatic);
    const sealedTimestamp = c.aeadSeal(key, ZERO_NONCE, timestamp, this.hash);
    msg.set(sealedTimestamp, INITIATION.timestamp);
    this.mixHash(sealedTimestamp);
    this.localIndex = localIndex;
    this.state = HandshakeState.InitiationCreated;
    return msg;
  }

  /**
   * Responder, second half: decrypts the timestamp with the static-static secret and rejects
   * replays (timestamp not newer) and floods (less than 20 ms since the last accepted one).
   */
  consumeInitiation(opened: OpenedInitiation, now: number): boolean {
    const c = this.crypto;
    if (this.staticStatic === null || !keysEqual(opened.peerPublicKey, this.remoteStatic)) return false;
    const [chainKey, key] = kdf2(c, opened.chainKey, this.staticStatic);
    const sealedTimestamp = opened.message.subarray(INITIATION.timestamp, INITIATION.mac1);
    const timestamp = c.aeadOpen(key, ZERO_NONCE, sealedTimestamp, opened.hash);
    if (timestamp === null) return false;
    if (!tai64nAfter(timestamp, this.lastTimestamp)) return false;
    if (now - this.lastInitiationConsumption <= HANDSHAKE_INITIATION_RATE) return false;
    this.hash = c.hash(opened.hash, sealedTimestamp);
    this.chainKey = chainKey;
    this.remoteIndex = opened.sender;
    this.remoteEphemeral = opened.ephemeral;
    this.lastTimestamp = timestamp;
    this.lastInitiationConsumption = now;
    this.state = HandshakeState.InitiationConsumed;
    return true;
  }

  /** Responder: builds a 92-byte response with zero MACs. */
  createResponse(localIndex: number, ephemeralPrivate = newEphemeral()): Uint8Array | null {
    const c = this.crypto;
    if (this.state !== HandshakeState.InitiationConsumed) return null;
    const msg = new Uint8Array(MESSAGE_RESPONSE_SIZE);
    msg[0] = MESSAGE_RESPONSE_TYPE;
    writeU32(msg, RESPONSE.sender, localIndex);
    writeU32(msg, RESPONSE.receiver, this.remoteIndex);
    this.localEphemeral = ephemeralPrivate;
    const ephemeralPublic = c.x25519Public(ephemeralPrivate);
    msg.set(ephemeralPublic, RESPONSE.ephemeral);
    this.mixHash(ephemeralPublic);
    this.mixKey(ephemeralPublic);
    const ee = c.x25519(ephemeralPrivate, this.remoteEphemeral);
    const es = c.x25519(ephemeralPrivate, this.remoteStatic);
    if (ee === null || es === null) return null;
    this.mixKey(ee);
    this.mixKey(es);
    const [ck, tau, key] = kdf3(c, this.chainKey, this.presharedKey);
    this.chainKey = ck;
    this.mixHash(tau);
    const sealedNothing = c.aeadSeal(key, ZERO_NONCE, EMPTY, this.hash);
    msg.set(sealedNothing, RESPONSE.empty);
    this.mixHash(sealedNothing);
    this.localIndex = localIndex;
    this.state = HandshakeState.ResponseCreated;
    return msg;
  }

  /** Initiator: checks a response to our initiation; on failure nothing changes. */
  consumeResponse(msg: Uint8Array): boolean {
    const c = this.crypto;
    if (messageType(msg) !== MESSAGE_RESPONSE_TYPE || this.state !== HandshakeState.InitiationCreated) return false;
    if (readU32(msg, RESPONSE.receiver) !== this.localIndex) return false;
    const ephemeral = msg.subarray(RESPONSE.ephemeral, RESPONSE.empty);
    let hash = c.hash(this.hash, ephemeral);
    let chainKey = kdf1(c, this.chainKey, ephemeral);
    const ee = c.x25519(this.localEphemeral, ephemeral);
    const se = c.x25519(this.local.privateKey, ephemeral);
    if (ee === null || se === null) return false;
    chainKey = kdf1(c, chainKey, ee);
    chainKey = kdf1(c, chainKey, se);
    const [ck, tau, key] = kdf3(c, chainKey, this.presharedKey);
    hash = c.hash(hash, tau);
    const sealedNothing = msg.subarray(RESPONSE.empty, RESPONSE.empty + AEAD_TAG_SIZE);
    if (c.aeadOpen(key, ZERO_NONCE, sealedNothing, hash) === null) return false;
    this.hash = c.hash(hash, sealedNothing);
    this.chainKey = ck;
    this.remoteIndex = readU32(msg, RESPONSE.sender);
    this.state = HandshakeState.ResponseConsumed;
    return true;
  }

  /** Splits the chaining key into transport keys and wipes the handshake (Zeroed state). */
  deriveKeys(): SessionKeys | null {
    let isInitiator: boolean;
    if (this.state === HandshakeState.ResponseConsumed) isInitiator = true;
    else if (this.state === HandshakeState.ResponseCreated) isInitiator = false;
    else return null;
    const [t1, t2] = kdf2(this.crypto, this.chainKey, EMPTY);
    const keys: SessionKeys = {
      sendKey: isInitiator ? t1 : t2,
      receiveKey: isInitiator ? t2 : t1,
      isInitiator,
      localIndex: this.localIndex,
      remoteIndex: this.remoteIndex,
    };
    this.clearSecrets();
    this.state = HandshakeState.Zeroed;
    // The index now names the keypair; a later handshake must not delete it from the table.
    this.localIndex = 0;
    return keys;
  }

  private clearSecrets(): void {
    // The initial chaining key is shared by every handshake, so only wipe one we derived.
    if (this.chainKey !== initialState(this.crypto).chainKey) this.chainKey.fill(0);
    this.hash = EMPTY;
    this.chainKey = EMPTY;
    this.localEphemeral = EMPTY;
    this.remoteEphemeral = EMPTY;
  }

  /** Forgets an in-flight handshake (keeps replay/flood memory, which must outlive it). */
  clear(): void {
    this.clearSecrets();
    this.localIndex = 0;
    this.state = HandshakeState.Zeroed;
  }
}

