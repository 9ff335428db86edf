import { systemClock, type Clock } from '../core';
import { BreakglassError, hasCode } from '../errors';
import type { Store, StoredRecord } from './types';

export interface UpdateOptions {
  /** Attempts before giving up with STORE_CONFLICT (default 16). */
  maxAttempts?: number;
  /**
   * Expiry of the written record: a TTL in ms, `'keep'` (default: keep the current
   * record's remaining lifetime, none for a new record) or `'none'`.
   */
  ttlMs?: number | 'keep' | 'none';
  /** Clock used for `'keep'` (default: the system clock; pass the store's clock). */
  clock?: Clock;
}

/**
 * Computes the new value from the current record (null when absent). Return the new
 * value, or null to leave the record as it is. It may run several times (each time
 * with a fresher record), so it must not have side effects; throw to abort.
 */
export type UpdateFn = (current: StoredRecord | null) => string | null | Promise<string | null>;

/**
 * Read-modify-write with compare-and-set: reads the record, computes the new value
 * and writes it only if nobody changed the record meanwhile; on a conflict it reads
 * again and retries, up to `maxAttempts`. Resolves with the record as written (or
 * as found, when `fn` returned null; null when absent and left absent).
 */
export async function updateRecord(
  store: Store,
  ns: string,
  key: string,
  fn: UpdateFn,
  opts: UpdateOptions = {},
): Promise<StoredRecord | null> {
  const maxAttempts = opts.maxAttempts ?? 16;
  if (!Number.isSafeInteger(maxAttempts) || maxAttempts < 1) {
    throw new BreakglassError(
      'STORE_INVALID_ARGUMENT',
      `maxAttempts must be a positive integer, got ${String(maxAttempts)}`,
    );
  }
  const clock = opts.clock ?? systemClock;
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    const current = await store.get(ns, key);
    const value = await fn(current);
    if (value === null) return current;
    const ttlMs = ttlFor(opts.ttlMs ?? 'keep', current, clock);
    try {
      const version = await store.put(ns, key, value, {
        ifVersion: current?.version ?? 0,
        ...(ttlMs === undefined ? {} : { ttlMs }),
      });
      return Object.freeze({ value, version, expiresAt: ttlMs === undefined ? null : clock.now() + ttlMs });
    } catch (err) {
      if (!hasCode(err, 'STORE_CONFLICT')) throw err;
      // Let the writer that won finish its turn before reading again.
      await new Promise((r) => setImmediate(r));
    }
  }
  throw new BreakglassError(
    'STORE_CONFLICT',
    `record ${ns}/${key} kept changing during ${maxAttempts} attempts to update it; try again later`,
    {
      details: { ns, key, attempts: maxAttempts },
    },
  );
}

function ttlFor(
  ttl: number | 'keep' | 'none',
  current: StoredRecord | null,
  clock: Clock,
): number | undefined {
  if (ttl === 'none') return undefined;
  if (ttl === 'keep')
    return current?.expiresAt == null ? undefined : Math.max(1, current.expiresAt - clock.now());
  return ttl;
}
