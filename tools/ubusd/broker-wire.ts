// What the broker reads off the wire, with ubusd's own (lenient) rules rather than the strict codec's:
// ubusd frames by the root blob's raw length, never looks at the version byte, parses message
// attributes with blob_parse_untrusted and a policy that types only eight of them, and skips an
// attribute whose length overruns instead of refusing the message. Pure functions; no I/O.

import { Attr, UBUS_MAX_MSGLEN, UBUS_MSG_HDR_LEN } from '../../src/ubus/constants.js';
import { pad4, readU32 } from '../../src/ubus/blob.js';

const ATTR_MAX = 14; // UBUS_ATTR_MAX

/** One message as ubusd holds it: the header fields and the root blob (header + raw_len - 4 bytes). */
export interface Frame {
  version: number;
  type: number;
  seq: number;
  peer: number;
  /** The whole frame as received (8-byte header + root blob of its raw length). */
  bytes: Uint8Array;
}

/** The root blob's payload: what follows the 12 bytes of message header and root header. */
export function framePayload(f: Frame): Uint8Array {
  return f.bytes.subarray(UBUS_MSG_HDR_LEN + 4);
}

/**
 * Splits a client's byte stream like ubusd's client_cb: 12 bytes of header, then the root blob's
 * remaining raw_len - 4 bytes (not its padded length). A root length below 4 or a padded length
 * over UBUS_MAX_MSGLEN sets `error` (the frames before it still count): ubusd disconnects such a client.
 */
export class FrameSplitter {
  private chunks: Buffer[] = [];
  private buffered = 0;
  /** Why the stream cannot be read any further; once set, nothing more is returned. */
  error: string | null = null;

  /** Bytes held for an incomplete frame (bounded by UBUS_MAX_MSGLEN + a read's worth). */
  get pending(): number { return this.buffered; }

  push(chunk: Buffer): Frame[] {
    const out: Frame[] = [];
    if (this.error !== null) return out;
    if (chunk.length > 0) { this.chunks.push(chunk); this.buffered += chunk.length; }
    while (this.buffered >= UBUS_MSG_HDR_LEN + 4) {
      const head = this.peek(UBUS_MSG_HDR_LEN + 4);
      const rawLen = readU32(head.subarray(8, 12)) & 0x00ffffff;
      if (rawLen < 4 || pad4(rawLen) > UBUS_MAX_MSGLEN) {
        this.error = rawLen < 4 ? `root blob length ${rawLen} below 4` : `message of ${pad4(rawLen)} bytes exceeds ${UBUS_MAX_MSGLEN}`;
        this.chunks = [];
        this.buffered = 0;
        break;
      }
      const total = UBUS_MSG_HDR_LEN + rawLen;
      if (this.buffered < total) break;
      const bytes = this.take(total);
      out.push({ version: bytes[0]!, type: bytes[1]!, seq: (bytes[2]! << 8) | bytes[3]!, peer: readU32(bytes.subarray(4, 8)), bytes });
    }
    return out;
  }

  private flatten(): Buffer {
    if (this.chunks.length > 1) this.chunks = [Buffer.concat(this.chunks, this.buffered)];
    return this.chunks[0]!;
  }

  private peek(n: number): Buffer {
    return this.chunks[0]!.length >= n ? this.chunks[0]!.subarray(0, n) : this.flatten().subarray(0, n);
  }

  private take(n: number): Buffer {
    const first = this.chunks[0]!.length >= n ? this.chunks[0]! : this.flatten();
    const frame = first.subarray(0, n);
    if (first.length === n) this.chunks.shift();
    else this.chunks[0] = first.subarray(n);
    this.buffered -= n;
    return frame;
  }
}

/** A blob attribute found by the lenient parser: where it sits in its container. */
export interface AttrRef {
  /** The container the attribute lives in (reads past a short attribute land here, as in C). */
  buf: Uint8Array;
  /** Offset of the attribute header in buf. */
  off: number;
  /** raw_len: header + payload, unpadded. */
  len: number;
}

export const attrData = (a: AttrRef): Uint8Array => a.buf.subarray(a.off + 4, a.off + a.len);
export const attrRaw = (a: AttrRef): Uint8Array => a.buf.subarray(a.off, a.off + a.len);

const rawLenAt = (buf: Uint8Array, off: number) => readU32(buf.subarray(off, off + 4)) & 0x00ffffff;
const idAt = (buf: Uint8Array, off: number) => (buf[off]! & 0x7f);
const extendedAt = (buf: Uint8Array, off: number) => (buf[off]! & 0x80) !== 0;

