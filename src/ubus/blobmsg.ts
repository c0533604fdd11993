// blobmsg: named, typed values (libubox blobmsg.h). A blobmsg attribute is a blob attribute with the
// extended bit set and id = type; its payload starts with be16 name length, the name, a NUL, zero
// padding to 4, then the value. Pure functions; no I/O.

import { BlobmsgType } from './constants.js';
import { BlobError, BlobWriter, cString, parseAttrs, pad4, readCString, readU32, type BlobAttr } from './blob.js';

/** A value as JSON sees it. Integers beyond 2^53 come back as bigint. */
export type BlobmsgValue = null | boolean | number | bigint | string | BlobmsgValue[] | BlobmsgTable;
export interface BlobmsgTable { [name: string]: BlobmsgValue }

/** One decoded element with its wire type kept, for argument checks against a policy. */
export interface BlobmsgEntry {
  name: string;
  type: BlobmsgType;
  value: BlobmsgValue;
}

export class BlobmsgError extends BlobError {
  override name = 'BlobmsgError';
}

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

/** The blobmsg name header: be16 length, the name, a NUL, zero padding to 4. */
export function nameHeader(name: string): Uint8Array {
  const n = cString(name);
  const nameLen = n.length - 1;
  if (nameLen > 0xffff) throw new BlobmsgError('blobmsg name longer than 65535 bytes');
  const head = new Uint8Array(pad4(2 + n.length));
  head[0] = nameLen >> 8;
  head[1] = nameLen & 0xff;
  head.set(n, 2);
  return head;
}

function int(bytes: number, v: number | bigint): Uint8Array {
  const b = new Uint8Array(bytes);
  const dv = new DataView(b.buffer);
  if (bytes === 8) dv.setBigInt64(0, BigInt.asIntN(64, BigInt(v)));
  else if (bytes === 4) dv.setInt32(0, Number(v));
  else if (bytes === 2) dv.setInt16(0, Number(v));
  else dv.setInt8(0, Number(v));
  return b;
}

/** Writes one blobmsg element of an explicit type. */
export function putTyped(w: BlobWriter, type: BlobmsgType, name: string, value: number | bigint | string | boolean | null): void {
  const head = nameHeader(name);
  switch (type) {
    case BlobmsgType.UNSPEC: w.put(type, new Uint8Array(0), true, head); return;
    case BlobmsgType.STRING: w.put(type, cString(String(value)), true, head); return;
    case BlobmsgType.INT64: w.put(type, int(8, typeof value === 'bigint' ? value : Number(value)), true, head); return;
    case BlobmsgType.INT32: w.put(type, int(4, Number(value)), true, head); return;
    case BlobmsgType.INT16: w.put(type, int(2, Number(value)), true, head); return;
    case BlobmsgType.INT8: w.put(type, int(1, typeof value === 'boolean' ? (value ? 1 : 0) : Number(value)), true, head); return;
    case BlobmsgType.DOUBLE: {
      const b = new Uint8Array(8);
      new DataView(b.buffer).setFloat64(0, Number(value));
      w.put(type, b, true, head);
      return;
    }
    default: throw new BlobmsgError(`putTyped cannot write container type ${type}`);
  }
}

/**
 * Writes a JSON value with the type choices of libubox's blobmsg_add_json_element (what `ubus call`
 * sends): booleans INT8, integers INT32 when they fit else INT64, other numbers DOUBLE, null UNSPEC.
 */
export function putJson(w: BlobWriter, name: string, value: unknown): void {
  if (value === null || value === undefined) return putTyped(w, BlobmsgType.UNSPEC, name, null);
  switch (typeof value) {
    case 'boolean': return putTyped(w, BlobmsgType.INT8, name, value);
    case 'bigint': return putTyped(w, BlobmsgType.INT64, name, value);
    case 'number':
      if (Number.isInteger(value)) {
        return putTyped(w, value >= INT32_MIN && value <= INT32_MAX ? BlobmsgType.INT32 : BlobmsgType.INT64, name, value);
      }
      return putTyped(w, BlobmsgType.DOUBLE, name, value);
    case 'string': return putTyped(w, BlobmsgType.STRING, name, value);
    case 'object': {
      const isArray = Array.isArray(value);
      w.open(isArray ? BlobmsgType.ARRAY : BlobmsgType.TABLE, true, nameHeader(name));
      if (isArray) for (const v of value) putJson(w, '', v);
      else for (const [k, v] of Object.entries(value as object)) if (v !== undefined) putJson(w, k, v);
      w.close();
      return;
    }
    default: throw new BlobmsgError(`cannot encode a ${typeof value} as blobmsg`);
  }
}

/** Writes the members of a table as a nested attribute with a plain (non-blobmsg) id, e.g. UBUS_ATTR_DATA. */
export function putJsonTableAttr(w: BlobWriter, attrId: number, table: Record<string, unknown>): void {
  w.open(attrId);
  for (const [k, v] of Object.entries(table)) if (v !== undefined) putJson(w, k, v);
  w.close();
}

