// The lab gateway's handshake, driven by a client side written from upstream's client state
// (nymtech/nym common/gateway-requests/src/registration/handshake/state.rs, commit b4046a8969805642). The
// interop check against upstream's own client is test/mixnet/mixnet-channel.test.ts (nym-client-wasm 1.4.1).
import test from 'ava';
import { ed25519, x25519 } from '@noble/curves/ed25519.js';
import { gcmsiv } from '@noble/ciphers/aes.js';
import { blake3 } from '@noble/hashes/blake3.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { gatewayHandshake, HandshakeError } from '../../tools/lab/nym-gateway/handshake.js';
import { SharedGatewayKey, SharedKeyError } from '../../tools/lab/nym-gateway/shared-key.js';

const fixed = (n: number, fill: number) => new Uint8Array(n).fill(fill);
const gatewayIdentity = fixed(32, 1);
const clientIdentity = fixed(32, 2);
const clientEphemeral = fixed(32, 3);
const salt = fixed(16, 4);
const init = () => Uint8Array.from([...ed25519.getPublicKey(clientIdentity), ...x25519.getPublicKey(clientEphemeral), ...salt]);

function clientFinish(reply: Uint8Array, nonce: Uint8Array) {
  const gwEph = reply.slice(0, 32);
  const key = hkdf(blake3, x25519.getSharedSecret(clientEphemeral, gwEph), salt, new Uint8Array(0), 32);
  const sig = gcmsiv(key, reply.slice(32 + 80)).decrypt(reply.slice(32, 32 + 80));
  const ok = ed25519.verify(sig, Uint8Array.from([...gwEph, ...x25519.getPublicKey(clientEphemeral)]), ed25519.getPublicKey(gatewayIdentity));
  const ours = ed25519.sign(Uint8Array.from([...x25519.getPublicKey(clientEphemeral), ...gwEph]), clientIdentity);
  return { ok, key, material: Uint8Array.from([...gcmsiv(key, nonce).encrypt(ours), ...nonce]) };
}

test('init → gateway material (124 bytes) → client material (92) → [1], both sides with the same key', (t) => {
  const step = gatewayHandshake(gatewayIdentity, init(), fixed(32, 5), fixed(12, 6));
  t.is(step.reply.length, 32 + 64 + 16 + 12);
  const c = clientFinish(step.reply, fixed(12, 7));
  t.true(c.ok, 'the gateway signed eph_g || eph_c with its identity');
  const done = step.finish(c.material);
  t.deepEqual([...done.reply], [1]);
  t.deepEqual(done.key.bytes, c.key);
  t.deepEqual(done.clientIdentity, ed25519.getPublicKey(clientIdentity));
});

test('a legacy init (no salt), a wrong length and a non-point identity are refused', (t) => {
  t.throws(() => gatewayHandshake(gatewayIdentity, init().slice(0, 64), fixed(32, 5), fixed(12, 6)), { instanceOf: HandshakeError, message: /legacy/ });
  t.throws(() => gatewayHandshake(gatewayIdentity, init().slice(0, 70), fixed(32, 5), fixed(12, 6)), { instanceOf: HandshakeError });
  const bad = init();
  bad.set(fixed(32, 0xff), 0);
  t.throws(() => gatewayHandshake(gatewayIdentity, bad, fixed(32, 5), fixed(12, 6)), { instanceOf: HandshakeError, message: /ed25519/ });
});

test('client material with a flipped bit, a wrong length or signed by another key is refused', (t) => {
  const step = gatewayHandshake(gatewayIdentity, init(), fixed(32, 5), fixed(12, 6));
  const c = clientFinish(step.reply, fixed(12, 7));
  const flipped = c.material.slice();
  flipped[10]! ^= 1;
  t.throws(() => step.finish(flipped), { instanceOf: HandshakeError, message: /tag/ });
  t.throws(() => step.finish(c.material.slice(0, 91)), { instanceOf: HandshakeError });
  const forged = ed25519.sign(fixed(64, 9), fixed(32, 8));
  const nonce = fixed(12, 7);
  t.throws(() => step.finish(Uint8Array.from([...gcmsiv(c.key, nonce).encrypt(forged), ...nonce])), { instanceOf: HandshakeError, message: /signature/ });
});

test('the shared key refuses short nonces and tampered ciphertexts', (t) => {
  const k = new SharedGatewayKey(fixed(32, 1));
  const ct = k.encrypt(fixed(5, 2), fixed(12, 3));
  t.deepEqual(k.decrypt(ct, fixed(12, 3)), fixed(5, 2));
  t.throws(() => k.decrypt(ct, fixed(11, 3)), { instanceOf: SharedKeyError });
  t.throws(() => k.decrypt(ct.slice(0, 10), fixed(12, 3)), { instanceOf: SharedKeyError });
  ct[0]! ^= 1;
  t.throws(() => k.decrypt(ct, fixed(12, 3)), { instanceOf: SharedKeyError });
});
