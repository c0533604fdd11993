// ubus-schema/: one description per method (arguments, reply, read|write class). From it come the
// signature registered with ubusd, the argument checks, the CLI help and the rpcd ACL — never
// written twice. This file loads a schema and checks values against it; pure apart from loadSchema.

import { UNICAST_RULE, isUnicastAddress } from '../net/unicast-address.js';
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { BlobmsgType, Status } from './constants.js';
import type { BlobmsgEntry, BlobmsgValue } from './blobmsg.js';
import type { MethodSignature } from './proto.js';
import { UbusError } from './errors.js';

export type FieldType = 'string' | 'int32' | 'int64' | 'bool' | 'double' | 'table' | 'array';

export interface Field {
  type: FieldType;
  description?: string;
  required?: boolean;
  enum?: string[];
  pattern?: string;
  /** What a value matching `pattern` is, for error messages ("a two-letter country code"). */
  expects?: string;
  /** 'ip': an IPv4/IPv6 address; 'ip-unicast': a plain unicast one (src/net/unicast-address.ts). */
  format?: 'ip' | 'ip-unicast';
  min?: number;
  max?: number;
  max_length?: number;
  max_items?: number;
  /** Never echoed back in errors or logs. */
  secret?: boolean;
  items?: Field;
  fields?: Record<string, Field>;
}

export interface MethodSchema {
  name: string;
  class: 'read' | 'write';
  /** Called by the system (hotplug), not by users: no CLI command, not in the LuCI ACL. */
  internal: boolean;
  description: string;
  args: Record<string, Field>;
  exclusive: string[][];
  reply: Field;
}

export interface Schema {
  object: string;
  description: string;
  methods: Record<string, MethodSchema>;
  notifications: Record<string, { description: string; data: Field }>;
}

/** uhttpd adds this argument to every call it forwards; methods accept and ignore it. */
export const RPC_SESSION_ARG = 'ubus_rpc_session';

const WIRE_TYPE: Record<FieldType, BlobmsgType> = {
  string: BlobmsgType.STRING,
  int32: BlobmsgType.INT32,
  int64: BlobmsgType.INT64,
  bool: BlobmsgType.INT8,
  double: BlobmsgType.DOUBLE,
  table: BlobmsgType.TABLE,
  array: BlobmsgType.ARRAY,
};

const TYPE_WORDS: Record<FieldType, string> = {
  string: 'a string',
  int32: 'a 32-bit integer',
  int64: 'an integer',
  bool: 'a boolean (true or false)',
  double: 'a number',
  table: 'an object',
  array: 'an array',
};

// Wire types each schema type accepts: `ubus call` sends small integers as INT32 even where an
// int64 or a double is meant, so those widen; nothing else is coerced.
const ACCEPTS: Record<FieldType, BlobmsgType[]> = {
  string: [BlobmsgType.STRING],
  int32: [BlobmsgType.INT32],
  int64: [BlobmsgType.INT64, BlobmsgType.INT32],
  bool: [BlobmsgType.INT8],
  double: [BlobmsgType.DOUBLE, BlobmsgType.INT32, BlobmsgType.INT64],
  table: [BlobmsgType.TABLE],
  array: [BlobmsgType.ARRAY],
};

type RawField = Partial<Field> & { $ref?: string; fields?: Record<string, RawField>; items?: RawField };