/** Reads like blob_get_u32 on an attribute of any size: four bytes from its payload, zero past the buffer. */
export function getU32(a: AttrRef): number {
  const p = a.off + 4;
  let v = 0;
  for (let i = 0; i < 4; i++) v = (v << 8) | (a.buf[p + i] ?? 0);
  return v >>> 0;
}

export function getU8(a: AttrRef): number {
  return a.buf[a.off + 4] ?? 0;
}

/** A NUL-terminated payload as C reads it (up to the first NUL), one char per byte (latin1). */
export function getCString(a: AttrRef): string {
  return cStringAt(a.buf, a.off + 4, a.off + a.len);
}

export function cStringAt(buf: Uint8Array, start: number, end: number): string {
  let stop = start;
  while (stop < end && buf[stop] !== 0) stop++;
  return Buffer.from(buf.buffer, buf.byteOffset + start, stop - start).toString('latin1');
}

/**
 * Iterates a container's attributes as blob_for_each_attr does: it stops, silently, at the first
 * attribute whose padded length is below 4 or does not fit in what remains.
 */
export function* eachAttr(buf: Uint8Array, start = 0, end = buf.length): Generator<AttrRef> {
  let off = start;
  while (end - off >= 4) {
    const len = rawLenAt(buf, off);
    const padded = pad4(len);
    if (padded < 4 || padded > end - off) return;
    yield { buf, off, len };
    off += padded;
  }
}

type Kind = 'int32' | 'string' | 'any';
// ubus_policy in ubusd_proto.c: only these are type-checked; every other id below UBUS_ATTR_MAX is taken as is.
const UBUSD_POLICY: Kind[] = Array.from({ length: ATTR_MAX }, () => 'any');
UBUSD_POLICY[Attr.OBJTYPE] = 'int32';
UBUSD_POLICY[Attr.OBJID] = 'int32';
UBUSD_POLICY[Attr.STATUS] = 'int32';
UBUSD_POLICY[Attr.OBJPATH] = 'string';
UBUSD_POLICY[Attr.METHOD] = 'string';
UBUSD_POLICY[Attr.USER] = 'string';
UBUSD_POLICY[Attr.GROUP] = 'string';

/**
 * The message attributes of a frame, indexed by id, as ubus_parse_msg finds them: the extended bit is
 * ignored, an attribute failing its policy check or overrunning what remains is skipped, a later
 * duplicate wins.
 */
export function parseUbusdAttrs(f: Frame): Array<AttrRef | undefined> {
  const tb: Array<AttrRef | undefined> = new Array(ATTR_MAX);
  const buf = f.bytes;
  const start = UBUS_MSG_HDR_LEN + 4;
  let off = start;
  let rem = buf.length - start;
  while (rem >= 4) {
    const len = rawLenAt(buf, off);
    const padded = pad4(len);
    if (padded < 4 || padded > rem) break;
    const id = idAt(buf, off);
    if (id < ATTR_MAX && len >= 4 && len <= rem && policyAccepts(UBUSD_POLICY[id]!, buf, off, len)) {
      tb[id] = { buf, off, len };
    }
    off += padded;
    rem -= padded;
  }
  return tb;
}

function policyAccepts(kind: Kind, buf: Uint8Array, off: number, len: number): boolean {
  if (kind === 'int32') return len - 4 === 4;
  if (kind === 'string') return len - 4 >= 1 && buf[off + len - 1] === 0;
  return true;
}

// blobmsg (libubox blobmsg.c): which wire types blobmsg_check_attr size-checks, and how.
const BLOBMSG_TYPE_LAST = 8;
const FIXED: Record<number, number> = { 7: 1, 5: 4, 4: 8, 8: 8 }; // INT8, INT32, INT64, DOUBLE
const STRING = 3;
const UNSPEC_BINARY = 0;

/** Offset of a blobmsg attribute's value (after the name header), or -1 when the header does not fit. */
export function blobmsgDataOff(a: AttrRef): number {
  const payload = a.len - 4;
  if (payload < 2) return -1;
  const nameLen = (a.buf[a.off + 4]! << 8) | a.buf[a.off + 5]!;
  const hdr = pad4(2 + nameLen + 1);
  return hdr > payload ? -1 : a.off + 4 + hdr;
}

