// mac1/mac2 and cookies (whitepaper §5.4.4, wireguard-go cookie.go). A sender adds both MACs to
// its handshake messages (CookieGenerator, one per peer); a receiver checks them and, under
// load, answers with an encrypted cookie reply (CookieChecker, one per device).
import { randomBytes } from 'node:crypto';
import { COOKIE_NONCE_SIZE, COOKIE_REFRESH_TIME, MAC_SIZE, WG_LABEL_COOKIE, WG_LABEL_MAC1 } from './constants.js';
import type { CryptoBackend } from './crypto/backend.js';
import { encodeCookieReply, decodeCookieReply } from './messages.js';

const LABEL_MAC1 = new TextEncoder().encode(WG_LABEL_MAC1);
const LABEL_COOKIE = new TextEncoder().encode(WG_LABEL_COOKIE);

/** mac1 sits 32 bytes before the end of a handshake message, mac2 16 bytes before. */
function mac1Offset(msg: Uint8Array): number {
  return msg.length - 2 * MAC_SIZE;
}
function mac2Offset(msg: Uint8Array): number {
  return msg.length - MAC_SIZE;
}

function equal16(a: Uint8Array, aOff: number, b: Uint8Array): boolean {
  let d = 0;
  for (let i = 0; i < MAC_SIZE; i++) d |= a[aOff + i]! ^ b[i]!;
  return d === 0;
}

/** Keys derived from one static public key: the mac1 key and the cookie encryption key. */
export function macKeys(c: CryptoBackend, publicKey: Uint8Array): { mac1Key: Uint8Array; cookieKey: Uint8Array } {
  return { mac1Key: c.hash(LABEL_MAC1, publicKey), cookieKey: c.hash(LABEL_COOKIE, publicKey) };
}

/** Checks incoming handshake messages addressed to our static key and makes cookie replies. */
export class CookieChecker {
  private readonly mac1Key: Uint8Array;
  private readonly cookieKey: Uint8Array;
  private secret = new Uint8Array(32);
  private secretSet = -Infinity;

  constructor(private readonly crypto: CryptoBackend, ourPublicKey: Uint8Array) {
    ({ mac1Key: this.mac1Key, cookieKey: this.cookieKey } = macKeys(crypto, ourPublicKey));
  }

  checkMac1(msg: Uint8Array): boolean {
    const off = mac1Offset(msg);
    if (off < 0) return false;
    return equal16(msg, off, this.crypto.mac(this.mac1Key, msg.subarray(0, off)));
  }

  /** `source` is the sender's address as bytes (IP ‖ port); the cookie binds to it. */
  checkMac2(msg: Uint8Array, source: Uint8Array, now: number): boolean {
    if (now - this.secretSet > COOKIE_REFRESH_TIME) return false;
    const off = mac2Offset(msg);
    if (off < MAC_SIZE) return false;
    const cookie = this.crypto.mac(this.secret, source);
    return equal16(msg, off, this.crypto.mac(cookie, msg.subarray(0, off)));
  }

  /** A cookie reply to `msg` (whose mac1 must already have been checked). */
  createReply(msg: Uint8Array, receiverIndex: number, source: Uint8Array, now: number): Uint8Array {
    if (now - this.secretSet > COOKIE_REFRESH_TIME) {
      this.secret = new Uint8Array(randomBytes(32));
      this.secretSet = now;
    }
    const cookie = this.crypto.mac(this.secret, source);
    const nonce = new Uint8Array(randomBytes(COOKIE_NONCE_SIZE));
    const mac1 = msg.subarray(mac1Offset(msg), mac2Offset(msg));
    const encryptedCookie = this.crypto.xaeadSeal(this.cookieKey, nonce, cookie, mac1);
    return encodeCookieReply({ receiver: receiverIndex, nonce, encryptedCookie });
  }
}

/** Adds mac1/mac2 to our handshake messages for one peer and takes that peer's cookie replies. */
export class CookieGenerator {
  private readonly mac1Key: Uint8Array;
  private readonly cookieKey: Uint8Array;
  private cookie: Uint8Array | null = null;
  private cookieSet = -Infinity;
  private lastMac1: Uint8Array | null = null;

  constructor(private readonly crypto: CryptoBackend, peerPublicKey: Uint8Array) {
    ({ mac1Key: this.mac1Key, cookieKey: this.cookieKey } = macKeys(crypto, peerPublicKey));
  }

  /** Fills in mac1, and mac2 when we hold a cookie younger than CookieRefreshTime. */
  addMacs(msg: Uint8Array, now: number): void {
    const o1 = mac1Offset(msg);
    const o2 = mac2Offset(msg);
    const mac1 = this.crypto.mac(this.mac1Key, msg.subarray(0, o1));
    msg.set(mac1, o1);
    this.lastMac1 = mac1;
    if (this.cookie === null || now - this.cookieSet > COOKIE_REFRESH_TIME) {
      msg.fill(0, o2, o2 + MAC_SIZE);
      return;
    }
    msg.set(this.crypto.mac(this.cookie, msg.subarray(0, o2)), o2);
  }

  /** Decrypts a cookie reply to our last message; false (nothing changes) if it does not open. */
  consumeReply(buf: Uint8Array, now: number): boolean {
    const reply = decodeCookieReply(buf);
    if (reply === null || this.lastMac1 === null) return false;
    const cookie = this.crypto.xaeadOpen(this.cookieKey, reply.nonce, reply.encryptedCookie, this.lastMac1);
    if (cookie === null) return false;
    this.cookie = cookie;
    this.cookieSet = now;
    return true;
  }

  hasCookie(now: number): boolean {
    return this.cookie !== null && now - this.cookieSet <= COOKIE_REFRESH_TIME;
  }
}
