/**
 * The state store: the one interface the rest of Breakglass uses for shared,
 * durable state. Two implementations (embedded, Redis) pass one conformance suite
 * (test/integration/store/conformance.ts).
 *
 * Names: namespaces, keys, counter, log and channel names are 1–200 characters of
 * `[A-Za-z0-9._:@/-]` (anything else is STORE_INVALID_ARGUMENT). Values are strings
 * (callers store JSON) of at most 16 MiB.
 *
 * Failures: every operation either completes or rejects with a BreakglassError
 * whose code is STORE_UNAVAILABLE (could not reach/persist within the timeout;
 * nothing was acknowledged), STORE_CONFLICT (compare-and-set lost), STORE_CLOSED,
 * or STORE_INVALID_ARGUMENT. A resolved write is durable: it survives `kill -9` of
 * the process (embedded) or is in Redis (durable as Redis's AOF settings make it).
 * A rejected write was not acknowledged; after STORE_UNAVAILABLE from Redis (a
 * timeout) it may or may not have been applied, so retry idempotently or re-read.
 *
 * Consistency: reads see every write acknowledged before they were called. The
 * embedded store answers a read only once everything it could see is durable, so
 * nobody acts on a write that a crash could still undo.
 *
 * Time: expiry (TTL, counter windows) is judged by the injected clock of the store
 * (`createStore(…, { clock })`); Redis's own key expiry only reclaims memory later.
 */

export interface StoredRecord {
  readonly value: string;
  /** Starts at 1 on creation and increases by one on every write. */
  readonly version: number;
  /** Epoch milliseconds after which the record no longer exists, or null. */
  readonly expiresAt: number | null;
}

export interface PutOptions {
  /**
   * Compare-and-set: write only if the record's current version equals this
   * (0 = only if the record does not exist). Otherwise STORE_CONFLICT.
   */
  ifVersion?: number;
  /** Time to live in milliseconds (>= 1); absent = no expiry. Each put sets it anew. */
  ttlMs?: number;
}

export interface DeleteOptions {
  /** Delete only if the current version equals this; otherwise STORE_CONFLICT. */
  ifVersion?: number;
}

export interface ListOptions {
  /** Only keys starting with this prefix. */
  prefix?: string;
  /** At most this many records (default and maximum 10,000). */
  limit?: number;
}

export interface CounterOptions {
  /**
   * For rate-limit windows: the counter expires this many ms after it was created
   * (the first increment); the next increment then starts again at 1.
   * Never use it for serials.
   */
  windowMs?: number;
}

/** The head of an append-only log: the last entry's sequence number and hash. */
export interface LogHead {
  /** 0 when the log is empty; entries are numbered 1, 2, 3, … without gaps. */
  readonly seq: number;
  /** Hash of the last entry, null when the log is empty. */
  readonly hash: string | null;
}

/**
 * Builds the next log entry from the current head. Must be pure and cheap: it may be
 * called more than once (Redis retries after a concurrent append elsewhere), and
 * only the result of the last call is stored. `hash` is 1–200 printable ASCII
 * characters without spaces (hex, base64url, `sha256:…`); `data` a string of at
 * most 16 MiB. If it throws, the append rejects with that error and nothing is
 * appended.
 */
export type LogEntryBuilder = (head: LogHead) => { data: string; hash: string };

export interface LogEntry {
  readonly seq: number;
  readonly hash: string;
  readonly data: string;
}

export type EventHandler = (message: string) => void;
export type Unsubscribe = () => Promise<void>;

export interface StoreHealth {
  readonly ok: boolean;
  readonly driver: 'embedded' | 'redis';
  /** Why not ok (for /readyz), absent when ok. */
  readonly reason?: string;
}

export interface Store {
  readonly driver: 'embedded' | 'redis';

  /** The record, or null if absent or expired. */
  get(ns: string, key: string): Promise<StoredRecord | null>;
  /** Writes a record; resolves with its new version once durable. */
  put(ns: string, key: string, value: string, options?: PutOptions): Promise<number>;
  /** Removes a record; resolves true if it existed. */
  delete(ns: string, key: string, options?: DeleteOptions): Promise<boolean>;
  /** Live records of a namespace, ordered by key (byte order). */
  list(ns: string, options?: ListOptions): Promise<Array<{ key: string } & StoredRecord>>;

  /**
   * Atomically increments a counter and returns the new value (first call: 1).
   * Without a window the values are unique, non-zero and never reused, across
   * restarts and across replicas sharing the store.
   */
  increment(name: string, options?: CounterOptions): Promise<number>;

  /**
   * Appends one entry to an append-only log atomically with respect to every other
   * appender (on every replica): `build` sees the current head and the entry gets
   * seq = head.seq + 1. Resolves once the entry is durable.
   */
  append(log: string, build: LogEntryBuilder): Promise<LogEntry>;
  /** Entries with seq >= fromSeq (an integer >= 0; 0 reads from 1) in order, at most `limit` (default 1,000, max 10,000). */
  readLog(log: string, fromSeq: number, limit?: number): Promise<LogEntry[]>;
  /** The current head of a log. */
  head(log: string): Promise<LogHead>;

  /** Delivers a message to every subscriber of the channel on every replica (at most once, not persisted). */
  publish(channel: string, message: string): Promise<void>;
  /** Subscribes; resolves once the subscription is active. */
  subscribe(channel: string, handler: EventHandler): Promise<Unsubscribe>;

  /** Cheap reachability check for /readyz; never throws. */
  health(): Promise<StoreHealth>;
  /** Flushes pending writes, stops timers and connections. Further calls reject with STORE_CLOSED. */
  close(): Promise<void>;
}