/** Splits one blobmsg attribute into its name and value bytes, checking what blobmsg_check_attr checks. */
export function splitElement(a: BlobAttr): { name: string; value: Uint8Array } {
  if (!a.extended) throw new BlobmsgError(`attribute id ${a.id} is not a blobmsg element (extended bit clear)`);
  if (a.data.length < 3) throw new BlobmsgError('blobmsg header truncated');
  const nameLen = (a.data[0]! << 8) | a.data[1]!;
  const hdrLen = pad4(2 + nameLen + 1);
  if (hdrLen > a.data.length) throw new BlobmsgError(`blobmsg name length ${nameLen} overruns the attribute`);
  if (a.data[2 + nameLen] !== 0) throw new BlobmsgError('blobmsg name is not NUL-terminated');
  return {
    name: new TextDecoder().decode(a.data.subarray(2, 2 + nameLen)),
    value: a.data.subarray(hdrLen),
  };
}

const FIXED_SIZE: Partial<Record<BlobmsgType, number>> = {
  [BlobmsgType.INT64]: 8,
  [BlobmsgType.INT32]: 4,
  [BlobmsgType.INT16]: 2,
  [BlobmsgType.INT8]: 1,
  [BlobmsgType.DOUBLE]: 8,
};

function decodeValue(type: number, v: Uint8Array, depth: number): BlobmsgValue {
  const fixed = FIXED_SIZE[type as BlobmsgType];
  if (fixed !== undefined && v.length !== fixed) {
    throw new BlobmsgError(`blobmsg ${BlobmsgType[type]} with ${v.length} bytes instead of ${fixed}`);
  }
  const dv = new DataView(v.buffer, v.byteOffset, v.byteLength);
  switch (type) {
    case BlobmsgType.UNSPEC: return null;
    case BlobmsgType.STRING: return readCString(v);
    case BlobmsgType.INT8: return v[0] !== 0;
    case BlobmsgType.INT16: return dv.getInt16(0);
    case BlobmsgType.INT32: return dv.getInt32(0);
    case BlobmsgType.INT64: {
      const big = dv.getBigInt64(0);
      return big >= BigInt(Number.MIN_SAFE_INTEGER) && big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big;
    }
    case BlobmsgType.DOUBLE: return dv.getFloat64(0);
    case BlobmsgType.TABLE: return decodeTable(v, depth + 1);
    case BlobmsgType.ARRAY: return decodeArray(v, depth + 1);
    default: throw new BlobmsgError(`unknown blobmsg type ${type}`);
  }
}

// Nesting deeper than this is refused rather than risking the stack on hostile input.
const MAX_DEPTH = 64;

/** Every element of a table payload with its wire type, in order (duplicates kept). */
export function decodeEntries(payload: Uint8Array, depth = 0): BlobmsgEntry[] {
  if (depth > MAX_DEPTH) throw new BlobmsgError('blobmsg nested too deeply');
  return parseAttrs(payload).map((a) => {
    const { name, value } = splitElement(a);
    return { name, type: a.id as BlobmsgType, value: decodeValue(a.id, value, depth) };
  });
}

/** A table payload (e.g. UBUS_ATTR_DATA's) as an object; a later duplicate name wins, as in json. */
export function decodeTable(payload: Uint8Array, depth = 0): BlobmsgTable {
  const out: BlobmsgTable = {};
  for (const e of decodeEntries(payload, depth)) out[e.name] = e.value;
  return out;
}

export function decodeArray(payload: Uint8Array, depth = 0): BlobmsgValue[] {
  return decodeEntries(payload, depth).map((e) => e.value);
}

/** Reads an INT32 element's value as blobmsg_get_u32 does (used for signatures: argname = type). */
export function readElementU32(a: BlobAttr): number {
  return readU32(splitElement(a).value);
}

/**
 * JSON text for a decoded value; bigints print as plain integers (JSON.stringify refuses them).
 * With an indent (the ubus CLI uses a tab) entries go one per line, `"key": value`.
 */
export function toJsonText(value: BlobmsgValue, indent = ''): string {
  return stringify(value, indent, '');
}

function stringify(v: BlobmsgValue, indent: string, pad: string): string {
  if (typeof v === 'bigint') return v.toString();
  if (v === null || typeof v !== 'object') return JSON.stringify(v);
  const inner = pad + indent;
  const nl = indent ? '\n' : '';
  const sep = indent ? ': ' : ':';
  const items = Array.isArray(v)
    ? v.map((x) => inner + stringify(x, indent, inner))
    : Object.entries(v).map(([k, x]) => inner + JSON.stringify(k) + sep + stringify(x, indent, inner));
  const [open, close] = Array.isArray(v) ? ['[', ']'] : ['{', '}'];
  if (items.length === 0) return open + close;
  return open + nl + items.join(',' + nl) + nl + pad + close;
}
