import Redis, { type RedisOptions } from 'ioredis';
import { BreakglassError } from '../../errors';
import type { Logger } from '../../logging';
import { SCRIPTS, type ScriptCommands } from './scripts';

export interface ConnectionOptions {
  url: string;
  password?: string | undefined;
  commandTimeoutMs: number;
  connectTimeoutMs: number;
  maxBackoffMs: number;
  logger: Logger;
}

export type Client = Redis & ScriptCommands;

/** Delay before reconnection attempt `times` (1, 2, …): 50 ms doubling, capped. */
export function backoff(times: number, maxMs: number): number {
  return Math.min(maxMs, 50 * 2 ** Math.min(Math.max(times - 1, 0), 20));
}

/**
 * One ioredis connection configured to fail fast and never replay: no offline queue
 * (a command while disconnected fails at once instead of running later, after its
 * caller was told it failed), no automatic resend of unanswered commands, a command
 * timeout, and endless reconnection with capped exponential back-off.
 */
export function openClient(opts: ConnectionOptions, role: 'commands' | 'events'): Client {
  const options: RedisOptions = {
    connectionName: `breakglass-${role}`,
    connectTimeout: opts.connectTimeoutMs,
    // How long a closing socket may linger before it is destroyed.
    disconnectTimeout: Math.min(opts.connectTimeoutMs, 500),
    commandTimeout: opts.commandTimeoutMs,
    enableOfflineQueue: false,
    autoResendUnfulfilledCommands: false,
    autoResubscribe: true,
    maxRetriesPerRequest: 0,
    enableReadyCheck: true,
    retryStrategy: (times) => backoff(times, opts.maxBackoffMs),
    reconnectOnError: () => false,
  };
  if (opts.password !== undefined) options.password = opts.password;
  const client = new Redis(opts.url, options) as Client;
  if (role === 'commands') for (const [name, def] of Object.entries(SCRIPTS)) client.defineCommand(name, def);
  let wasReady = false;
  let lostAt: number | null = null;
  client.on('ready', () => {
    if (lostAt !== null)
      opts.logger.info('store: redis connection restored', { role, downMs: Date.now() - lostAt });
    wasReady = true;
    lostAt = null;
  });
  client.on('close', () => {
    if (wasReady && lostAt === null) {
      lostAt = Date.now();
      opts.logger.warn('store: redis connection lost; reconnecting with back-off', { role });
    }
  });
  // ioredis emits connection errors as events; the state changes above are what matter.
  client.on('error', (err: Error) =>
    opts.logger.debug('store: redis connection error', { role, error: err.message }),
  );
  return client;
}

export function unavailable(what: string, reason: string, cause?: unknown): BreakglassError {
  return new BreakglassError(
    'STORE_UNAVAILABLE',
    `redis store: ${what} failed: ${reason}`,
    cause === undefined ? {} : { cause },
  );
}

/** Maps anything a Redis call throws to a store error (fail closed: unknown means unavailable). */
export function toStoreError(err: unknown, what: string): BreakglassError {
  if (err instanceof BreakglassError) return err;
  const message = err instanceof Error ? err.message : String(err);
  if (/Stream isn't writeable|Connection is closed|enableOfflineQueue/i.test(message))
    return unavailable(what, 'redis is not connected', err);
  if (/timed? ?out/i.test(message)) return unavailable(what, 'redis did not answer in time', err);
  return unavailable(what, message, err);
}

interface Waiter {
  ready(): void;
  end(): void;
}
/** Callers waiting for each client to become ready (one pair of listeners per client, not per call). */
const waiting = new WeakMap<Redis, Set<Waiter>>();

function waitersOf(client: Redis): Set<Waiter> {
  let set = waiting.get(client);
  if (!set) {
    const created = new Set<Waiter>();
    client.on('ready', () => [...created].forEach((w) => w.ready()));
    client.on('end', () => [...created].forEach((w) => w.end()));
    waiting.set(client, (set = created));
  }
  return set;
}

/** Resolves when the client is ready, or rejects with STORE_UNAVAILABLE after `ms`. */
export function waitReady(client: Redis, ms: number, what: string): Promise<void> {
  if (client.status === 'ready') return Promise.resolve();
  const set = waitersOf(client);
  return new Promise((resolve, reject) => {
    const finish = (err?: BreakglassError) => {
      clearTimeout(timer);
      set.delete(waiter);
      if (err) reject(err);
      else resolve();
    };
    const waiter: Waiter = {
      ready: () => finish(),
      end: () => finish(unavailable(what, 'the connection was closed')),
    };
    const timer = setTimeout(
      () => finish(unavailable(what, `redis is not reachable (connection ${client.status}) within ${ms} ms`)),
      ms,
    );
    set.add(waiter);
  });
}

/** Rejects with STORE_UNAVAILABLE when `promise` has not settled within `ms`. */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(unavailable(what, `redis did not answer within ${ms} ms`)),
      Math.max(1, ms),
    );
    promise.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(toStoreError(err, what));
      },
    );
  });
}

/** Closes a client politely (QUIT), or drops it when that does not finish in time. */
export async function closeClient(client: Redis, ms: number): Promise<void> {
  if (client.status === 'end') return;
  if (client.status !== 'ready') {
    client.disconnect();
    return;
  }
  await within(client.quit(), ms, 'quit').catch(() => client.disconnect());
}
