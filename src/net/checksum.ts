// The Internet checksum (RFC 1071): ones' complement sum of 16-bit big-endian words. Pure.

/** Adds `data` to a running 32-bit sum (not folded). */
export function sumWords(data: Uint8Array, start: number, end: number, sum = 0): number {
  let i = start;
  // Eight bytes per step keeps the loop short; the sum stays exact in a double for any packet size.
  for (; i + 8 <= end; i += 8) {
    sum += ((data[i]! << 8) | data[i + 1]!) + ((data[i + 2]! << 8) | data[i + 3]!)
      + ((data[i + 4]! << 8) | data[i + 5]!) + ((data[i + 6]! << 8) | data[i + 7]!);
  }
  for (; i + 1 < end; i += 2) sum += (data[i]! << 8) | data[i + 1]!;
  if (i < end) sum += data[i]! << 8;
  return sum;
}

/** Folds a running sum to 16 bits and complements it. */
export function finish(sum: number): number {
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  return ~sum & 0xffff;
}

export function checksum(data: Uint8Array, start = 0, end = data.length): number {
  return finish(sumWords(data, start, end));
}
