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
// DER wrappers that turn a raw 32-byte X25519 key into PKCS#8 / SPKI, the only raw-ish input
// node:crypto accepts without JWK base64 round trips.
const PKCS8_X25519 = Buffer.from('302e020100300506032b656e04220420', 'hex');
const SPKI_X25519 = Buffer.from('302a300506032b656e032100', 'hex');

function privateKeyObject(raw: Uint8Array): KeyObject {
  return createPrivateKey({ key: Buffer.concat([PKCS8_X25519, raw]), format: 'der', type: 'pkcs8' });
}
function publicKeyObject(raw: Uint8Array): KeyObject {
  return createPublicKey({ key: Buffer.concat([SPKI_X25519, raw]), format: 'der', type: 'spki' });
}

const EMPTY = Buffer.alloc(0);
const ZEROS = Buffer.alloc(16);

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
  seal(nonce: Uint8Array, plaintext: Uint8Array, padding: number, out: Uint8Array, offset: number): number {
    const c = createCipheriv('chacha20-poly1305', this.key, nonce, { authTagLength: TAG });
    // update() cannot write into a caller's buffer, so one copy per chunk is unavoidable here.
    const body = c.update(plaintext);
    out.set(body, offset);
    let pos = offset + body.length;
    if (padding > 0) {
      const pad = c.update(ZEROS.subarray(0, padding));
      out.set(pad, pos);
      pos += pad.length;
    }
    c.final();
    out.set(c.getAuthTag(), pos);
    return pos + TAG - offset;
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
    const der = createPublicKey(privateKeyObject(privateKey)).export({ format: 'der', type: 'spki' });
    return der.subarray(der.length - 32);
  },
  transportCipher: (key) => new NodeTransportCipher(key),
};
