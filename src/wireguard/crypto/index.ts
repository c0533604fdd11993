// The default backend: per primitive, whichever of node:crypto and @noble measured faster in
// bench/wg-crypto.bench.ts (numbers below, Node 20, 2-core x86-64 lab machine).
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
