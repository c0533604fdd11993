// Per-primitive comparison of the node:crypto and @noble backends; the faster one per primitive
// is what src/wireguard/crypto/index.ts picks as the default.
// Run: node scripts/bench.mjs wg-crypto
import { randomBytes } from 'node:crypto';
import { nobleBackend, nodeBackend, type CryptoBackend } from '../src/wireguard/crypto/index.js';

function measure(label: string, fn: () => void, minMs = 400): number {
  for (let i = 0; i < 200; i++) fn(); // warm up the JIT
  let n = 0;
  const start = performance.now();
  let elapsed = 0;
  do {
    for (let i = 0; i < 100; i++) fn();
    n += 100;
    elapsed = performance.now() - start;
  } while (elapsed < minMs);
  const opsPerSec = (n / elapsed) * 1000;
  return opsPerSec;
}

const key = new Uint8Array(randomBytes(32));
const nonce12 = new Uint8Array(12);
const nonce24 = new Uint8Array(randomBytes(24));
const ad = new Uint8Array(randomBytes(32));
const small = new Uint8Array(randomBytes(32));
const packet = new Uint8Array(randomBytes(1420));
const handshakeInput = new Uint8Array(randomBytes(116));
const priv = new Uint8Array(randomBytes(32));
const pub = nodeBackend.x25519Public(new Uint8Array(randomBytes(32)));

function primitives(c: CryptoBackend): Record<string, () => void> {
  const tc = c.transportCipher(key);
  const out = new Uint8Array(1500);
  const sealed = new Uint8Array(out.subarray(0, tc.seal(nonce12, packet, 4, out, 0)));
  const sealedSmall = c.aeadSeal(key, nonce12, small, ad);
  const xsealed = c.xaeadSeal(key, nonce24, small.subarray(0, 16), ad);
  return {
    'aead seal 32 B + AD': () => c.aeadSeal(key, nonce12, small, ad),
    'aead open 32 B + AD': () => c.aeadOpen(key, nonce12, sealedSmall, ad),
    'transport seal 1420 B': () => tc.seal(nonce12, packet, 4, out, 0),
    'transport open 1424 B': () => tc.open(nonce12, sealed),
    'xaead seal 16 B': () => c.xaeadSeal(key, nonce24, small.subarray(0, 16), ad),
    'xaead open 16 B': () => c.xaeadOpen(key, nonce24, xsealed, ad),
    'blake2s-256 64 B': () => c.hash(small, small),
    'hmac-blake2s 32 B': () => c.hmac(key, small),
    'mac (keyed blake2s-128) 116 B': () => c.mac(key, handshakeInput),
    'x25519 shared (keys seen before)': () => c.x25519(priv, pub),
    'x25519 shared (new private key)': () => c.x25519(priv.slice(), pub),
    'x25519 public (new private key)': () => c.x25519Public(priv.slice()),
  };
}

const node = primitives(nodeBackend);
const noble = primitives(nobleBackend);
console.log(`${'primitive'.padEnd(34)} ${'node ops/s'.padStart(12)} ${'noble ops/s'.padStart(12)}  faster`);
for (const name of Object.keys(node)) {
  const a = measure(name, node[name]!);
  const b = measure(name, noble[name]!);
  console.log(`${name.padEnd(34)} ${a.toFixed(0).padStart(12)} ${b.toFixed(0).padStart(12)}  ${a >= b ? 'node' : 'noble'} (${(Math.max(a, b) / Math.min(a, b)).toFixed(2)}x)`);
}
