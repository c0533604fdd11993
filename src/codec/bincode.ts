// bincode 1.x as Nym's service-provider messages use it: `DefaultOptions` with big-endian byte order
// and varint integers (nymtech/nym common/authenticator-requests/src/lib.rs, make_bincode_serializer).
// The format is concatenative: a struct is its fields in order, an enum is its variant index (a varint
// u32) followed by the variant's fields, so an encoded value can be spliced into a larger message.
//
// Varint integers (unsigned): below 251 one byte; otherwise a tag byte — 251 u16, 252 u32, 253 u64 —
// followed by the value big-endian. Signed integers are zigzag-mapped first. `u8`, `bool` and fixed
// arrays (`[u8; N]`, serialised as tuples) are raw bytes; byte vectors and strings are a varint length
// then the bytes; `Option` is a 0/1 byte then the value. DefaultOptions refuses trailing bytes.

const U16_TAG = 251;
const U32_TAG = 252;
const U64_TAG = 253;
const U128_TAG = 254;

export class BincodeError extends Error {
  override name = 'BincodeError';
}

export class BincodeWriter {
  private buf = new Uint8Array(64);
  private len = 0;

  private reserve(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }

  u8(v: number): this {
    if (!Number.isInteger(v) || v < 0 || v > 0xff) throw new BincodeError(`u8 out of range: ${v}`);
    this.reserve(1);
    this.buf[this.len++] = v;
    return this;
  }

  bool(v: boolean): this {
    return this.u8(v ? 1 : 0);
  }

  /** An unsigned integer of up to 64 bits, varint-encoded (u16, u32, u64 and usize lengths alike). */
  varint(value: number | bigint, maxBits: 16 | 32 | 64 = 64): this {
    const v = BigInt(value);
    if (v < 0n || v >= 1n << BigInt(maxBits)) throw new BincodeError(`u${maxBits} out of range: ${v}`);
    if (v < BigInt(U16_TAG)) return this.u8(Number(v));
    if (v <= 0xffffn) return this.u8(U16_TAG).raw(bigEndian(v, 2));
    if (v <= 0xffff_ffffn) return this.u8(U32_TAG).raw(bigEndian(v, 4));
    return this.u8(U64_TAG).raw(bigEndian(v, 8));
  }

  u16(v: number): this {
    return this.varint(v, 16);
  }

  u32(v: number): this {
    return this.varint(v, 32);
  }

  u64(v: number | bigint): this {
    return this.varint(v, 64);
  }

  /** A signed integer (i16/i32/i64): zigzag, then varint. */
  signed(value: number | bigint, bits: 16 | 32 | 64): this {
    const v = BigInt(value);
    const limit = 1n << BigInt(bits - 1);
    if (v < -limit || v >= limit) throw new BincodeError(`i${bits} out of range: ${v}`);
    const zigzag = v >= 0n ? v << 1n : ((-v) << 1n) - 1n;
    return this.varint(zigzag, bits);
  }

  /** Bytes as they are, no length: a fixed-size array, or an already encoded value. */
  raw(bytes: Uint8Array): this {
    this.reserve(bytes.length);
    this.buf.set(bytes, this.len);
    this.len += bytes.length;
    return this;
  }

  /** A byte vector or slice: varint length, then the bytes. */
  bytes(bytes: Uint8Array): this {
    return this.varint(bytes.length).raw(bytes);
  }

  string(s: string): this {
    return this.bytes(new TextEncoder().encode(s));
  }

  /** An enum's variant index (serde's u32 variant index). */
  variant(index: number): this {
    return this.u32(index);
  }

  option<T>(value: T | undefined, write: (w: this, v: T) => void): this {
    if (value === undefined) return this.u8(0);
    this.u8(1);
    write(this, value);
    return this;
  }

  /** A sequence: varint length, then each element. */
  seq<T>(items: readonly T[], write: (w: this, v: T) => void): this {
    this.varint(items.length);
    for (const item of items) write(this, item);
    return this;
  }

  finish(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}

export class BincodeReader {
  private pos = 0;

  constructor(private readonly data: Uint8Array) {}

