// Known-answer tests for every primitive, on every backend (node, noble and the mixed default).
import test from 'ava';
import { backends } from '../../src/wireguard/crypto/index.js';
import { kdf1, kdf2, kdf3 } from '../../src/wireguard/kdf.js';
import {
  clampPrivateKey, generatePrivateKey, keyFromBase64, keyToBase64, publicKeyFromPrivate,
} from '../../src/wireguard/keys.js';

const hex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

const SUNSCREEN = new TextEncoder().encode(
  "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.",
);
const KEY_80 = hex('808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f');
const AAD = hex('50515253c0c1c2c3c4c5c6c7');

for (const c of backends) {
  test(`${c.name}: ChaCha20-Poly1305 RFC 8439 §2.8.2`, (t) => {
    const nonce = hex('070000004041424344454647');
    const expected = 'd31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d63dbea45e8ca9671282fafb69da92728b'
      + '1a71de0a9e060b2905d6a5b67ecd3b3692ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc3ff4def08e4b7a9de576d26586cec64b6116'
      + '1ae10b594f09e26a7e902ecbd0600691';
    const sealed = c.aeadSeal(KEY_80, nonce, SUNSCREEN, AAD);
    t.is(toHex(sealed), expected);
    t.deepEqual(new Uint8Array(c.aeadOpen(KEY_80, nonce, sealed, AAD)!), SUNSCREEN);
    const bad = sealed.slice();
    bad[5]! ^= 1;
    t.is(c.aeadOpen(KEY_80, nonce, bad, AAD), null);
    t.is(c.aeadOpen(KEY_80, nonce, sealed, hex('00')), null);
    t.is(c.aeadOpen(KEY_80, nonce, sealed.subarray(0, 10), AAD), null);
  });

  test(`${c.name}: transport cipher matches the AEAD and pads with zeros`, (t) => {
    const cipher = c.transportCipher(KEY_80);
    const nonce = hex('000000000100000000000000');
    const out = new Uint8Array(200);
    const n = cipher.seal(nonce, SUNSCREEN, 4, out, 16);
    t.is(n, SUNSCREEN.length + 4 + 16);
    const padded = new Uint8Array(SUNSCREEN.length + 4);
    padded.set(SUNSCREEN);
    t.is(toHex(out.subarray(16, 16 + n)), toHex(c.aeadSeal(KEY_80, nonce, padded, new Uint8Array(0))));
    t.is(toHex(cipher.open(nonce, out.subarray(16, 16 + n))!), toHex(padded));
    out[20]! ^= 0x80;
    t.is(cipher.open(nonce, out.subarray(16, 16 + n)), null);
    t.is(cipher.open(nonce, new Uint8Array(15)), null);
  });

  test(`${c.name}: XChaCha20-Poly1305 draft-irtf-cfrg-xchacha A.3.1`, (t) => {
    const nonce = hex('404142434445464748494a4b4c4d4e4f5051525354555657');
    const expected = 'bd6d179d3e83d43b9576579493c0e939572a1700252bfaccbed2902c21396cbb731c7f1b0b4aa6440bf3a82f4eda7e39'
      + 'ae64c6708c54c216cb96b72e1213b4522f8c9ba40db5d945b11b69b982c1bb9e3f3fac2bc369488f76b2383565d3fff921f9664c97637da9768812f615c68b13b52e'
      + 'c0875924c1c7987947deafd8780acf49';
    const sealed = c.xaeadSeal(KEY_80, nonce, SUNSCREEN, AAD);
    t.is(toHex(sealed), expected);
    t.deepEqual(new Uint8Array(c.xaeadOpen(KEY_80, nonce, sealed, AAD)!), SUNSCREEN);
    t.is(c.xaeadOpen(KEY_80, nonce, sealed, new Uint8Array(0)), null);
  });

  test(`${c.name}: BLAKE2s-256 RFC 7693 Appendix B ("abc")`, (t) => {
    const abc = new TextEncoder().encode('abc');
    t.is(toHex(c.hash(abc)), '508c5e8c327c14e2e1a72ba34eeb452f37458b209ed63a294d999b4c86675982');
    t.is(toHex(c.hash(abc.subarray(0, 1), abc.subarray(1))), '508c5e8c327c14e2e1a72ba34eeb452f37458b209ed63a294d999b4c86675982');
  });

  test(`${c.name}: keyed BLAKE2s-128 is the MAC (agrees with node's HMAC-free path)`, (t) => {
    // RFC 7693 has no keyed 128-bit vector; the BLAKE2 reference KAT (blake2s-kat, key 00..1f,
    // empty input) fixes the 256-bit keyed output, and the 128-bit one must differ from its prefix.
    const key = hex('000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f');
    const mac = c.mac(key, new Uint8Array(0));
    t.is(mac.length, 16);
    t.not(toHex(mac), '48a8997da407876b3d79c0d92325ad3b'); // prefix of the 256-bit KAT
    t.is(toHex(mac), toHex(backends[0]!.mac(key, new Uint8Array(0))));
  });

  test(`${c.name}: X25519 RFC 7748 §5.2 and §6.1`, (t) => {
    t.is(toHex(c.x25519(hex('a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4'),
      hex('e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c'))!),
    'c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552');
    t.is(toHex(c.x25519(hex('4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d'),
      hex('e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493'))!),
    '95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957');
    const alice = hex('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a');
    const bob = hex('5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb');
    t.is(toHex(c.x25519Public(alice)), '8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a');
    t.is(toHex(c.x25519Public(bob)), 'de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f');
    const shared = '4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742';
    t.is(toHex(c.x25519(alice, c.x25519Public(bob))!), shared);
    t.is(toHex(c.x25519(bob, c.x25519Public(alice))!), shared);
    // A low-order point gives an all-zero secret: reported as null, never as a key.
    t.is(c.x25519(alice, new Uint8Array(32)), null);
  });

  test(`${c.name}: HKDF KDF1/2/3 vectors from wireguard-go kdf_test.go`, (t) => {
    const vectors = [
      ['746573742d6b6579', '746573742d696e707574', '6f0e5ad38daba1bea8a0d213688736f19763239305e0f58aba697f9ffc41c633',
        'df1194df20802a4fe594cde27e92991c8cae66c366e8106aaa937a55fa371e8a', 'fac6e2745a325f5dc5d11a5b165aad08b0ada28e7b4e666b7c077934a4d76c24'],
      ['776972656775617264', '776972656775617264', '491d43bbfdaa8750aaf535e334ecbfe5129967cd64635101c566d4caefda96e8',
        '1e71a379baefd8a79aa4662212fcafe19a23e2b609a3db7d6bcba8f560e3d25f', '31e1ae48bddfbe5de38f295e5452b1909a1b4e38e183926af3780b0c1e1f0160'],
      ['', '', '8387b46bf43eccfcf349552a095d8315c4055beb90208fb1be23b894bc2ed5d0',
        '58a0e5f6faefccf4807bff1f05fa8a9217945762040bcec2f4b4a62bdfe0e86e', '0ce6ea98ec548f8e281e93e32db65621c45eb18dc6f0a7ad94178610a2f7338e'],
    ] as const;
    for (const [key, input, t0, t1, t2] of vectors) {
      const k = hex(key);
      const i = hex(input);
      t.deepEqual(kdf3(c, k, i).map(toHex), [t0, t1, t2]);
      t.deepEqual(kdf2(c, k, i).map(toHex), [t0, t1]);
      t.is(toHex(kdf1(c, k, i)), t0);
    }
  });
}

test('keys: generated private keys are clamped and derive the RFC public key', (t) => {
  for (let i = 0; i < 20; i++) {
    const k = generatePrivateKey();
    t.is(k[0]! & 7, 0);
    t.is(k[31]! & 0x80, 0);
    t.is(k[31]! & 0x40, 0x40);
  }
  const alice = clampPrivateKey(hex('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a'));
  t.is(toHex(publicKeyFromPrivate(alice)), '8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a');
  for (const c of backends) t.is(toHex(publicKeyFromPrivate(alice, c)), toHex(publicKeyFromPrivate(alice)));
});

test('keys: base64 round trip and strict validation', (t) => {
  const k = generatePrivateKey();
  const text = keyToBase64(k);
  t.is(text.length, 44);
  t.deepEqual(keyFromBase64(text), k);
  for (const bad of ['', 'abc', `${text}=`, text.slice(0, 43), text.replace(/.$/, 'A'), `${text.slice(0, 42)}B=`, ' '.repeat(44),
    'A'.repeat(43) + '-', 'A'.repeat(42) + '==']) {
    if (bad === text) continue;
    t.throws(() => keyFromBase64(bad), undefined, bad);
  }
  t.throws(() => keyToBase64(new Uint8Array(31)));
});
