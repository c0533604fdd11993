// The Internet checksum against RFC 1071's definition, summed here the slow and obvious way: 16-bit
// big-endian words, one at a time. The daemon reads payloads four bytes at a time in the machine's order,
// so every length, start, alignment and buffer must come out the same, to the bit.
import test from 'ava';
import { randomBytes } from 'node:crypto';
import { checksum, finish, sumWords } from '../../src/net/checksum.js';

function reference(data: Uint8Array, start: number, end: number, initial = 0): number {
  let sum = initial;
  for (let i = start; i < end; i += 2) sum += (data[i]! << 8) | (i + 1 < end ? data[i + 1]! : 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

test('every length from 0 to 1600 at every alignment gives the RFC 1071 checksum', (t) => {
  const slab = randomBytes(4096);
  let cases = 0;
  for (let len = 0; len <= 1600; len++) {
    for (let align = 0; align < 4; align++) {
      for (const start of [0, 1]) {
        const view = slab.subarray(align + 100, align + 100 + start + len);
        if (finish(sumWords(view, start, start + len)) !== reference(view, start, start + len)) {
          t.fail(`length ${len}, alignment ${align}, start ${start}`);
          return;
        }
        cases++;
      }
    }
  }
  t.is(cases, 1601 * 8);
});

test('a running sum carries into the payload exactly as the pseudo-header needs it', (t) => {
  const data = randomBytes(1500);
  for (const initial of [0, 17, 0xffff, 0x10000, 0x3fffe, 1234567]) {
    t.is(finish(sumWords(data, 8, 1428, initial)), reference(data, 8, 1428, initial));
  }
});

test('all zeros, all ones, and sums that land on 0xffff are told apart as RFC 1071 does', (t) => {
  for (const len of [64, 65, 1400, 1401]) {
    t.is(checksum(new Uint8Array(len)), 0xffff, `zeros, ${len}`);
    t.is(checksum(new Uint8Array(len).fill(0xff)), reference(new Uint8Array(len).fill(0xff), 0, len), `ones, ${len}`);
  }
  const p = new Uint8Array(200);
  p[0] = 0xff; p[1] = 0xfe; p[2] = 0x00; p[3] = 0x01; // sums to 0xffff: the checksum is 0
  t.is(checksum(p), reference(p, 0, 200));
  t.is(checksum(p), 0);
});

test('views of different buffers, one after another, are each summed from their own bytes', (t) => {
  const a = randomBytes(3000);
  const b = Buffer.from(randomBytes(3000)); // Node's pool or its own buffer: either way another ArrayBuffer
  const c = new Uint8Array(new SharedArrayBuffer(3000));
  c.set(randomBytes(3000));
  for (let i = 0; i < 50; i++) {
    for (const v of [a, b, c]) {
      const s = (i * 37) % 500;
      t.is(finish(sumWords(v, s, s + 1400)), reference(v, s, s + 1400));
    }
  }
});

test('a range past the end of the view is refused, never summed from the neighbouring bytes of its slab', (t) => {
  const slab = randomBytes(4096);
  const view = slab.subarray(1000, 2400);
  t.throws(() => sumWords(view, 0, 1401), { instanceOf: RangeError });
  t.throws(() => sumWords(view, -1, 1300), { instanceOf: RangeError });
  t.is(finish(sumWords(view, 0, 1400)), reference(view, 0, 1400));
});