/** Parses a schema document, resolving `$ref`s; throws on anything malformed. */
export function parseSchema(doc: unknown): Schema {
  const d = doc as { object?: unknown; description?: string; definitions?: Record<string, RawField>; methods?: Record<string, unknown>; notifications?: Record<string, { description?: string; data: RawField }> };
  if (typeof d?.object !== 'string' || typeof d.methods !== 'object' || d.methods === null) throw new Error('schema needs "object" and "methods"');
  const defs = d.definitions ?? {};
  const resolve = (f: RawField, where: string, depth = 0): Field => {
    if (depth > 16) throw new Error(`${where}: $ref loop`);
    let base: RawField = f;
    if (f.$ref !== undefined) {
      const target = defs[f.$ref];
      if (!target) throw new Error(`${where}: unknown $ref '${f.$ref}'`);
      const { $ref: _r, ...rest } = f;
      base = { ...resolve(target, where, depth + 1), ...rest };
    }
    if (!base.type || !(base.type in WIRE_TYPE)) throw new Error(`${where}: bad type '${String(base.type)}'`);
    const out: Field = { ...(base as Field) };
    if (base.fields) out.fields = Object.fromEntries(Object.entries(base.fields).map(([k, v]) => [k, resolve(v, `${where}.${k}`, depth + 1)]));
    if (base.items) out.items = resolve(base.items, `${where}[]`, depth + 1);
    if (out.pattern !== undefined) new RegExp(out.pattern);
    if (out.format !== undefined && out.format !== 'ip' && out.format !== 'ip-unicast') throw new Error(`${where}: unknown format '${String(out.format)}'`);
    return out;
  };
  const methods: Record<string, MethodSchema> = {};
  for (const [name, raw] of Object.entries(d.methods)) {
    const m = raw as { class?: string; internal?: boolean; description?: string; args?: Record<string, RawField>; exclusive?: string[][]; reply?: RawField };
    if (m.class !== 'read' && m.class !== 'write') throw new Error(`${name}: class must be read or write`);
    const args = Object.fromEntries(Object.entries(m.args ?? {}).map(([k, v]) => [k, resolve(v, `${name}.${k}`)]));
    if (RPC_SESSION_ARG in args) throw new Error(`${name}: ${RPC_SESSION_ARG} is implicit`);
    for (const group of m.exclusive ?? []) for (const a of group) if (!(a in args)) throw new Error(`${name}: exclusive names unknown '${a}'`);
    methods[name] = {
      name,
      class: m.class,
      internal: m.internal === true,
      description: m.description ?? '',
      args,
      exclusive: m.exclusive ?? [],
      reply: resolve(m.reply ?? { type: 'table' }, `${name}.reply`),
    };
  }
  const notifications = Object.fromEntries(Object.entries(d.notifications ?? {}).map(([k, v]) => [k, { description: v.description ?? '', data: resolve(v.data, `notify.${k}`) }]));
  return { object: d.object, description: d.description ?? '', methods, notifications };
}

export function loadSchema(path: string): Schema {
  return parseSchema(JSON.parse(readFileSync(path, 'utf8')));
}

/** The signature ADD_OBJECT registers: each method's arguments with their blobmsg types. */
export function signatureOf(schema: Schema): MethodSignature[] {
  return Object.values(schema.methods).map((m) => ({
    name: m.name,
    args: Object.entries(m.args).map(([arg, f]) => [arg, WIRE_TYPE[f.type]] as const),
  }));
}

function invalid(field: string, message: string): UbusError {
  return new UbusError(Status.INVALID_ARGUMENT, `${field}: ${message}`, { error: `${field}: ${message}`, field });
}

function show(f: Field, v: unknown): string {
  if (f.secret) return '(hidden)';
  const s = typeof v === 'string' ? `'${v}'` : JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? x.toString() : x));
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

/**
 * Checks a call's arguments as they came off the wire. Unknown, duplicate, missing, mistyped or
 * out-of-range arguments raise INVALID_ARGUMENT with a message and a reply naming the field.
 */
