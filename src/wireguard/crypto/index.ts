// The default backend: per primitive, whichever of node:crypto and @noble measured faster in
// bench/wg-crypto.bench.ts (ops/s, node vs noble, Node 20, 2-core x86-64 lab machine):
//   transport seal 1420 B   142k vs  55k  → node      transport open 1424 B   186k vs  53k → node
//   aead seal 32 B + AD     205k vs 145k  → node      aead open               223k vs 154k → node
//   blake2s-256 64 B        552k vs 331k  → node      hmac-blake2s 32 B       299k vs  95k → node
//   x25519 shared, new key   12k vs 0.8k  → node      x25519 public, new key   17k vs 2.3k → node
//   xchacha seal/open 16 B  121k vs 126k  → noble (node:crypto has no XChaCha; same code either way)
//   keyed blake2s-128       142k vs 143k  → noble (node:crypto has no keyed BLAKE2s)
import type { CryptoBackend } from './backend.js';
import { nodeBackend } from './node-backend.js';
import { nobleBackend } from './noble-backend.js';

export type { CryptoBackend, TransportCipher } from './backend.js';
export { nodeBackend } from './node-backend.js';
export { nobleBackend } from './noble-backend.js';

export const defaultBackend: CryptoBackend = {
  name: 'default',
  aeadSeal: nodeBackend.aeadSeal,
  aeadOpen: nodeBackend.aeadOpen,
  xaeadSeal: nobleBackend.xaeadSeal,
  xaeadOpen: nobleBackend.xaeadOpen,
  hash: nodeBackend.hash,
  hmac: nodeBackend.hmac,
  mac: nobleBackend.mac,
  x25519: nodeBackend.x25519,
  x25519Public: nodeBackend.x25519Public,
  transportCipher: nodeBackend.transportCipher,
};

export const backends: readonly CryptoBackend[] = [nodeBackend, nobleBackend, defaultBackend];
