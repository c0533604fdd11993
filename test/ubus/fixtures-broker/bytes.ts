// Byte helpers for the broker tests: captured frames with their random ids swapped for ours, and
// hand-made frames for what no builder would produce.

import { loadCapturedFrames } from '../captures.js';

// Read on first use: files that only want the helpers below run without ../shared.
let frames: ReturnType<typeof loadCapturedFrames> | undefined;

/** A captured frame by its index in ubus-captures.md (see the capture tests for the numbering). */
export function captured(index: number): Uint8Array {
  frames ??= loadCapturedFrames();
  const f = frames[index];
  if (!f) throw new Error(`no captured frame ${index}`);
  return Uint8Array.from(f.bytes);
}

/** Replaces every 4-byte-aligned occurrence of each old id by the new one (ids sit at aligned offsets). */
export function swapIds(bytes: Uint8Array, ids: ReadonlyArray<readonly [number, number]>): Uint8Array {
  const out = Buffer.from(bytes);
  for (let off = 0; off + 4 <= out.length; off += 4) {
    const v = out.readUInt32BE(off);
    for (const [from, to] of ids) if (v === from) out.writeUInt32BE(to >>> 0, off);
  }
  return out;
}

export const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

export function u32(b: Uint8Array, off: number): number {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).readUInt32BE(off);
}

/** A frame from parts: header fields and a root payload given as is (any bytes, any length). */
export function rawFrame(type: number, seq: number, peer: number, payload: Uint8Array, opts: { version?: number; rootLen?: number } = {}): Uint8Array {
  const out = Buffer.alloc(12 + payload.length);
  out[0] = opts.version ?? 0;
  out[1] = type;
  out.writeUInt16BE(seq & 0xffff, 2);
  out.writeUInt32BE(peer >>> 0, 4);
  out.writeUInt32BE((opts.rootLen ?? 4 + payload.length) >>> 0, 8);
  Buffer.from(payload).copy(out, 12);
  return out;
}

/** One plain blob attribute (header, payload, zero padding). */
export function attr(id: number, payload: Uint8Array | number[], opts: { extended?: boolean; len?: number } = {}): Uint8Array {
  const p = Uint8Array.from(payload);
  const padded = (p.length + 3) & ~3;
  const out = Buffer.alloc(4 + padded);
  out.writeUInt32BE(((opts.extended ? 0x80000000 : 0) | (id << 24) | (opts.len ?? 4 + p.length)) >>> 0, 0);
  Buffer.from(p).copy(out, 4);
  return out;
}

export const be32 = (v: number) => { const b = Buffer.alloc(4); b.writeUInt32BE(v >>> 0); return b; };
export const cstr = (s: string) => Buffer.from(s + '\0', 'latin1');
export const cat = (...parts: Uint8Array[]) => Buffer.concat(parts.map((p) => Buffer.from(p)));
