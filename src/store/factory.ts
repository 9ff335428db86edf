import type { Config } from '../config';
import type { Clock } from '../core';
import type { Logger } from '../logging';
import { EmbeddedStore } from './embedded';
import { RedisStore } from './redis';
import type { Store } from './types';

export interface StoreDeps {
  logger: Logger;
  clock: Clock;
}

export type StoreFactoryConfig = Pick<Config, 'data_dir' | 'store'>;

/**
 * Opens the configured store: `embedded` recovers its data directory first (and
 * fails with STORE_DATA_DIR / STORE_CORRUPT when it cannot); `redis` returns at once
 * and connects in the background, so a Redis that is down makes operations fail
 * with STORE_UNAVAILABLE (and /readyz say so) until it is back.
 */
export async function createStore(config: StoreFactoryConfig, deps: StoreDeps): Promise<Store> {
  const { store } = config;
  if (store.driver === 'redis') {
    const r = store.redis;
    return RedisStore.connect({
      url: r.url,
      password: r.password,
      keyPrefix: r.key_prefix,
      commandTimeoutMs: r.command_timeout,
      connectTimeoutMs: r.connect_timeout,
      maxBackoffMs: r.max_backoff,
      appendRetries: r.append_retries,
      logger: deps.logger.child({ component: 'store' }),
      clock: deps.clock,
    });
  }
  const e = store.embedded;
  return EmbeddedStore.open({
    dataDir: config.data_dir,
    groupCommitWindowMs: e.group_commit_window,
    compactAfterBytes: e.compact_after_bytes,
    fsync: e.fsync,
    segmentBytes: e.log_segment_bytes,
    sweepIntervalMs: e.sweep_interval,
    logger: deps.logger.child({ component: 'store' }),
    clock: deps.clock,
  });
}