export function checkArgs(m: MethodSchema, entries: readonly BlobmsgEntry[]): Record<string, BlobmsgValue> {
  const out: Record<string, BlobmsgValue> = {};
  const seen = new Set<string>();
  for (const e of entries) {
    if (seen.has(e.name)) throw invalid(e.name, 'given more than once');
    seen.add(e.name);
    if (e.name === RPC_SESSION_ARG) {
      if (e.type !== BlobmsgType.STRING) throw invalid(e.name, 'must be a string');
      continue;
    }
    const f = Object.hasOwn(m.args, e.name) ? m.args[e.name] : undefined;
    if (!f) {
      const known = Object.keys(m.args);
      throw invalid(e.name, `unknown argument of ${m.name} (${known.length ? `known: ${known.join(', ')}` : 'it takes none'})`);
    }
    if (!ACCEPTS[f.type].includes(e.type)) {
      throw invalid(e.name, `expected ${TYPE_WORDS[f.type]}, got ${BlobmsgType[e.type]?.toLowerCase() ?? `type ${e.type}`} ${show(f, e.value)}`);
    }
    const problem = checkValue(f, e.value);
    if (problem) throw invalid(e.name + problem.path, problem.message);
    out[e.name] = e.value;
  }
  for (const [name, f] of Object.entries(m.args)) if (f.required && !seen.has(name)) throw invalid(name, 'missing (required)');
  for (const group of m.exclusive) {
    const given = group.filter((a) => a in out && out[a] !== false);
    if (given.length > 1) throw invalid(given[1]!, `cannot be combined with ${given[0]}`);
  }
  return out;
}

interface Problem { path: string; message: string }

/** Checks a decoded value against a field (types by JSON kind, ranges, enums, patterns, shapes). */
export function checkValue(f: Field, v: unknown, path = ''): Problem | null {
  const bad = (message: string): Problem => ({ path, message });
  switch (f.type) {
    case 'string':
      if (typeof v !== 'string') return bad(`expected ${TYPE_WORDS.string}, got ${show(f, v)}`);
      if (f.max_length !== undefined && v.length > f.max_length) return bad(`longer than ${f.max_length} characters`);
      if (f.enum && !f.enum.includes(v)) return bad(`${show(f, v)} is not one of ${f.enum.join(', ')}`);
      if (f.pattern && !new RegExp(f.pattern).test(v)) return bad(`${show(f, v)} is not ${f.expects ?? `matching ${f.pattern}`}`);
      if (f.format === 'ip' && isIP(v) === 0) return bad(`${show(f, v)} is not an IP address`);
      if (f.format === 'ip-unicast' && !isUnicastAddress(v)) return bad(`${show(f, v)} is not ${UNICAST_RULE}`);
      return null;
    case 'int32':
    case 'int64':
    case 'double': {
      const isNum = typeof v === 'number' || typeof v === 'bigint';
      if (!isNum || (f.type !== 'double' && typeof v === 'number' && !Number.isInteger(v))) return bad(`expected ${TYPE_WORDS[f.type]}, got ${show(f, v)}`);
      if (f.type === 'int32' && (Number(v) < -2147483648 || Number(v) > 2147483647)) return bad(`${show(f, v)} does not fit 32 bits`);
      if (f.min !== undefined && Number(v) < f.min) return bad(`${show(f, v)} is below ${f.min}`);
      if (f.max !== undefined && Number(v) > f.max) return bad(`${show(f, v)} is above ${f.max}`);
      return null;
    }
    case 'bool':
      return typeof v === 'boolean' ? null : bad(`expected ${TYPE_WORDS.bool}, got ${show(f, v)}`);
    case 'array': {
      if (!Array.isArray(v)) return bad(`expected ${TYPE_WORDS.array}, got ${show(f, v)}`);
      if (f.max_items !== undefined && v.length > f.max_items) return bad(`more than ${f.max_items} items`);
      if (f.items) {
        for (let i = 0; i < v.length; i++) {
          const p = checkValue(f.items, v[i], `${path}[${i}]`);
          if (p) return p;
        }
      }
      return null;
    }
    case 'table': {
      if (typeof v !== 'object' || v === null || Array.isArray(v)) return bad(`expected ${TYPE_WORDS.table}, got ${show(f, v)}`);
      if (!f.fields) return null;
      const obj = v as Record<string, unknown>;
      for (const [k, sub] of Object.entries(f.fields)) {
        if (obj[k] === undefined) {
          if (sub.required) return { path: `${path}.${k}`, message: 'missing (required)' };
          continue;
        }
        const p = checkValue(sub, obj[k], `${path}.${k}`);
        if (p) return p;
      }
      for (const k of Object.keys(obj)) if (!(k in f.fields)) return { path: `${path}.${k}`, message: 'not in the schema' };
      return null;
    }
  }
}
