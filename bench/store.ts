import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { systemClock } from '../src/core';
import { createSilentLogger } from '../src/logging';
import { EmbeddedStore, RedisStore, type LogHead, type Store } from '../src/store';
import { argNumber, type Benchmark, type BenchContext } from './harness';
import { startBenchRedis } from './redis';

/**
 * `store`: certificate-serial allocations/s and durable audit-style log appends/s,
 * for the embedded store (fsync, group commit) and the Redis store (a redis-server
 * started here with AOF `appendfsync always`, then again with `everysec`), against
 * `redis-benchmark -t incr` on the same Redis as the baseline.
 *
 * Arguments: --seconds N (per measurement, default 3), --callers N (default 64).
 */

const run = promisify(execFile);
const logger = createSilentLogger();

/** The audit module's builder shape: hash-chained JSON (SHA-256 over prev ‖ data). */
const auditEntry = (head: LogHead) => {
  const data = JSON.stringify({
    seq: head.seq + 1,
    prev: head.hash,
    type: 'grant.approved',
    actor: 'alice@example.com',
    data: { grant: 'g-123', host: 'db-1' },
  });
  return {
    data,
    hash: createHash('sha256')
      .update(head.hash ?? '')
      .update(data)
      .digest('hex'),
  };
};

/** Operations per second with `callers` concurrent loops for about `seconds`. */
async function rate(callers: number, seconds: number, op: () => Promise<unknown>): Promise<number> {
  const start = process.hrtime.bigint();
  const deadline = start + BigInt(Math.round(seconds * 1e9));
  let ops = 0;
  await Promise.all(
    Array.from({ length: callers }, async () => {
      while (process.hrtime.bigint() < deadline) {
        await op();
        ops++;
      }
    }),
  );
  return ops / (Number(process.hrtime.bigint() - start) / 1e9);
}

async function measure(
  ctx: BenchContext,
  label: string,
  store: Store,
  seconds: number,
  callers: number,
): Promise<{ allocations: number; appends: number }> {
  const serial1 = await rate(1, seconds, () => store.increment('bench:serial:1'));
  ctx.figure(`${label}: serial allocations, 1 caller`, serial1, 'allocations/s');
  const allocations = await rate(callers, seconds, () => store.increment('bench:serial'));
  ctx.figure(`${label}: serial allocations, ${callers} callers`, allocations, 'allocations/s');
  const appends = await rate(callers, seconds, () => store.append('bench:audit', auditEntry));
  ctx.figure(`${label}: durable log appends, ${callers} callers`, appends, 'appends/s');
  const head = await store.head('bench:audit');
  const check = await store.readLog('bench:audit', Math.max(1, head.seq - 99), 100);
  if (check.length === 0 || check[check.length - 1]!.seq !== head.seq)
    throw new Error(`${label}: log read-back failed`);
  return { allocations, appends };
}

async function redisBenchmarkIncr(port: number): Promise<number> {
  const { stdout } = await run('redis-benchmark', ['-p', String(port), '-t', 'incr', '-q', '-n', '100000']);
  const m = /INCR: ([\d.]+) requests per second/.exec(stdout.replace(/\r/g, '\n'));
  if (!m) throw new Error(`unexpected redis-benchmark output: ${stdout}`);
  return Number(m[1]);
}

export const benchmark: Benchmark = async (ctx) => {
  const seconds = argNumber(ctx.args, 'seconds', 3);
  const callers = argNumber(ctx.args, 'callers', 64);
  ctx.note(
    `${seconds} s per figure; ${callers} concurrent callers; appends build SHA-256-chained JSON entries like the audit log`,
  );

  const dir = mkdtempSync(join(tmpdir(), 'breakglass-bench-store-'));
  let embedded: { allocations: number; appends: number };
  try {
    const store = await EmbeddedStore.open({
      dataDir: dir,
      groupCommitWindowMs: 2,
      compactAfterBytes: 64 * 1_048_576,
      fsync: true,
      segmentBytes: 64 * 1_048_576,
      sweepIntervalMs: 30_000,
      logger,
      clock: systemClock,
    });
    ctx.note(`embedded: data dir ${dir}, fsync on, group commit window 2ms (the defaults)`);
    embedded = await measure(ctx, 'embedded', store, seconds, callers);
    await store.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  for (const appendfsync of ['always', 'everysec'] as const) {
    const redis = await startBenchRedis(appendfsync);
    try {
      const store = await RedisStore.connect({
        url: `redis://127.0.0.1:${redis.port}/0`,
        keyPrefix: 'bench:',
        commandTimeoutMs: 10_000,
        connectTimeoutMs: 2000,
        maxBackoffMs: 1000,
        appendRetries: 50,
        logger,
        clock: systemClock,
      });
      const label = `redis (AOF appendfsync ${appendfsync})`;
      const ours = await measure(ctx, label, store, seconds, callers);
      await store.close();
      const baseline = await redisBenchmarkIncr(redis.port);
      ctx.figure(
        `baseline redis-benchmark -t incr -n 100000 (50 clients), appendfsync ${appendfsync}`,
        baseline,
        'requests/s',
      );
      ctx.ratio(
        `${label} serial allocations (${callers} callers) / redis-benchmark INCR`,
        ours.allocations,
        baseline,
      );
      ctx.ratio(`${label} log appends (${callers} callers) / redis-benchmark INCR`, ours.appends, baseline);
      if (appendfsync === 'always') {
        ctx.ratio(
          `embedded serial allocations (${callers} callers) / redis-benchmark INCR (AOF always)`,
          embedded.allocations,
          baseline,
        );
        ctx.ratio(
          `embedded durable log appends (${callers} callers) / redis-benchmark INCR (AOF always)`,
          embedded.appends,
          baseline,
        );
      }
    } finally {
      await redis.stop();
    }
  }
  ctx.note(
    `embedded durable appends ${embedded.appends >= 20_000 ? 'meet' : 'do NOT meet'} the audit target of >= 20,000/s with ${callers} callers`,
  );
};
