// Reading JSON answers strictly in the shapes upstream's serde types have: a missing or mistyped required
// field is an error naming its path ("summary.devices.max: missing"); unknown fields are ignored (a newer
// API adds some); `null` is accepted where upstream has an Option. Texts are bounded.

export class ShapeError extends Error {
  override name = 'ShapeError';
  constructor(
    readonly path: string,
    problem: string,
  ) {
    super(`${path}: ${problem}`);
  }
}

const MAX_TEXT = 4096;

export type Json = Record<string, unknown>;

export function object(v: unknown, path: string): Json {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new ShapeError(path, `expected an object, got ${kindOf(v)}`);
  return v as Json;
}

export function array(v: unknown, path: string, max = 10_000): unknown[] {
  if (!Array.isArray(v)) throw new ShapeError(path, `expected an array, got ${kindOf(v)}`);
  if (v.length > max) throw new ShapeError(path, `more than ${max} items`);
  return v;
}

export function text(o: Json, key: string, path: string): string {
  const v = o[key];
  if (v === undefined) throw new ShapeError(`${path}.${key}`, 'missing');
  if (typeof v !== 'string') throw new ShapeError(`${path}.${key}`, `expected a string, got ${kindOf(v)}`);
  if (v.length > MAX_TEXT) throw new ShapeError(`${path}.${key}`, `longer than ${MAX_TEXT} characters`);
  return v;
}

export function optionalText(o: Json, key: string, path: string): string | undefined {
  return o[key] === undefined || o[key] === null ? undefined : text(o, key, path);
}

export function number(o: Json, key: string, path: string): number {
  const v = o[key];
  if (v === undefined) throw new ShapeError(`${path}.${key}`, 'missing');
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new ShapeError(`${path}.${key}`, `expected a number, got ${kindOf(v)}`);
  return v;
}

export function optionalNumber(o: Json, key: string, path: string): number | undefined {
  return o[key] === undefined || o[key] === null ? undefined : number(o, key, path);
}

/** A u64 count (JSON number, whole, not negative). */
export function count(o: Json, key: string, path: string): number {
  const v = number(o, key, path);
  if (!Number.isSafeInteger(v) || v < 0) throw new ShapeError(`${path}.${key}`, `expected a whole number ≥ 0, got ${v}`);
  return v;
}

export function flag(o: Json, key: string, path: string): boolean {
  const v = o[key];
  if (v === undefined) throw new ShapeError(`${path}.${key}`, 'missing');
  if (typeof v !== 'boolean') throw new ShapeError(`${path}.${key}`, `expected true or false, got ${kindOf(v)}`);
  return v;
}

/** One of upstream's snake_case enum values. */
export function oneOf<T extends string>(o: Json, key: string, path: string, values: readonly T[]): T {
  const v = text(o, key, path);
  if (!(values as readonly string[]).includes(v)) throw new ShapeError(`${path}.${key}`, `'${v.slice(0, 40)}' is not one of ${values.join(', ')}`);
  return v as T;
}

function kindOf(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v;
}
