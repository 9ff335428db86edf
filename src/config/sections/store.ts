import { z } from 'zod';
import { duration, secret } from '../types';

export const storeSection = z
  .strictObject({
    driver: z
      .enum(['embedded', 'redis'])
      .default('embedded')
      .describe('`embedded`: durable files under `data_dir` (one node); `redis`: shared by all replicas.'),
    embedded: z
      .strictObject({
        group_commit_window: duration({ max: 100 })
          .prefault('2ms')
          .describe(
            'How long a write waits for others to share its fsync (0ms: fsync as soon as the previous one ends).',
          ),
        compact_after_bytes: z
          .number()
          .int()
          .min(1_048_576)
          .default(64 * 1_048_576)
          .describe('Rewrite the snapshot and truncate the write-ahead log once it grows past this size.'),
        fsync: z
          .boolean()
          .default(true)
          .describe(
            'Call fsync before acknowledging writes. Turning it off loses acknowledged writes on power loss; only for throwaway test data.',
          ),
        log_segment_bytes: z
          .number()
          .int()
          .min(65_536)
          .default(64 * 1_048_576)
          .describe(
            'Start a new segment file of an append-only log (e.g. the audit log) once the current one is this large.',
          ),
        sweep_interval: duration({ min: 100, max: 86_400_000 })
          .prefault('30s')
          .describe(
            'How often expired records are dropped from memory (they are invisible from the moment they expire).',
          ),
      })
      .prefault({})
      .describe('Embedded store settings.'),
    redis: z
      .strictObject({
        url: z
          .string()
          .default('redis://127.0.0.1:6379/0')
          .describe(
            'Redis URL (`redis://` or `rediss://` for TLS); put the password in `store.redis.password`, not here.',
          ),
        password: secret()
          .optional()
          .describe(
            'Redis password (redacted from logs). Prefer the environment variable BREAKGLASS_STORE__REDIS__PASSWORD.',
          ),
        key_prefix: z
          .string()
          .regex(/^[A-Za-z0-9:_-]{1,64}$/)
          .default('breakglass:')
          .describe('Prefix for every key, so several deployments can share one Redis.'),
        command_timeout: duration({ min: 10, max: 60_000 })
          .prefault('2s')
          .describe('An operation that has no answer by then fails with STORE_UNAVAILABLE (never hangs).'),
        connect_timeout: duration({ min: 10, max: 60_000 })
          .prefault('2s')
          .describe('Time allowed for one connection attempt.'),
        max_backoff: duration({ min: 10, max: 60_000 })
          .prefault('2s')
          .describe('Upper bound of the exponential back-off between reconnection attempts.'),
        append_retries: z
          .number()
          .int()
          .min(1)
          .max(1000)
          .default(50)
          .describe(
            'How often a log append is retried when another replica appended first, before it fails with STORE_CONFLICT.',
          ),
      })
      .prefault({})
      .describe('Redis store settings.'),
  })
  .describe('Where requests, grants, sessions, serials and the audit log are kept.');
