import type { Clock } from '../../core';
import { BreakglassError, hasCode } from '../../errors';
import type { Logger } from '../../logging';
import type {
  CounterOptions,
  DeleteOptions,
  EventHandler,
  ListOptions,
  LogEntry,
  LogEntryBuilder,
  LogHead,
  PutOptions,
  Store,
  StoredRecord,
  StoreHealth,
  Unsubscribe,
} from '../types';
import * as v from '../validate';
import { LogAppender } from './appender';
import { closeClient, openClient, toStoreError, waitReady, within, type Client } from './connection';
import { RedisBus } from './pubsub';

export interface RedisStoreOptions {
  url: string;
  password?: string | undefined;
  keyPrefix: string;
  commandTimeoutMs: number;
  connectTimeoutMs: number;
  maxBackoffMs: number;
  /** Retries of a log append after another replica appended first. */
  appendRetries: number;
  logger: Logger;
  clock: Clock;
}

const num = (x: unknown): number => Number(x);
const opt = (x: number | undefined): string => (x === undefined ? '' : String(x));

/** Splits a stored log entry "hash data" (hashes never contain spaces). */
function entryOf(seq: number, stored: string): LogEntry {
  const space = stored.indexOf(' ');
  return Object.freeze({ seq, hash: stored.slice(0, space), data: stored.slice(space + 1) });
}

/**
 * The Redis store, shared by every replica. Each operation is one command or one Lua
 * script (atomic); each fails with STORE_UNAVAILABLE within `commandTimeoutMs` when
 * Redis cannot be reached, and the connections come back by themselves.
 */
export class RedisStore implements Store {
  readonly driver = 'redis' as const;
  private closed = false;
  private closing: Promise<void> | null = null;
  private readonly inflight = new Set<Promise<unknown>>();
  private readonly appender: LogAppender;
  private readonly bus: RedisBus;

  private constructor(
    private readonly client: Client,
    sub: Client,
    private readonly opts: RedisStoreOptions,
  ) {
    this.bus = new RedisBus(sub, `${opts.keyPrefix}ch|`, opts.commandTimeoutMs, opts.logger);
    this.appender = new LogAppender(
      {
        fetchHead: (log) => this.rawHead(log, (what, fn) => this.call(what, fn)),
        tryAppend: (log, expected, entries) => this.tryAppend(log, expected, entries),
        isUnavailable: (err) => hasCode(err, 'STORE_UNAVAILABLE'),
      },
      opts.appendRetries,
      opts.commandTimeoutMs,
    );
    client.once('ready', () => void this.checkEvictionPolicy());
  }

  /** Creates the connections and returns at once; they connect (and reconnect) in the background. */
  static async connect(opts: RedisStoreOptions): Promise<RedisStore> {
    const conn = {
      url: opts.url,
      password: opts.password,
      commandTimeoutMs: opts.commandTimeoutMs,
      connectTimeoutMs: opts.connectTimeoutMs,
      maxBackoffMs: opts.maxBackoffMs,
      logger: opts.logger,
    };
    return new RedisStore(openClient(conn, 'commands'), openClient(conn, 'events'), opts);
  }

  private key(kind: string, ...parts: string[]): string {
    return `${this.opts.keyPrefix}${kind}|${parts.join('|')}`;
  }

