// Wire formats of the four WireGuard messages. Every integer is little-endian; the type is one
// byte followed by three zero bytes. Decoders validate size, type and reserved bytes and return
// null (never throw) because their input is whatever arrived on the UDP socket.
import {
  AEAD_TAG_SIZE, COOKIE_NONCE_SIZE, KEY_SIZE, MAC_SIZE, MESSAGE_COOKIE_REPLY_SIZE, MESSAGE_COOKIE_REPLY_TYPE,
  MESSAGE_INITIATION_SIZE, MESSAGE_INITIATION_TYPE, MESSAGE_RESPONSE_SIZE, MESSAGE_RESPONSE_TYPE,
  MESSAGE_TRANSPORT_HEADER_SIZE, MESSAGE_TRANSPORT_SIZE, MESSAGE_TRANSPORT_TYPE, TAI64N_SIZE, MAX_MESSAGE_SIZE,
} from './constants.js';

/** Byte offsets inside each message, so MACs and the transport path can work on raw buffers. */
export const INITIATION = {
  sender: 4, ephemeral: 8, static: 40, timestamp: 88, mac1: 116, mac2: 132,
  staticSealedSize: KEY_SIZE + AEAD_TAG_SIZE, timestampSealedSize: TAI64N_SIZE + AEAD_TAG_SIZE,
} as const;
export const RESPONSE = { sender: 4, receiver: 8, ephemeral: 12, empty: 44, mac1: 60, mac2: 76 } as const;
export const COOKIE_REPLY = { receiver: 4, nonce: 8, cookie: 32, cookieSealedSize: MAC_SIZE + AEAD_TAG_SIZE } as const;
export const TRANSPORT = { receiver: 4, counter: 8, content: MESSAGE_TRANSPORT_HEADER_SIZE } as const;

export interface Initiation {
  sender: number;
  ephemeral: Uint8Array;
  encryptedStatic: Uint8Array;
  encryptedTimestamp: Uint8Array;
  mac1: Uint8Array;
  mac2: Uint8Array;
}
export interface Response {
  sender: number;
  receiver: number;
  ephemeral: Uint8Array;
  encryptedNothing: Uint8Array;
  mac1: Uint8Array;
  mac2: Uint8Array;
}
export interface CookieReply {
  receiver: number;
  nonce: Uint8Array;
  encryptedCookie: Uint8Array;
}
export interface TransportHeader {
  receiver: number;
  /** Exact only below 2^53; see messageCounter() for the guard. */
  counter: number;
  sealed: Uint8Array;
}

function u32(buf: Uint8Array, off: number): number {
  return (buf[off]! | (buf[off + 1]! << 8) | (buf[off + 2]! << 16) | (buf[off + 3]! << 24)) >>> 0;
}
export function writeU32(buf: Uint8Array, off: number, v: number): void {
  buf[off] = v & 0xff;
  buf[off + 1] = (v >>> 8) & 0xff;
  buf[off + 2] = (v >>> 16) & 0xff;
  buf[off + 3] = (v >>> 24) & 0xff;
}
export const readU32 = u32;

/** Reads the u64 counter of a transport message; -1 if it does not fit a double exactly. */
export function messageCounter(buf: Uint8Array): number {
  const lo = u32(buf, TRANSPORT.counter);
  const hi = u32(buf, TRANSPORT.counter + 4);
  if (hi >= 0x200000) return -1;
  return hi * 0x1_0000_0000 + lo;
}
export function writeCounter(buf: Uint8Array, off: number, counter: number): void {
  writeU32(buf, off, counter >>> 0);
  writeU32(buf, off + 4, Math.floor(counter / 0x1_0000_0000));
}

function header(buf: Uint8Array, type: number): void {
  buf[0] = type;
  buf[1] = 0;
  buf[2] = 0;
  buf[3] = 0;
}

/** The message type if the first four bytes are a known type with zero reserved bytes, else 0. */
export function messageType(buf: Uint8Array): number {
  if (buf.length < 4 || buf.length > MAX_MESSAGE_SIZE) return 0;
  const t = buf[0]!;
  if (t < MESSAGE_INITIATION_TYPE || t > MESSAGE_TRANSPORT_TYPE || (buf[1]! | buf[2]! | buf[3]!) !== 0) return 0;
  switch (t) {
    case MESSAGE_INITIATION_TYPE: return buf.length === MESSAGE_INITIATION_SIZE ? t : 0;
    case MESSAGE_RESPONSE_TYPE: return buf.length === MESSAGE_RESPONSE_SIZE ? t : 0;
    case MESSAGE_COOKIE_REPLY_TYPE: return buf.length === MESSAGE_COOKIE_REPLY_SIZE ? t : 0;
    default: return buf.length >= MESSAGE_TRANSPORT_SIZE ? t : 0;
  }
}

function fixed(src: Uint8Array, expect: number, name: string): Uint8Array {
  if (src.length !== expect) throw new RangeError(`${name}: expected ${expect} bytes, got ${src.length}`);
  return src;
}

