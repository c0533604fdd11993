// node:crypto (OpenSSL) for the primitives it has: ChaCha20-Poly1305, X25519, BLAKE2s-256 and
// HMAC-BLAKE2s. It lacks XChaCha20-Poly1305 and keyed BLAKE2s, which come from @noble.
import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createHmac,
  createPrivateKey,
  createPublicKey,
  createSecretKey,
  diffieHellman,
  type KeyObject,
} from 'node:crypto';
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js';
import { blake2s } from '@noble/hashes/blake2.js';
import { isAllZero, type CryptoBackend, type TransportCipher } from './backend.js';

const TAG = 16;

// Raw X25519 keys enter OpenSSL as KeyObjects (a private key as PKCS#8 DER, a public one as JWK). KeyObjects are cached by array identity, so a static key (used in every
// handshake) and an ephemeral (used two or three times) are imported once. Callers never mutate
// a key array after using it, except to wipe it when it is retired.
const X25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b656e04220420', 'hex');
const privateCache = new WeakMap<Uint8Array, KeyObject>();
const publicCache = new WeakMap<Uint8Array, KeyObject>();
const b64url = (raw: Uint8Array): string => Buffer.from(raw.buffer, raw.byteOffset, raw.length).toString('base64url');

function privateKeyObject(raw: Uint8Array): KeyObject {
  let k = privateCache.get(raw);
  if (k === undefined) {
    // PKCS#8 DER: Node 24 refuses a JWK without its public "x" (ERR_CRYPTO_INVALID_JWK), and computing x
    // needs this very key; the DER form is accepted by Node 20, 22 and 24 alike.
    k = createPrivateKey({ key: Buffer.concat([X25519_PKCS8_PREFIX, raw]), format: 'der', type: 'pkcs8' });
    privateCache.set(raw, k);
  }
  return k;
}
function publicKeyObject(raw: Uint8Array): KeyObject {
  let k = publicCache.get(raw);
  if (k === undefined) {
    k = createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: b64url(raw) }, format: 'jwk' });
    publicCache.set(raw, k);
  }
  return k;
}

const EMPTY = Buffer.alloc(0);

function nodeSeal(key: Uint8Array | KeyObject, nonce: Uint8Array, plaintext: Uint8Array, ad: Uint8Array): Uint8Array {
  const c = createCipheriv('chacha20-poly1305', key, nonce, { authTagLength: TAG });
  if (ad.length > 0) c.setAAD(ad, { plaintextLength: plaintext.length });
  const body = c.update(plaintext);
  c.final();
  return Buffer.concat([body, c.getAuthTag()]);
}

function nodeOpen(key: Uint8Array | KeyObject, nonce: Uint8Array, sealed: Uint8Array, ad: Uint8Array): Uint8Array | null {
  if (sealed.length < TAG) return null;
  const n = sealed.length - TAG;
  const d = createDecipheriv('chacha20-poly1305', key, nonce, { authTagLength: TAG });
  d.setAuthTag(sealed.subarray(n));
  if (ad.length > 0) d.setAAD(ad, { plaintextLength: n });
  const out = d.update(sealed.subarray(0, n));
  try {
    d.final();
  } catch {
    return null;
  }
  return out;
}

class NodeTransportCipher implements TransportCipher {
  // A KeyObject saves OpenSSL's key import on every packet.
  private readonly key: KeyObject;
  constructor(raw: Uint8Array) {
    this.key = createSecretKey(raw);
  }
  // Padded copies of short packets: one update() call is cheaper than a second one for the zeros.
  private scratch = Buffer.alloc(2048);
  seal(nonce: Uint8Array, plaintext: Uint8Array, padding: number, out: Uint8Array, offset: number): number {
    const c = createCipheriv('chacha20-poly1305', this.key, nonce, { authTagLength: TAG });
    let input = plaintext;
    if (padding > 0) {
      const n = plaintext.length + padding;
      if (this.scratch.length < n) this.scratch = Buffer.alloc(n);
      this.scratch.set(plaintext);
      this.scratch.fill(0, plaintext.length, n);
      input = this.scratch.subarray(0, n);
    }
    // update() cannot write into a caller's buffer, so one copy per packet is unavoidable here.
    const body = c.update(input);
    out.set(body, offset);
    c.final();
    out.set(c.getAuthTag(), offset + body.length);
    return body.length + TAG;
  }
  open(nonce: Uint8Array, sealed: Uint8Array): Uint8Array | null {
    return nodeOpen(this.key, nonce, sealed, EMPTY);
  }
}

export const nodeBackend: CryptoBackend = {
  name: 'node',
  aeadSeal: nodeSeal,
  aeadOpen: nodeOpen,
  xaeadSeal: (key, nonce, plaintext, ad) => xchacha20poly1305(key, nonce, ad).encrypt(plaintext),
  xaeadOpen: (key, nonce, sealed, ad) => {
    try {
      return xchacha20poly1305(key, nonce, ad).decrypt(sealed);
    } catch {
      return null;
    }
  },
  hash(a, b) {
    const h = createHash('blake2s256').update(a);
    if (b !== undefined) h.update(b);
    return h.digest();
  },
  hmac: (key, data) => createHmac('blake2s256', key).update(data).digest(),
  mac: (key, data) => blake2s(data, { key, dkLen: 16 }),
  x25519(privateKey, publicKey) {
    let out: Buffer;
    try {
      out = diffieHellman({ privateKey: privateKeyObject(privateKey), publicKey: publicKeyObject(publicKey) });
    } catch {
      return null; // OpenSSL refuses an all-zero result
    }
    return isAllZero(out) ? null : out;
  },
  x25519Public(privateKey) {
    const jwk = createPublicKey(privateKeyObject(privateKey)).export({ format: 'jwk' });
    return new Uint8Array(Buffer.from(jwk.x!, 'base64url'));
  },
  transportCipher: (key) => new NodeTransportCipher(key),
};