  get offset(): number {
    return this.pos;
  }

  get remaining(): number {
    return this.data.length - this.pos;
  }

  private take(n: number, what: string): Uint8Array {
    if (n > this.remaining) throw new BincodeError(`${what}: needs ${n} bytes at offset ${this.pos}, ${this.remaining} left`);
    const out = this.data.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  u8(what = 'u8'): number {
    return this.take(1, what)[0]!;
  }

  bool(what = 'bool'): boolean {
    const b = this.u8(what);
    if (b > 1) throw new BincodeError(`${what}: ${b} is not a bool`);
    return b === 1;
  }

  varint(maxBits: 16 | 32 | 64 = 64, what = `u${maxBits}`): bigint {
    const tag = this.u8(what);
    let v: bigint;
    if (tag < U16_TAG) v = BigInt(tag);
    else if (tag === U16_TAG) v = fromBigEndian(this.take(2, what));
    else if (tag === U32_TAG) v = fromBigEndian(this.take(4, what));
    else if (tag === U64_TAG) v = fromBigEndian(this.take(8, what));
    else if (tag === U128_TAG) throw new BincodeError(`${what}: a u128 where at most u${maxBits} fits`);
    else throw new BincodeError(`${what}: invalid varint tag ${tag}`);
    if (v >= 1n << BigInt(maxBits)) throw new BincodeError(`${what}: ${v} does not fit in u${maxBits}`);
    return v;
  }

  u16(what = 'u16'): number {
    return Number(this.varint(16, what));
  }

  u32(what = 'u32'): number {
    return Number(this.varint(32, what));
  }

  u64(what = 'u64'): bigint {
    return this.varint(64, what);
  }

  signed(bits: 16 | 32 | 64, what = `i${bits}`): bigint {
    const z = this.varint(bits, what);
    return (z & 1n) === 0n ? z >> 1n : -((z + 1n) >> 1n);
  }

  raw(n: number, what = `[u8; ${n}]`): Uint8Array {
    return this.take(n, what);
  }

  /** A length-prefixed byte vector; `max` bounds the length before anything is taken. */
  bytes(max: number, what = 'bytes'): Uint8Array {
    const n = this.length(max, what);
    return this.take(n, what);
  }

  string(max: number, what = 'string'): string {
    const b = this.bytes(max, what);
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(b);
    } catch {
      throw new BincodeError(`${what}: not UTF-8`);
    }
  }

  variant(count: number, what = 'enum'): number {
    const i = this.u32(what);
    if (i >= count) throw new BincodeError(`${what}: unknown variant ${i}`);
    return i;
  }

  option<T>(read: (r: this) => T, what = 'option'): T | undefined {
    const tag = this.u8(what);
    if (tag === 0) return undefined;
    if (tag !== 1) throw new BincodeError(`${what}: invalid option tag ${tag}`);
    return read(this);
  }

  seq<T>(max: number, read: (r: this) => T, what = 'seq'): T[] {
    const n = this.length(max, what);
    const out: T[] = [];
    for (let i = 0; i < n; i++) out.push(read(this));
    return out;
  }

  /** DefaultOptions rejects trailing bytes: call after the last field. */
  end(what = 'message'): void {
    if (this.remaining !== 0) throw new BincodeError(`${what}: ${this.remaining} trailing bytes`);
  }

  private length(max: number, what: string): number {
    const n = this.varint(64, `${what} length`);
    if (n > BigInt(max)) throw new BincodeError(`${what}: length ${n} over the bound ${max}`);
    return Number(n);
  }
}

function bigEndian(v: bigint, bytes: number): Uint8Array {
  const out = new Uint8Array(bytes);
  for (let i = bytes - 1; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

function fromBigEndian(b: Uint8Array): bigint {
  let v = 0n;
  for (const x of b) v = (v << 8n) | BigInt(x);
  return v;
}

/** Runs a decoder, turning a BincodeError into the caller's own error type (one per message family). */
export function withBincodeErrors<T>(f: () => T, toError: (message: string) => Error): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof BincodeError) throw toError(e.message);
    throw e;
  }
}