export function encodeInitiation(m: Initiation): Uint8Array {
  const out = new Uint8Array(MESSAGE_INITIATION_SIZE);
  header(out, MESSAGE_INITIATION_TYPE);
  writeU32(out, INITIATION.sender, m.sender);
  out.set(fixed(m.ephemeral, KEY_SIZE, 'ephemeral'), INITIATION.ephemeral);
  out.set(fixed(m.encryptedStatic, INITIATION.staticSealedSize, 'encryptedStatic'), INITIATION.static);
  out.set(fixed(m.encryptedTimestamp, INITIATION.timestampSealedSize, 'encryptedTimestamp'), INITIATION.timestamp);
  out.set(fixed(m.mac1, MAC_SIZE, 'mac1'), INITIATION.mac1);
  out.set(fixed(m.mac2, MAC_SIZE, 'mac2'), INITIATION.mac2);
  return out;
}

export function decodeInitiation(buf: Uint8Array): Initiation | null {
  if (messageType(buf) !== MESSAGE_INITIATION_TYPE) return null;
  return {
    sender: u32(buf, INITIATION.sender),
    ephemeral: buf.subarray(INITIATION.ephemeral, INITIATION.static),
    encryptedStatic: buf.subarray(INITIATION.static, INITIATION.timestamp),
    encryptedTimestamp: buf.subarray(INITIATION.timestamp, INITIATION.mac1),
    mac1: buf.subarray(INITIATION.mac1, INITIATION.mac2),
    mac2: buf.subarray(INITIATION.mac2, MESSAGE_INITIATION_SIZE),
  };
}

export function encodeResponse(m: Response): Uint8Array {
  const out = new Uint8Array(MESSAGE_RESPONSE_SIZE);
  header(out, MESSAGE_RESPONSE_TYPE);
  writeU32(out, RESPONSE.sender, m.sender);
  writeU32(out, RESPONSE.receiver, m.receiver);
  out.set(fixed(m.ephemeral, KEY_SIZE, 'ephemeral'), RESPONSE.ephemeral);
  out.set(fixed(m.encryptedNothing, AEAD_TAG_SIZE, 'encryptedNothing'), RESPONSE.empty);
  out.set(fixed(m.mac1, MAC_SIZE, 'mac1'), RESPONSE.mac1);
  out.set(fixed(m.mac2, MAC_SIZE, 'mac2'), RESPONSE.mac2);
  return out;
}

export function decodeResponse(buf: Uint8Array): Response | null {
  if (messageType(buf) !== MESSAGE_RESPONSE_TYPE) return null;
  return {
    sender: u32(buf, RESPONSE.sender),
    receiver: u32(buf, RESPONSE.receiver),
    ephemeral: buf.subarray(RESPONSE.ephemeral, RESPONSE.empty),
    encryptedNothing: buf.subarray(RESPONSE.empty, RESPONSE.mac1),
    mac1: buf.subarray(RESPONSE.mac1, RESPONSE.mac2),
    mac2: buf.subarray(RESPONSE.mac2, MESSAGE_RESPONSE_SIZE),
  };
}

export function encodeCookieReply(m: CookieReply): Uint8Array {
  const out = new Uint8Array(MESSAGE_COOKIE_REPLY_SIZE);
  header(out, MESSAGE_COOKIE_REPLY_TYPE);
  writeU32(out, COOKIE_REPLY.receiver, m.receiver);
  out.set(fixed(m.nonce, COOKIE_NONCE_SIZE, 'nonce'), COOKIE_REPLY.nonce);
  out.set(fixed(m.encryptedCookie, COOKIE_REPLY.cookieSealedSize, 'encryptedCookie'), COOKIE_REPLY.cookie);
  return out;
}

export function decodeCookieReply(buf: Uint8Array): CookieReply | null {
  if (messageType(buf) !== MESSAGE_COOKIE_REPLY_TYPE) return null;
  return {
    receiver: u32(buf, COOKIE_REPLY.receiver),
    nonce: buf.subarray(COOKIE_REPLY.nonce, COOKIE_REPLY.cookie),
    encryptedCookie: buf.subarray(COOKIE_REPLY.cookie, MESSAGE_COOKIE_REPLY_SIZE),
  };
}

/** Writes a transport header (type 4, receiver, counter) at the start of `out`. */
export function writeTransportHeader(out: Uint8Array, receiver: number, counter: number): void {
  header(out, MESSAGE_TRANSPORT_TYPE);
  writeU32(out, TRANSPORT.receiver, receiver);
  writeCounter(out, TRANSPORT.counter, counter);
}

export function decodeTransport(buf: Uint8Array): TransportHeader | null {
  if (messageType(buf) !== MESSAGE_TRANSPORT_TYPE) return null;
  const counter = messageCounter(buf);
  if (counter < 0) return null;
  return { receiver: u32(buf, TRANSPORT.receiver), counter, sealed: buf.subarray(TRANSPORT.content) };
}

/** Transport payload length after padding to a multiple of 16, never beyond the MTU. */
export function paddedLength(packetLength: number, mtu: number, multiple = 16): number {
  let last = packetLength;
  if (mtu > 0 && last > mtu) last %= mtu;
  let padded = Math.ceil(last / multiple) * multiple;
  if (mtu > 0 && padded > mtu) padded = mtu;
  return packetLength + (padded - last);
}
