// The addon's ChaCha20-Poly1305 (OpenSSL EVP, contexts reused per key) as WireGuard's transport cipher:
// byte for byte what noble's independent implementation and node:crypto produce, for every size a tunnel
// sends (with WireGuard's padding) and counters in both halves; a bad tag never yields plaintext; bad calls are
// TypeErrors; and where the addon cannot do it, the daemon falls back to node:crypto (forced in a child).
import test from 'ava';
import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { chacha20poly1305 } from '@noble/ciphers/chacha.js';
import { nativeCryptoBackend, nativeTransportCipher } from '../../src/native/aead.js';
import { nodeBackend } from '../../src/wireguard/crypto/index.js';
import { loadNative } from '../../src/native/native.js';

function nonceOf(counter: bigint): Uint8Array {
  const n = new Uint8Array(12);
  new DataView(n.buffer).setBigUint64(4, counter, true);
  return n;
}

test('seal and open agree with noble and node:crypto for sizes 0–1500, padding and 64-bit counters', (t) => {
  const key = new Uint8Array(randomBytes(32));
  const native = nativeTransportCipher(key);
  const viaNode = nodeBackend.transportCipher(key);
  let checked = 0;
  for (const size of [0, 1, 15, 16, 17, 63, 64, 65, 255, 1279, 1280, 1420, 1500]) {
    for (const counter of [0n, 1n, 0xffff_ffffn, 0x1_0000_0000n, 0xffff_ffff_ffff_fffen]) {
      const padding = (16 - (size % 16)) % 16;
      const pt = new Uint8Array(randomBytes(size));
      const out = new Uint8Array(8 + size + padding + 16);
      const n = native.seal(nonceOf(counter), pt, padding, out, 8);
      const padded = new Uint8Array(size + padding);
      padded.set(pt);
      const expected = chacha20poly1305(key, nonceOf(counter)).encrypt(padded);
      t.is(n, expected.length);
      t.deepEqual(out.subarray(8, 8 + n), expected, `size ${size} counter ${counter}`);
      t.deepEqual(out.subarray(0, 8), new Uint8Array(8), 'nothing written before offset');
      const ref = new Uint8Array(expected.length);
      viaNode.seal(nonceOf(counter), pt, padding, ref, 0);
      t.deepEqual(ref, expected);
      t.deepEqual(new Uint8Array(native.open(nonceOf(counter), expected)!), padded);
      checked++;
    }
  }
  t.is(checked, 65);
});

test('a flipped bit anywhere, a wrong counter or a short message: no plaintext', (t) => {
  const key = new Uint8Array(randomBytes(32));
  const c = nativeTransportCipher(key);
  const pt = new Uint8Array(randomBytes(100));
  const sealed = new Uint8Array(116);
  c.seal(nonceOf(9n), pt, 0, sealed, 0);
  for (const i of [0, 50, 99, 100, 115]) {
    const bad = sealed.slice();
    bad[i]! ^= 0x40;
    t.is(c.open(nonceOf(9n), bad), null, `bit flipped at ${i}`);
  }
  t.is(c.open(nonceOf(10n), sealed), null);
  t.is(c.open(nonceOf(9n), sealed.subarray(0, 15)), null);
  // In place, as the addon allows: a failed open leaves zeros, not plaintext.
  const addon = loadNative();
  const k = addon.aeadKey(key);
  const bad = sealed.slice();
  bad[3]! ^= 1;
  t.is(addon.aeadOpen(k, 9, 0, bad, bad), -1);
  t.deepEqual(bad.subarray(0, 100), new Uint8Array(100));
  const good = sealed.slice();
  t.is(addon.aeadOpen(k, 9, 0, good, good), 100);
  t.deepEqual(good.subarray(0, 100), pt);
});

test('bad calls are TypeErrors, never a crash', (t) => {
  const addon = loadNative();
  const k = addon.aeadKey(new Uint8Array(32));
  const pt = new Uint8Array(20);
  t.throws(() => addon.aeadKey(new Uint8Array(31)), { instanceOf: TypeError });
  t.throws(() => addon.aeadSeal(k, 0, 0, pt, 0, new Uint8Array(35), 0), { instanceOf: TypeError, message: /too small/ });
  t.throws(() => addon.aeadSeal(k, 0, 0, pt, 0, new Uint8Array(100), 90), { instanceOf: TypeError, message: /too small/ });
  t.throws(() => addon.aeadSeal(k, 0, 0, pt, 16, new Uint8Array(100), 0), { instanceOf: TypeError });
  t.throws(() => addon.aeadSeal({} as never, 0, 0, pt, 0, new Uint8Array(100), 0), { instanceOf: TypeError, message: /handle/ });
  t.throws(() => addon.aeadSeal(k, -1, 0, pt, 0, new Uint8Array(100), 0), { instanceOf: TypeError });
  t.throws(() => addon.aeadOpen(k, 0, 0, new Uint8Array(40), new Uint8Array(10)), { instanceOf: TypeError, message: /too small/ });
});

test('without the addon cipher the tunnel uses node:crypto (the fallback, forced in a child process)', (t) => {
  t.is(nativeCryptoBackend().name, 'native', 'here the addon has it');
  const module = fileURLToPath(new URL('../../src/native/aead.js', import.meta.url));
  const peercred = fileURLToPath(new URL('../../../build/Release/nym_peercred.node', import.meta.url));
  const code = `import(${JSON.stringify(module)}).then((m) => { const b = m.nativeCryptoBackend(); const k = new Uint8Array(32); const out = new Uint8Array(19); b.transportCipher(k).seal(new Uint8Array(12), Uint8Array.of(1,2,3), 0, out, 0); console.log(b.name, b.transportCipher(k).open(new Uint8Array(12), out).join(',')); })`;
  // An addon file without the cipher (the bus's peercred addon) stands where the native one is looked for.
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', code], { env: { ...process.env, NYM_VPN_NATIVE: peercred }, encoding: 'utf8' });
  t.is(run.status, 0, run.stderr);
  t.is(run.stdout.trim(), 'default 1,2,3');
});
