// libubox blob attributes: a 4-byte big-endian header (bit 31 = extended, bits 30..24 = id,
// bits 23..0 = length including the header, excluding padding), the payload, then zero padding
// to a multiple of 4. Pure functions over Uint8Array; no I/O.

export const BLOB_ATTR_EXTENDED = 0x80000000;
export const BLOB_ATTR_ID_MASK = 0x7f000000;
export const BLOB_ATTR_ID_SHIFT = 24;
export const BLOB_ATTR_LEN_MASK = 0x00ffffff;
export const BLOB_HDR_LEN = 4;

export class BlobError extends Error {
  override name = 'BlobError';
}

export function pad4(n: number): number {
  return (n + 3) & ~3;
}

export interface BlobAttr {
  id: number;
  extended: boolean;
  /** Payload only (no header, no padding). A view into the parsed buffer, not a copy. */
  data: Uint8Array;
  /** Header + payload (no padding): what blob_put_raw() would copy. */
  raw: Uint8Array;
}

/** Reads the attribute at `offset`; throws when the header or length does not fit in `end`. */
export function readAttr(buf: Uint8Array, offset: number, end = buf.length): BlobAttr {
  if (offset + BLOB_HDR_LEN > end) throw new BlobError(`truncated blob header at offset ${offset}`);
  const idLen = ((buf[offset]! << 24) | (buf[offset + 1]! << 16) | (buf[offset + 2]! << 8) | buf[offset + 3]!) >>> 0;
  const len = idLen & BLOB_ATTR_LEN_MASK;
  if (len < BLOB_HDR_LEN) throw new BlobError(`blob length ${len} below header size at offset ${offset}`);
  if (offset + len > end) throw new BlobError(`blob length ${len} at offset ${offset} overruns its container`);
  return {
    id: (idLen & BLOB_ATTR_ID_MASK) >>> BLOB_ATTR_ID_SHIFT,
    extended: (idLen & BLOB_ATTR_EXTENDED) !== 0,
    data: buf.subarray(offset + BLOB_HDR_LEN, offset + len),
    raw: buf.subarray(offset, offset + len),
  };
}

/**
 * Every attribute inside a container payload, in order. Like libubox's blob_for_each_attr with the
 * bounds checks of blob_check_type/blobmsg_check_attr: a length that overruns the container throws,
 * since nothing after it can be trusted.
 */
export function parseAttrs(payload: Uint8Array): BlobAttr[] {
  const out: BlobAttr[] = [];
  let off = 0;
  while (off < payload.length) {
    const a = readAttr(payload, off);
    out.push(a);
    off += pad4(a.raw.length);
  }
  return out;
}

/**
 * Builds blob attributes the way libubox's blob_buf does: a root attribute (id 0) whose length
 * grows with every padded child, with nesting by remembering where each container starts.
 */
export class BlobWriter {
  private buf: Uint8Array;
  private view: DataView;
  private pos = 0;
  private readonly stack: number[] = [];

  constructor(initialSize = 256) {
    this.buf = new Uint8Array(initialSize);
    this.view = new DataView(this.buf.buffer);
    this.stack.push(this.openHeader(0, false));
  }

  private ensure(extra: number): void {
    const need = this.pos + extra;
    if (need <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < need) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  private openHeader(id: number, extended: boolean): number {
    if (id < 0 || id > 0x7f) throw new BlobError(`blob id ${id} out of range`);
    this.ensure(BLOB_HDR_LEN);
    const start = this.pos;
    this.view.setUint32(start, ((extended ? BLOB_ATTR_EXTENDED : 0) | (id << BLOB_ATTR_ID_SHIFT)) >>> 0);
    this.pos += BLOB_HDR_LEN;
    return start;
  }

  private setLen(start: number, len: number): void {
    if (len > BLOB_ATTR_LEN_MASK) throw new BlobError(`blob attribute of ${len} bytes is too long`);
    const head = this.view.getUint32(start) & ~BLOB_ATTR_LEN_MASK;
    this.view.setUint32(start, (head | len) >>> 0);
  }

  private padTo4(): void {
    const padded = pad4(this.pos);
    this.ensure(padded - this.pos);
    this.buf.fill(0, this.pos, padded);
    this.pos = padded;
  }

  /** Starts an attribute, writes `head` bytes (e.g. a blobmsg name header) then `data`, closes it. */
  put(id: number, data: Uint8Array, extended = false, head?: Uint8Array): this {
    const start = this.openHeader(id, extended);
    const total = (head?.length ?? 0) + data.length;
    this.ensure(total);
    if (head) { this.buf.set(head, this.pos); this.pos += head.length; }
    this.buf.set(data, this.pos);
    this.pos += data.length;
    this.setLen(start, BLOB_HDR_LEN + total);
    this.padTo4();
    return this;
  }

  putU8(id: number, v: number): this { return this.put(id, Uint8Array.of(v & 0xff)); }

  putU32(id: number, v: number): this {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, v >>> 0);
    return this.put(id, b);
  }

  putString(id: number, s: string): this { return this.put(id, cString(s)); }

  /** Copies an already encoded attribute (header + payload) as is, like blob_put_raw. */
  putRaw(raw: Uint8Array): this {
    this.ensure(raw.length);
    this.buf.set(raw, this.pos);
    this.pos += raw.length;
    this.padTo4();
    return this;
  }

  /** Opens a container attribute; children follow until end(). `head` is written first (blobmsg). */
  open(id: number, extended = false, head?: Uint8Array): this {
    const start = this.openHeader(id, extended);
    if (head) {
      this.ensure(head.length);
      this.buf.set(head, this.pos);
      this.pos += head.length;
    }
    this.stack.push(start);
    return this;
  }

  close(): this {
    if (this.stack.length <= 1) throw new BlobError('close() without open()');
    const start = this.stack.pop()!;
    this.padTo4();
    this.setLen(start, this.pos - start);
    return this;
  }

  /** The root attribute (id 0, header included), ready to follow a ubus message header. */
  finish(): Uint8Array {
    if (this.stack.length !== 1) throw new BlobError(`${this.stack.length - 1} container(s) left open`);
    this.setLen(0, this.pos);
    return this.buf.slice(0, this.pos);
  }
}

const encoder = new TextEncoder();

/** A string as libubox stores it: UTF-8 bytes and a terminating NUL. */
export function cString(s: string): Uint8Array {
  const bytes = encoder.encode(s);
  const out = new Uint8Array(bytes.length + 1);
  out.set(bytes);
  return out;
}

const decoder = new TextDecoder('utf-8', { fatal: false });

/**
 * Reads a NUL-terminated string payload; throws when the terminator is missing. Like C, the value
 * ends at the first NUL (libubox only checks that the last byte is one).
 */
export function readCString(data: Uint8Array): string {
  if (data.length === 0 || data[data.length - 1] !== 0) throw new BlobError('string is not NUL-terminated');
  return decoder.decode(data.subarray(0, data.indexOf(0)));
}

export function readU32(data: Uint8Array): number {
  return ((data[0]! << 24) | (data[1]! << 16) | (data[2]! << 8) | data[3]!) >>> 0;
}