  /** Runs one Redis call: waits for the connection (bounded), then for the answer (bounded by what is left). */
  private run<T>(what: string, fn: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new BreakglassError('STORE_CLOSED', 'the store is closed'));
    return this.call(what, fn);
  }

  /** `run` without the closed check, for work accepted before close() (queued appends). */
  private call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    const started = performance.now();
    const p = (async () => {
      await waitReady(this.client, this.opts.commandTimeoutMs, what);
      const left = this.opts.commandTimeoutMs - (performance.now() - started);
      return within(fn(), left, what);
    })();
    this.inflight.add(p);
    const done = () => this.inflight.delete(p);
    p.then(done, done);
    return p;
  }

  private guard(): void {
    if (this.closed) throw new BreakglassError('STORE_CLOSED', 'the store is closed');
  }

  async get(ns: string, key: string): Promise<StoredRecord | null> {
    v.checkName('namespace', ns);
    v.checkName('key', key);
    const [value, version, expiresAt] = await this.run(`get ${ns}/${key}`, () =>
      this.client.hmget(this.key('r', ns, key), 'v', 'n', 'e'),
    );
    if (value == null || version == null) return null;
    const exp = expiresAt == null ? null : num(expiresAt);
    if (exp !== null && exp <= this.opts.clock.now()) return null;
    return Object.freeze({ value, version: num(version), expiresAt: exp });
  }

  async put(ns: string, key: string, value: string, options?: PutOptions): Promise<number> {
    v.checkName('namespace', ns);
    v.checkName('key', key);
    v.checkValue('value', value);
    const { ifVersion, ttlMs } = v.checkPutOptions(options);
    const now = this.opts.clock.now();
    const [ok, version] = (await this.run(`put ${ns}/${key}`, () =>
      this.client.bgPut(
        this.key('r', ns, key),
        this.key('i', ns),
        value,
        opt(ifVersion),
        opt(ttlMs),
        now,
        key,
      ),
    )) as [number, number];
    if (!ok) throw conflict(ns, key, ifVersion!, version);
    return version;
  }

  async delete(ns: string, key: string, options?: DeleteOptions): Promise<boolean> {
    v.checkName('namespace', ns);
    v.checkName('key', key);
    const { ifVersion } = v.checkDeleteOptions(options);
    const now = this.opts.clock.now();
    const [ok, x] = (await this.run(`delete ${ns}/${key}`, () =>
      this.client.bgDelete(this.key('r', ns, key), this.key('i', ns), opt(ifVersion), now, key),
    )) as [number, number];
    if (!ok) throw conflict(ns, key, ifVersion!, x);
    return x === 1;
  }

  async list(ns: string, options?: ListOptions): Promise<Array<{ key: string } & StoredRecord>> {
    v.checkName('namespace', ns);
    const { prefix, limit } = v.checkListOptions(options);
    const [min, max] = prefix === '' ? ['-', '+'] : [`[${prefix}`, `[${prefix}\xff`];
    const now = this.opts.clock.now();
    const flat = (await this.run(`list ${ns}`, () =>
      this.client.bgList(this.key('i', ns), `${this.key('r', ns)}|`, min, max, limit, now),
    )) as string[];
    const out: Array<{ key: string } & StoredRecord> = [];
    for (let i = 0; i < flat.length; i += 4) {
      out.push(
        Object.freeze({
          key: flat[i]!,
          value: flat[i + 1]!,
          version: num(flat[i + 2]),
          expiresAt: flat[i + 3] === '' ? null : num(flat[i + 3]),
        }),
      );
    }
    return out;
  }

  async increment(name: string, options?: CounterOptions): Promise<number> {
    v.checkName('counter', name);
    const { windowMs } = v.checkCounterOptions(options);
    const now = this.opts.clock.now();
    return num(
      await this.run(`increment ${name}`, () =>
        this.client.bgIncrement(this.key('c', name), opt(windowMs), now),
      ),
    );
  }

  async append(log: string, build: LogEntryBuilder): Promise<LogEntry> {
    v.checkName('log', log);
    v.checkFunction('the entry builder', build);
    this.guard();
    const p = this.appender.append(log, build);
    this.inflight.add(p);
    const done = () => this.inflight.delete(p);
    p.then(done, done);
    return p;
  }

  private async rawHead(
    log: string,
    via: RedisStore['call'] = (what, fn) => this.run(what, fn),
  ): Promise<LogHead> {
    const [seq, hash] = await via(`head of ${log}`, () =>
      this.client.hmget(this.key('h', log), 'seq', 'hash'),
    );
    return Object.freeze({ seq: seq == null ? 0 : num(seq), hash: hash ?? null });
  }

  private async tryAppend(log: string, expected: LogHead, entries: Array<{ hash: string; data: string }>) {
    const args: Array<string | number> = [expected.seq, expected.hash ?? ''];
    for (const e of entries) args.push(e.hash, e.data);
    const reply = (await this.call(`append to ${log}`, () =>
      this.client.bgAppend(this.key('l', log), this.key('h', log), ...args),
    )) as [number, number, string?];
    if (reply[0] === 1) return { ok: true as const };
    return {
      ok: false as const,
      head: { seq: num(reply[1]), hash: reply[2] === '' || reply[2] == null ? null : reply[2] },
    };
  }

  async readLog(log: string, fromSeq: number, limit?: number): Promise<LogEntry[]> {
    v.checkName('log', log);
    const range = v.checkReadLog(fromSeq, limit);
    const stored = (await this.run(`read ${log}`, () =>
      this.client.bgReadLog(this.key('l', log), this.key('h', log), range.fromSeq, range.limit),
    )) as string[];
    return stored.map((s, i) => entryOf(range.fromSeq + i, s));
  }

  async head(log: string): Promise<LogHead> {
    v.checkName('log', log);
    return this.rawHead(log);
  }

  async publish(channel: string, message: string): Promise<void> {
    v.checkName('channel', channel);
    v.checkValue('message', message);
    await this.run(`publish to ${channel}`, () =>
      this.client.publish(`${this.opts.keyPrefix}ch|${channel}`, message),
    );
  }

  async subscribe(channel: string, handler: EventHandler): Promise<Unsubscribe> {
    v.checkName('channel', channel);
    v.checkFunction('the event handler', handler);
    this.guard();
    const p = this.bus.subscribe(channel, handler);
    this.inflight.add(p);
    const done = () => this.inflight.delete(p);
    p.then(done, done);
    return p;
  }

  async health(): Promise<StoreHealth> {
    if (this.closed) return { ok: false, driver: 'redis', reason: 'the store is closed' };
    // Known to be down: answer at once (a first connection attempt is still waited for).
    const status = this.client.status;
    if (status === 'reconnecting' || status === 'end' || status === 'close') {
      return {
        ok: false,
        driver: 'redis',
        reason: `redis store: redis is not reachable (connection ${status}); reconnecting`,
      };
    }
    try {
      await this.run('health check', () => this.client.ping());
    } catch (err) {
      return { ok: false, driver: 'redis', reason: err instanceof Error ? err.message : String(err) };
    }
    if (!(await this.bus.connected()))
      return {
        ok: false,
        driver: 'redis',
        reason: 'redis store: the event (pub/sub) connection is down; reconnecting',
      };
    return { ok: true, driver: 'redis' };
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    this.closed = true;
    await Promise.allSettled([...this.inflight]);
    await Promise.all([closeClient(this.client, this.opts.commandTimeoutMs), this.bus.close()]);
  }

  /** Counters (certificate serials) must never be evicted: warn when Redis may evict keys without a TTL. */
  private async checkEvictionPolicy(): Promise<void> {
    try {
      const info = await within(this.client.info('memory'), this.opts.commandTimeoutMs, 'info');
      const policy = /maxmemory_policy:(\S+)/.exec(info)?.[1];
      if (policy?.startsWith('allkeys-')) {
        this.opts.logger.warn(
          'store: redis maxmemory-policy may evict serial counters and records; use noeviction',
          { policy },
        );
      }
    } catch (err) {
      this.opts.logger.debug('store: could not read the redis eviction policy', {
        error: toStoreError(err, 'info').message,
      });
    }
  }
}

function conflict(ns: string, key: string, expected: number, current: number): BreakglassError {
  return new BreakglassError(
    'STORE_CONFLICT',
    `record ${ns}/${key} is at version ${current}, not ${expected}; read it again and retry`,
    {
      details: { ns, key, expected, current },
    },
  );
}
