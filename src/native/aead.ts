// WireGuard's transport cipher on the addon's ChaCha20-Poly1305 (OpenSSL EVP, contexts made once per key):
// no cipher object and no Buffers per packet, the ciphertext written straight into the send buffer. The
// protocol code (src/wireguard) takes it through its CryptoBackend; where the addon is missing or lacks the
// cipher, the node:crypto backend is used instead (nativeCryptoBackend says which; NYM_VPN_CIPHER=node forces it).
import { defaultBackend, nodeBackend, type CryptoBackend, type TransportCipher } from '../wireguard/crypto/index.js';
import { loadNative, type NativeAddon, type NativeAeadKey } from './native.js';

const TAG = 16;

class NativeTransportCipher implements TransportCipher {
  private readonly key: NativeAeadKey;

  constructor(private readonly addon: NativeAddon, raw: Uint8Array) {
    this.key = addon.aeadKey(raw);
  }

  /** The counter from the nonce's last 8 bytes (little-endian), as two u32 halves. */
  private static halves(nonce: Uint8Array): [number, number] {
    const lo = (nonce[4]! | (nonce[5]! << 8) | (nonce[6]! << 16) | (nonce[7]! << 24)) >>> 0;
    const hi = (nonce[8]! | (nonce[9]! << 8) | (nonce[10]! << 16) | (nonce[11]! << 24)) >>> 0;
    return [lo, hi];
  }

  seal(nonce: Uint8Array, plaintext: Uint8Array, padding: number, out: Uint8Array, offset: number): number {
    const [lo, hi] = NativeTransportCipher.halves(nonce);
    return this.addon.aeadSeal(this.key, lo, hi, plaintext, padding, out, offset);
  }

  open(nonce: Uint8Array, sealed: Uint8Array): Uint8Array | null {
    if (sealed.length < TAG) return null;
    const [lo, hi] = NativeTransportCipher.halves(nonce);
    // A fresh plaintext buffer (from Node's pool for small sizes): the sealed bytes live in the receive
    // slab, which the next batch overwrites while the packet may still be queued.
    const out = Buffer.allocUnsafe(sealed.length - TAG);
    const n = this.addon.aeadOpen(this.key, lo, hi, sealed, out);
    return n < 0 ? null : out.subarray(0, n);
  }

  openInPlace(nonce: Uint8Array, sealed: Uint8Array): Uint8Array | null {
    if (sealed.length < TAG) return null;
    const [lo, hi] = NativeTransportCipher.halves(nonce);
    const n = this.addon.aeadOpen(this.key, lo, hi, sealed, sealed);
    return n < 0 ? null : sealed.subarray(0, n);
  }
}

let chosen: CryptoBackend | undefined;

/** The default backend with the addon's transport cipher, or the default itself where the addon cannot. */
export function nativeCryptoBackend(): CryptoBackend {
  if (chosen) return chosen;
  try {
    // NYM_VPN_CIPHER=node: the node:crypto cipher on purpose (benchmarks compare the two; a debugging aid).
    if (process.env.NYM_VPN_CIPHER === 'node') throw new Error('node:crypto asked for');
    const addon = loadNative();
    if (typeof addon.aeadKey !== 'function') throw new Error('this build of the addon has no cipher');
    // One round trip proves the cipher works here before any tunnel depends on it.
    const probe = new NativeTransportCipher(addon, new Uint8Array(32).fill(7));
    const box = new Uint8Array(3 + TAG);
    const nonce = new Uint8Array(12);
    probe.seal(nonce, Uint8Array.of(1, 2, 3), 0, box, 0);
    const back = probe.open(nonce, box);
    if (!back || back.length !== 3 || back[2] !== 3) throw new Error('the addon cipher failed its round trip');
    chosen = { ...defaultBackend, name: 'native', transportCipher: (key) => new NativeTransportCipher(addon, key) };
  } catch {
    chosen = { ...defaultBackend, name: 'default', transportCipher: nodeBackend.transportCipher };
  }
  return chosen;
}

/** For tests: the addon cipher for a key, without the fallback. */
export function nativeTransportCipher(key: Uint8Array): TransportCipher {
  return new NativeTransportCipher(loadNative(), key);
}