/** blobmsg_name: the name up to its first NUL (latin1). */
export function blobmsgName(a: AttrRef): string {
  const nameLen = (a.buf[a.off + 4]! << 8) | a.buf[a.off + 5]!;
  return cStringAt(a.buf, a.off + 6, Math.min(a.off + 6 + nameLen, a.off + a.len));
}

/** blobmsg_get_string: the value up to its first NUL (latin1). */
export function blobmsgString(a: AttrRef): string {
  return cStringAt(a.buf, blobmsgDataOff(a), a.off + a.len);
}

/** blobmsg_get_u32 (the policy already checked the size). */
export function blobmsgU32(a: AttrRef): number {
  const p = blobmsgDataOff(a);
  return readU32(a.buf.subarray(p, p + 4));
}

export function blobmsgData(a: AttrRef): Uint8Array {
  return a.buf.subarray(blobmsgDataOff(a), a.off + a.len);
}

/**
 * blobmsg_check_attr_len: a sane header, a NUL-terminated name (non-empty when `name`), a known
 * type, and the exact size for fixed-size values. Containers' contents are not looked at. A plain
 * (non-extended) attribute passes the name check unless a name is required; where C would read
 * outside the attribute we say no.
 */
export function blobmsgCheckAttr(a: AttrRef, name: boolean, room = a.len): boolean {
  if (room < 4 || a.len < 4 || a.len > room) return false;
  if (extendedAt(a.buf, a.off)) {
    const payload = a.len - 4;
    if (payload < 2) return false;
    const nameLen = (a.buf[a.off + 4]! << 8) | a.buf[a.off + 5]!;
    if (name && nameLen === 0) return false;
    if (payload < pad4(2 + nameLen + 1)) return false;
    if (a.buf[a.off + 6 + nameLen] !== 0) return false;
  } else if (name) {
    return false;
  }
  const id = idAt(a.buf, a.off);
  if (id > BLOBMSG_TYPE_LAST) return false;
  const fixed = FIXED[id];
  if (fixed === undefined && id !== STRING && id !== UNSPEC_BINARY) return true;
  const dataOff = blobmsgDataOff(a);
  if (dataOff < 0) return false;
  const dataLen = a.off + a.len - dataOff;
  if (fixed !== undefined) return dataLen === fixed;
  if (id === STRING) return dataLen >= 1 && a.buf[dataOff + dataLen - 1] === 0;
  return true;
}

export interface BlobmsgPolicy { name: string; type: number }

/**
 * blobmsg_parse over a table payload: the first element of the right name and type fills each slot;
 * the walk stops at the first element failing blobmsg_check_attr, keeping what it found before.
 */
export function blobmsgParse(policy: readonly BlobmsgPolicy[], payload: Uint8Array | undefined): Array<AttrRef | undefined> {
  const tb: Array<AttrRef | undefined> = new Array(policy.length);
  if (!payload || payload.length === 0) return tb;
  for (const a of eachAttr(payload)) {
    if (!blobmsgCheckAttr(a, false, payload.length)) break;
    if (!extendedAt(a.buf, a.off)) continue;
    const n = blobmsgName(a);
    const nameLen = (a.buf[a.off + 4]! << 8) | a.buf[a.off + 5]!;
    policy.forEach((p, i) => {
      if (tb[i] || idAt(a.buf, a.off) !== p.type || nameLen !== p.name.length || n !== p.name) return;
      tb[i] = a;
    });
  }
  return tb;
}

/** A C string as bytes with its NUL, from our byte-per-char (latin1) form. */
export function latin1Z(s: string): Uint8Array {
  const b = Buffer.alloc(s.length + 1);
  b.write(s, 'latin1');
  return b;
}

/** The blobmsg name header (be16 length, name, NUL, zero padding) for a latin1 name. */
export function nameHeaderLatin1(name: string): Uint8Array {
  const head = new Uint8Array(pad4(2 + name.length + 1));
  head[0] = (name.length >> 8) & 0xff;
  head[1] = name.length & 0xff;
  head.set(Buffer.from(name, 'latin1'), 2);
  return head;
}

/** A UTF-8 string (from a JSON file, a command line) in the broker's byte-per-char form, cut at a NUL like C. */
export function toLatin1(s: string): string {
  const b = Buffer.from(s, 'utf8');
  const nul = b.indexOf(0);
  return (nul < 0 ? b : b.subarray(0, nul)).toString('latin1');
}
