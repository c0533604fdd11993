// SHA-crypt ($5$ SHA-256, $6$ SHA-512; Drepper's "Unix crypt using SHA-256 and SHA-512"), what
// crypt(3) computes for the password hashes rpcd compares in `config login`. Node has no crypt().

import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

const ITOA64 = './0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const ROUNDS_DEFAULT = 5000;
const ROUNDS_MIN = 1000;
const ROUNDS_MAX = 999_999_999;
const SALT_MAX = 16;

type Alg = { id: '5' | '6'; hash: 'sha256' | 'sha512'; size: number; order: number[][] };

const SHA256: Alg = {
  id: '5', hash: 'sha256', size: 32,
  order: [[0, 10, 20], [21, 1, 11], [12, 22, 2], [3, 13, 23], [24, 4, 14], [15, 25, 5], [6, 16, 26], [27, 7, 17], [18, 28, 8], [9, 19, 29], [-1, 31, 30]],
};
const SHA512: Alg = {
  id: '6', hash: 'sha512', size: 64,
  order: [[0, 21, 42], [22, 43, 1], [44, 2, 23], [3, 24, 45], [25, 46, 4], [47, 5, 26], [6, 27, 48], [28, 49, 7], [50, 8, 29], [9, 30, 51],
    [31, 52, 10], [53, 11, 32], [12, 33, 54], [34, 55, 13], [56, 14, 35], [15, 36, 57], [37, 58, 16], [59, 17, 38], [18, 39, 60], [40, 61, 19],
    [62, 20, 41], [-1, -1, 63]],
};

const H = (alg: Alg, ...parts: Buffer[]) => {
  const h = createHash(alg.hash);
  for (const p of parts) h.update(p);
  return h.digest();
};

/** `len` bytes of `block` repeated. */
function stretch(block: Buffer, len: number): Buffer {
  const out = Buffer.alloc(len);
  for (let i = 0; i < len; i += block.length) block.copy(out, i, 0, Math.min(block.length, len - i));
  return out;
}

function encode(alg: Alg, d: Buffer): string {
  let out = '';
  for (const group of alg.order) {
    const bytes = group.map((i) => (i < 0 ? 0 : d[i]!));
    let w = (bytes[0]! << 16) | (bytes[1]! << 8) | bytes[2]!;
    const n = group[0]! >= 0 ? 4 : group[1]! >= 0 ? 3 : 2;
    for (let k = 0; k < n; k++, w >>= 6) out += ITOA64[w & 0x3f];
  }
  return out;
}

function compute(alg: Alg, password: Buffer, salt: Buffer, rounds: number): Buffer {
  const b = H(alg, password, salt, password);
  const actx = createHash(alg.hash).update(password).update(salt).update(stretch(b, password.length));
  for (let n = password.length; n > 0; n >>= 1) actx.update(n & 1 ? b : password);
  const a = actx.digest();
  const dp = H(alg, ...Array<Buffer>(password.length).fill(password));
  const p = stretch(dp, password.length);
  const ds = H(alg, ...Array<Buffer>(16 + a[0]!).fill(salt));
  const s = stretch(ds, salt.length);
  let c = a;
  for (let i = 0; i < rounds; i++) {
    const h = createHash(alg.hash).update(i & 1 ? p : c);
    if (i % 3) h.update(s);
    if (i % 7) h.update(p);
    c = h.update(i & 1 ? c : p).digest();
  }
  return c;
}

/** crypt(password, setting) for `$5$[rounds=N$]salt[$…]` and `$6$…`; null for any other setting. */
export function shaCrypt(password: string, setting: string): string | null {
  const m = /^\$([56])\$(?:rounds=(\d+)\$)?([^$]*)/.exec(setting);
  if (!m) return null;
  const alg = m[1] === '5' ? SHA256 : SHA512;
  const rounds = m[2] === undefined ? ROUNDS_DEFAULT : Math.min(ROUNDS_MAX, Math.max(ROUNDS_MIN, Number(m[2])));
  const salt = Buffer.from(m[3]!, 'utf8').subarray(0, SALT_MAX);
  const digest = compute(alg, Buffer.from(password, 'utf8'), salt, rounds);
  return `$${alg.id}$${m[2] === undefined ? '' : `rounds=${rounds}$`}${salt.toString('utf8')}$${encode(alg, digest)}`;
}

/** A new `$6$` hash with a random salt, for writing the lab's /etc/config/rpcd. */
export function hashPassword(password: string): string {
  const salt = [...randomBytes(SALT_MAX)].map((x) => ITOA64[x & 0x3f]).join('');
  return shaCrypt(password, `$6$${salt}`)!;
}

/** rpcd's check: the password's hash under the stored hash's setting equals the stored hash. */
export function verifyPassword(password: string, stored: string): boolean {
  const got = shaCrypt(password, stored);
  if (got === null) return false;
  const a = Buffer.from(got);
  const b = Buffer.from(stored);
  return a.length === b.length && timingSafeEqual(a, b);
}
