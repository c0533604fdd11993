// Base58 (Bitcoin alphabet, as the `bs58` crate upstream uses) for blobs larger than @scure/base accepts:
// its base58 refuses inputs over 4,096 characters, and a ticketbook exported with its signature sets is
// several times that. Digits are folded ten at a time into one BigInt (58^10 < 2^59), so a 20 kB blob
// decodes in milliseconds; the caller bounds the length.
import { EcashError } from './errors.js';

const ALPHABET = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';
const VALUE = new Map([...ALPHABET].map((c, i) => [c, BigInt(i)]));

export function decodeBase58Large(s: string, maxChars: number, what: string): Uint8Array {
  if (s.length > maxChars) throw new EcashError('length', what, `${s.length} base58 characters, at most ${maxChars}`);
  let zeros = 0;
  while (zeros < s.length && s[zeros] === '1') zeros++;
  let value = 0n;
  for (let i = zeros; i < s.length; i += 10) {
    const chunk = s.slice(i, i + 10);
    let part = 0n;
    for (const c of chunk) {
      const v = VALUE.get(c);
      if (v === undefined) throw new EcashError('format', what, `not base58: ${JSON.stringify(c)}`);
      part = part * 58n + v;
    }
    value = value * 58n ** BigInt(chunk.length) + part;
  }
  const hex = value === 0n ? '' : value.toString(16);
  const body = Buffer.from(hex.length % 2 ? `0${hex}` : hex, 'hex');
  const out = new Uint8Array(zeros + body.length);
  out.set(body, zeros);
  return out;
}

export function encodeBase58Large(bytes: Uint8Array): string {
  let zeros = 0;
  while (zeros < bytes.length && bytes[zeros] === 0) zeros++;
  let value = bytes.length > zeros ? BigInt(`0x${Buffer.from(bytes.subarray(zeros)).toString('hex')}`) : 0n;
  const digits: string[] = [];
  while (value > 0n) {
    digits.push(ALPHABET[Number(value % 58n)]!);
    value /= 58n;
  }
  return '1'.repeat(zeros) + digits.reverse().join('');
}
