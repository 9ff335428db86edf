import { BreakglassError } from '../errors';

/** A value that has exactly one canonical JSON text. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** Deepest nesting of lists and objects accepted (entries are small, flat records). */
export const MAX_DEPTH = 32;

/**
 * A lone (unpaired) UTF-16 surrogate: not representable in I-JSON (RFC 7493), so rejected
 * (and `Buffer.from` would turn it into U+FFFD silently).
 */
export const LONE_SURROGATE = /\p{Cs}/u;

/**
 * The canonical JSON text of `value` (RFC 8785, JSON Canonicalization Scheme):
 * - object members sorted by key, comparing UTF-16 code units (JavaScript's default
 *   string order, not code points and not locale order), no whitespace;
 * - numbers in ECMAScript's shortest round-trip form (`1e+21`, `0.1`, `5e-324`);
 *   `-0` is written `0` as RFC 8785 and JSON.stringify do; NaN and ±Infinity are rejected;
 * - strings escaped as JSON.stringify does (`\"`, `\\`, `\b\f\n\r\t`, other controls as
 *   lowercase `\u00xx`, everything else literal); lone surrogates are rejected;
 * - an object member whose value is `undefined` is omitted (the defined form of an
 *   absent optional field); `undefined` anywhere else, functions, symbols, bigints,
 *   class instances (Date, Buffer, Map…), cycles and nesting deeper than MAX_DEPTH are
 *   rejected with AUDIT_NOT_JSON.
 */
export function canonicalize(value: unknown): string {
  return serialize(value, 0, '');
}

function serialize(value: unknown, depth: number, path: string): string {
  switch (typeof value) {
    case 'string':
      return serializeString(value, path);
    case 'number':
      if (!Number.isFinite(value)) fail(path, `${String(value)} is not a JSON number`);
      return String(value); // ECMAScript Number::toString; String(-0) === '0'
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object':
      if (value === null) return 'null';
      if (depth >= MAX_DEPTH) fail(path, `nested deeper than ${MAX_DEPTH} levels (or a cycle)`);
      if (Array.isArray(value)) return serializeArray(value, depth, path);
      return serializeObject(value as Record<string, unknown>, depth, path);
    case 'undefined':
      return fail(path, 'undefined is not a JSON value (omit the member instead)');
    case 'bigint':
      return fail(path, 'a bigint has no JSON form (write it as a decimal string)');
    default:
      return fail(path, `a ${typeof value} has no JSON form`);
  }
}

function serializeString(s: string, path: string): string {
  if (LONE_SURROGATE.test(s)) fail(path, 'the string holds a lone UTF-16 surrogate (not valid Unicode)');
  return JSON.stringify(s);
}

function serializeArray(list: unknown[], depth: number, path: string): string {
  let out = '[';
  for (let i = 0; i < list.length; i++) {
    if (i > 0) out += ',';
    out += serialize(list[i], depth + 1, `${path}[${i}]`);
  }
  return out + ']';
}

function serializeObject(obj: Record<string, unknown>, depth: number, path: string): string {
  const proto = Object.getPrototypeOf(obj) as unknown;
  if (proto !== Object.prototype && proto !== null) {
    const name = (obj as { constructor?: { name?: string } }).constructor?.name ?? 'object';
    fail(
      path,
      `a ${name} instance is not a plain object (convert it to strings, numbers, lists and plain objects)`,
    );
  }
  const keys = Object.keys(obj).sort();
  let out = '{';
  let first = true;
  for (const key of keys) {
    const member = obj[key];
    if (member === undefined) continue;
    const memberPath = path ? `${path}.${key}` : key;
    if (!first) out += ',';
    first = false;
    out += serializeString(key, memberPath) + ':' + serialize(member, depth + 1, memberPath);
  }
  return out + '}';
}

function fail(path: string, problem: string): never {
  throw new BreakglassError('AUDIT_NOT_JSON', `${path || '(value)'}: ${problem}`, {
    details: { path: path || '(value)' },
  });
}
