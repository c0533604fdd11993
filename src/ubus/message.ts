// ubus messages: an 8-byte header (u8 version 0, u8 type, be16 seq, be32 peer) followed by one blob
// attribute (id 0) holding the message attributes (ubusmsg.h). Pure functions; no I/O.

import { Attr, MsgType, UBUS_MAX_MSGLEN, UBUS_MSG_HDR_LEN, ATTR_LAST } from './constants.js';
import { BlobError, BlobWriter, parseAttrs, pad4, readAttr, readCString, readU32 } from './blob.js';

export interface UbusHeader {
  type: MsgType;
  seq: number;
  peer: number;
}

export interface UbusMessage extends UbusHeader {
  /** The payload of the root blob: the concatenated message attributes. */
  body: Uint8Array;
}

/** Message attributes after ubusd's policy checks; an attribute failing its check is absent. */
export interface MsgAttrs {
  status?: number;
  objpath?: string;
  objid?: number;
  method?: string;
  objtype?: number;
  /** Payload of the nested attribute (blobmsg elements). */
  signature?: Uint8Array;
  data?: Uint8Array;
  /** The DATA attribute as it came (header + payload), to forward it unchanged. */
  dataRaw?: Uint8Array;
  target?: number;
  active?: number;
  noReply?: number;
  subscribers?: Uint8Array;
  user?: string;
  group?: string;
}

type Kind = 'int32' | 'int8' | 'string' | 'nested';
// ubus_policy in ubusd_proto.c / libubus.c: the blob type each message attribute must have.
const POLICY: Partial<Record<Attr, Kind>> = {
  [Attr.STATUS]: 'int32',
  [Attr.OBJPATH]: 'string',
  [Attr.OBJID]: 'int32',
  [Attr.METHOD]: 'string',
  [Attr.OBJTYPE]: 'int32',
  [Attr.SIGNATURE]: 'nested',
  [Attr.DATA]: 'nested',
  [Attr.TARGET]: 'int32',
  [Attr.ACTIVE]: 'int8',
  [Attr.NO_REPLY]: 'int8',
  [Attr.SUBSCRIBERS]: 'nested',
  [Attr.USER]: 'string',
  [Attr.GROUP]: 'string',
};

export class UbusFrameError extends Error {
  override name = 'UbusFrameError';
}

/** Encodes a whole message: header then the root blob built by `w` (or an empty one). */
export function encodeMessage(h: UbusHeader, w?: BlobWriter): Uint8Array {
  const blob = (w ?? new BlobWriter(4)).finish();
  const out = new Uint8Array(UBUS_MSG_HDR_LEN + blob.length);
  const dv = new DataView(out.buffer);
  dv.setUint8(0, 0);
  dv.setUint8(1, h.type);
  dv.setUint16(2, h.seq & 0xffff);
  dv.setUint32(4, h.peer >>> 0);
  out.set(blob, UBUS_MSG_HDR_LEN);
  return out;
}

/**
 * How many bytes the frame starting with these 12 bytes occupies, or an error for a header we
 * refuse (version ≠ 0, root length < 4, padded payload over UBUS_MAX_MSGLEN). Like ubusd and
 * libubus, the frame is the header plus the root's raw length: its padding is not read.
 */
export function frameLength(head: Uint8Array): number {
  if (head.length < UBUS_MSG_HDR_LEN + 4) throw new UbusFrameError('need 12 bytes to size a frame');
  if (head[0] !== 0) throw new UbusFrameError(`unsupported ubus message version ${head[0]}`);
  const len = readU32(head.subarray(8, 12)) & 0x00ffffff;
  if (len < 4) throw new UbusFrameError(`root blob length ${len} below 4`);
  if (pad4(len) > UBUS_MAX_MSGLEN) throw new UbusFrameError(`message of ${pad4(len)} bytes exceeds ${UBUS_MAX_MSGLEN}`);
  return UBUS_MSG_HDR_LEN + len;
}

/** Decodes one complete frame (as sized by frameLength). */
export function decodeMessage(frame: Uint8Array): UbusMessage {
  const total = frameLength(frame);
  if (frame.length < total) throw new UbusFrameError(`frame of ${frame.length} bytes, header says ${total}`);
  const root = readAttr(frame, UBUS_MSG_HDR_LEN, total);
  const dv = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  return { type: frame[1] as MsgType, seq: dv.getUint16(2), peer: dv.getUint32(4), body: root.data };
}

