import { BreakglassError } from '../errors';
import type { CounterOptions, DeleteOptions, ListOptions, PutOptions } from './types';

/** Names of namespaces, keys, counters, logs and channels. */
export const NAME_RE = /^[A-Za-z0-9._:@/-]{1,200}$/;
/** Largest value, log entry or message, in UTF-8 bytes. */
export const MAX_VALUE_BYTES = 16 * 1024 * 1024;
/** Log entry hashes: printable ASCII without spaces (hex, base64, base64url, `sha256:…`). */
export const HASH_RE = /^[\x21-\x7e]{1,200}$/;
export const DEFAULT_LIST_LIMIT = 10_000;
export const MAX_LIST_LIMIT = 10_000;
export const DEFAULT_READ_LIMIT = 1_000;
export const MAX_READ_LIMIT = 10_000;
/** Longest TTL or counter window accepted (100 years), to keep epoch arithmetic exact. */
const MAX_DURATION_MS = 100 * 365 * 86_400_000;

function invalid(message: string, details: Record<string, unknown>): BreakglassError {
  return new BreakglassError('STORE_INVALID_ARGUMENT', message, { details });
}

export function checkName(kind: string, name: unknown): string {
  if (typeof name !== 'string' || !NAME_RE.test(name)) {
    const shown =
      typeof name === 'string'
        ? JSON.stringify(name.length > 60 ? `${name.slice(0, 60)}…` : name)
        : typeof name;
    throw invalid(`invalid ${kind} name ${shown} (accepted: 1–200 characters of A-Z a-z 0-9 . _ : @ / -)`, {
      kind,
    });
  }
  return name;
}

export function checkValue(kind: string, value: unknown): string {
  if (typeof value !== 'string') throw invalid(`${kind} must be a string, got ${typeof value}`, { kind });
  // Cheap bound first: a UTF-16 string of n code units has at most 3n UTF-8 bytes.
  if (value.length * 3 > MAX_VALUE_BYTES && Buffer.byteLength(value, 'utf8') > MAX_VALUE_BYTES) {
    throw invalid(`${kind} is larger than 16 MiB (accepted: at most ${MAX_VALUE_BYTES} UTF-8 bytes)`, {
      kind,
    });
  }
  if (!value.isWellFormed()) {
    throw invalid(`${kind} contains a lone UTF-16 surrogate (accepted: well-formed Unicode text)`, { kind });
  }
  return value;
}

function checkInt(label: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    throw invalid(`${label} must be an integer from ${min} to ${max}, got ${String(value)}`, {
      option: label,
    });
  }
  return value;
}

export function checkPutOptions(options: PutOptions | undefined): { ifVersion?: number; ttlMs?: number } {
  if (options === undefined) return {};
  if (typeof options !== 'object' || options === null) throw invalid('put options must be an object', {});
  const out: { ifVersion?: number; ttlMs?: number } = {};
  if (options.ifVersion !== undefined)
    out.ifVersion = checkInt('ifVersion', options.ifVersion, 0, Number.MAX_SAFE_INTEGER);
  if (options.ttlMs !== undefined) out.ttlMs = checkInt('ttlMs', options.ttlMs, 1, MAX_DURATION_MS);
  return out;
}

export function checkDeleteOptions(options: DeleteOptions | undefined): { ifVersion?: number } {
  if (options === undefined) return {};
  if (typeof options !== 'object' || options === null) throw invalid('delete options must be an object', {});
  return options.ifVersion === undefined
    ? {}
    : { ifVersion: checkInt('ifVersion', options.ifVersion, 1, Number.MAX_SAFE_INTEGER) };
}

export function checkListOptions(options: ListOptions | undefined): { prefix: string; limit: number } {
  if (options === undefined) return { prefix: '', limit: DEFAULT_LIST_LIMIT };
  if (typeof options !== 'object' || options === null) throw invalid('list options must be an object', {});
  let prefix = '';
  if (options.prefix !== undefined && options.prefix !== '') {
    if (typeof options.prefix !== 'string' || !/^[A-Za-z0-9._:@/-]{1,200}$/.test(options.prefix)) {
      throw invalid('invalid list prefix (accepted: up to 200 characters of A-Z a-z 0-9 . _ : @ / -)', {
        option: 'prefix',
      });
    }
    prefix = options.prefix;
  }
  const limit =
    options.limit === undefined ? DEFAULT_LIST_LIMIT : checkInt('limit', options.limit, 1, MAX_LIST_LIMIT);
  return { prefix, limit };
}

export function checkCounterOptions(options: CounterOptions | undefined): { windowMs?: number } {
  if (options === undefined) return {};
  if (typeof options !== 'object' || options === null) throw invalid('counter options must be an object', {});
  return options.windowMs === undefined
    ? {}
    : { windowMs: checkInt('windowMs', options.windowMs, 1, MAX_DURATION_MS) };
}

export function checkReadLog(fromSeq: unknown, limit: unknown): { fromSeq: number; limit: number } {
  return {
    fromSeq: Math.max(1, checkInt('fromSeq', fromSeq, 0, Number.MAX_SAFE_INTEGER)),
    limit: limit === undefined ? DEFAULT_READ_LIMIT : checkInt('limit', limit, 1, MAX_READ_LIMIT),
  };
}

/** Validates what a LogEntryBuilder returned. */
export function checkBuilt(log: string, built: unknown): { data: string; hash: string } {
  if (typeof built !== 'object' || built === null) {
    throw invalid(`log ${log}: the entry builder must return { data, hash }`, { log });
  }
  const { data, hash } = built as { data?: unknown; hash?: unknown };
  if (typeof hash !== 'string' || !HASH_RE.test(hash)) {
    throw invalid(`log ${log}: entry hash must be 1–200 printable ASCII characters without spaces`, { log });
  }
  return { data: checkValue(`log ${log} entry data`, data), hash };
}

export function checkFunction(label: string, fn: unknown): void {
  if (typeof fn !== 'function') throw invalid(`${label} must be a function`, {});
}