/**
 * Parses the message attributes with ubusd's policy: an attribute of the wrong size or type is
 * treated as absent (blob_parse_untrusted), a later duplicate wins. Throws only when the attribute
 * lengths themselves are broken, in which case nothing in the message can be trusted.
 */
export function parseMsgAttrs(body: Uint8Array): MsgAttrs {
  const out: MsgAttrs = {};
  for (const a of parseAttrs(body)) {
    if (a.extended || a.id === 0 || a.id >= ATTR_LAST) continue;
    const kind = POLICY[a.id as Attr];
    const d = a.data;
    switch (kind) {
      case 'int32': {
        if (d.length !== 4) continue;
        const v = readU32(d);
        if (a.id === Attr.STATUS) out.status = v | 0;
        else if (a.id === Attr.OBJID) out.objid = v;
        else if (a.id === Attr.OBJTYPE) out.objtype = v;
        else if (a.id === Attr.TARGET) out.target = v;
        break;
      }
      case 'int8':
        if (d.length !== 1) continue;
        if (a.id === Attr.ACTIVE) out.active = d[0]!;
        else out.noReply = d[0]!;
        break;
      case 'string': {
        let s: string;
        try { s = readCString(d); } catch { continue; }
        if (a.id === Attr.OBJPATH) out.objpath = s;
        else if (a.id === Attr.METHOD) out.method = s;
        else if (a.id === Attr.USER) out.user = s;
        else out.group = s;
        break;
      }
      case 'nested':
        if (a.id === Attr.SIGNATURE) out.signature = d;
        else if (a.id === Attr.DATA) { out.data = d; out.dataRaw = a.raw; }
        else out.subscribers = d;
        break;
      default:
        break;
    }
  }
  return out;
}

/**
 * Splits a byte stream into frames. Feed it chunks; it yields whole frames and keeps the rest.
 * A bad header throws UbusFrameError: the stream is then out of sync and the peer must be dropped.
 */
export class FrameReader {
  private chunks: Uint8Array[] = [];
  private buffered = 0;
  /** Bytes of an oversized frame still to be thrown away as they arrive. */
  private discarding = 0;
  /** Frames over UBUS_MAX_MSGLEN skipped so far (never buffered: their bytes are dropped as they come). */
  oversized = 0;

  push(chunk: Uint8Array): Uint8Array[] {
    if (this.discarding > 0) {
      const n = Math.min(this.discarding, chunk.length);
      this.discarding -= n;
      chunk = chunk.subarray(n);
      if (chunk.length === 0) return [];
    }
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    const frames: Uint8Array[] = [];
    for (;;) {
      if (this.buffered < UBUS_MSG_HDR_LEN + 4) break;
      const head = this.peek(UBUS_MSG_HDR_LEN + 4);
      const total = oversizedFrameLength(head) ?? frameLength(head);
      if (oversizedFrameLength(head) !== undefined) {
        // A frame the bus should never have sent (a call that grew past the limit when forwarded): skip
        // it, whole, without buffering it. The framing stays intact, so the connection lives on; only the
        // caller of that message goes unanswered.
        this.oversized++;
        const have = Math.min(this.buffered, total);
        this.take(have);
        this.discarding = total - have;
        if (this.discarding > 0) break;
        continue;
      }
      if (this.buffered < total) break;
      frames.push(this.take(total));
    }
    return frames;
  }

  private peek(n: number): Uint8Array {
    if (this.chunks[0]!.length >= n) return this.chunks[0]!.subarray(0, n);
    this.chunks = [concat(this.chunks, this.buffered)];
    return this.chunks[0]!.subarray(0, n);
  }

  private take(n: number): Uint8Array {
    if (this.chunks[0]!.length < n) this.chunks = [concat(this.chunks, this.buffered)];
    const first = this.chunks[0]!;
    const frame = first.subarray(0, n);
    if (first.length === n) this.chunks.shift();
    else this.chunks[0] = first.subarray(n);
    this.buffered -= n;
    return frame;
  }
}

/** The whole length of a well-formed frame header announcing more than UBUS_MAX_MSGLEN; else undefined. */
function oversizedFrameLength(head: Uint8Array): number | undefined {
  if (head[0] !== 0) return undefined;
  const len = readU32(head.subarray(8, 12)) & 0x00ffffff;
  return len >= 4 && pad4(len) > UBUS_MAX_MSGLEN ? UBUS_MSG_HDR_LEN + len : undefined;
}

function concat(chunks: Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total);
  let off = 0;
  for (const c of chunks) { out.set(c, off); off += c.length; }
  return out;
}

export { BlobError };
