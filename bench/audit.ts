/**
 * Audit log benchmark: durable appends per second through the audit module on the
 * embedded store (group commit, many concurrent appenders) and on a private
 * redis-server with `appendfsync always`, then verification entries per second of
 * the exported log, which must pass `breakglass audit verify`.
 *
 *   npm run bench -- audit --entries 100000 --out /tmp/audit.jsonl [--concurrency 512]
 *
 * Anchor: Crosby & Wallach (USENIX Security 2009) report about 10,500 events/s for their
 * tamper-evident history tree. Targets: >= 20,000 durable appends/s embedded, >= 300,000
 * entries/s verification.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  auditStoreLog,
  openAuditLog,
  parsePublicKeys,
  readAuditLines,
  verifyFile,
  verifyFileParallel,
  defaultVerifyThreads,
  type VerifyResult,
  type AuditEvent,
} from '../src/audit';
import { loadConfig } from '../src/config';
import { systemClock } from '../src/core';
import { createSilentLogger } from '../src/logging';
import { createStore } from '../src/store';
import { argNumber, argValue, type BenchContext, type Benchmark } from './harness';
import { startBenchRedis } from './redis';

/** Crosby & Wallach 2009, tamper-evident history tree, events/s. */
const ANCHOR_EVENTS_PER_S = 10_500;
const TARGET_APPENDS_PER_S = 20_000;
const TARGET_VERIFY_PER_S = 300_000;

/** A realistic mix of events (certificates, requests, sessions). */
function eventFor(i: number): AuditEvent {
  const t = new Date(Date.UTC(2026, 0, 1) + i * 1000).toISOString();
  switch (i % 4) {
    case 0:
      return {
        type: 'request.created',
        actor: `user:user${i % 97}@example.com`,
        target: `db-${i % 13}`,
        policy_version: 'p-2026-01',
        data: {
          request_id: `req-${i}`,
          hosts: [`db-${i % 13}`],
          logins: ['root'],
          ttl_seconds: 3600,
          reason: `OPS-${i}: restart replica`,
          emergency: false,
        },
      };
    case 1:
      return {
        type: 'certificate.issued',
        actor: 'system:ca',
        target: `req-${i - 1}`,
        data: {
          serial: String(1_000_000 + i),
          key_fingerprint: 'SHA256:Jx8mJ0tqGx3cF0cXwWq3m3mYfDq6Cw1nQ1cW8Jc9YkI',
          principals: ['root'],
          valid_after: t,
          valid_before: t,
          key_id: `user${i % 97}@example.com/req-${i - 1}`,
          grant: `req-${i - 1}`,
        },
      };
    case 2:
      return {
        type: 'session.started',
        actor: `user:user${i % 97}@example.com`,
        target: `db-${i % 13}`,
        data: { session_id: `s-${i}`, grant: `req-${i - 2}`, host: `db-${i % 13}`, login: 'root' },
      };
    default:
      return {
        type: 'session.ended',
        actor: 'system:proxy',
        target: `db-${i % 13}`,
        data: {
          session_id: `s-${i - 1}`,
          recording_sha256: createHash('sha256').update(String(i)).digest('hex'),
          recording_size: 4096 * (i % 1000),
          reason: 'exit 0',
        },
      };
  }
}

interface Run {
  seconds: number;
  lines: string[];
  pub: string;
}

/** Appends `entries` events with `concurrency` appenders in flight; returns the time and the stored lines. */
async function appendRun(
  overrides: Record<string, unknown>,
  entries: number,
  concurrency: number,
): Promise<Run> {
  const config = loadConfig({ overrides });
  const logger = createSilentLogger();
  const store = await createStore(config, { logger, clock: systemClock });
  const log = openAuditLog({ config, store, clock: systemClock, logger });
  await log.append(eventFor(0)); // key loaded, store warm
  let next = 1;
  const start = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < entries) await log.append(eventFor(next++));
    }),
  );
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  await log.close();
  const lines: string[] = [];
  for await (const line of readAuditLines(store, auditStoreLog(config.audit.log_id))) lines.push(line);
  await store.close();
  return { seconds, lines, pub: join(String(overrides.certs_dir), 'audit_key.pub') };
}

/** Best of three runs of `verify`, in entries per second; checks the verdict each time. */
async function bestRate(
  entries: number,
  verify: () => Promise<VerifyResult> | VerifyResult,
): Promise<number> {
  let best = Infinity;
  for (let i = 0; i < 3; i++) {
    const start = process.hrtime.bigint();
    const r = await verify();
    best = Math.min(best, Number(process.hrtime.bigint() - start) / 1e9);
    if (!r.ok) throw new Error(`the benchmark's own log does not verify: ${r.problem?.message}`);
    if (r.entries !== entries) throw new Error(`verified ${r.entries} entries, wrote ${entries}`);
  }
  return entries / best;
}

async function verifyRate(ctx: BenchContext, file: string, pub: string, entries: number): Promise<void> {
  const keys = parsePublicKeys(readFileSync(pub, 'utf8'));
  const options = { keys, strict: true };
  const threads = Math.min(4, availableParallelism());
  const single = await bestRate(entries, () => verifyFile(file, options));
  const parallel = await bestRate(entries, () => verifyFileParallel(file, options, threads));
  // Baseline in the same run: SHA-256 over the same bytes, one hash a line, nothing else (one thread).
  const text = readFileSync(file, 'utf8');
  const start = process.hrtime.bigint();
  let n = 0;
  for (let s = 0, nl = text.indexOf('\n'); nl >= 0; s = nl + 1, nl = text.indexOf('\n', s)) {
    createHash('sha256').update(text.slice(s, nl)).digest('hex');
    n++;
  }
  const hashOnly = n / (Number(process.hrtime.bigint() - start) / 1e9);
  ctx.figure('verification, one thread (chain, canonical form, signatures, strict)', single, 'entries/s');
  ctx.figure(`verification, ${threads} worker threads + 1`, parallel, 'entries/s');
  ctx.figure('baseline: SHA-256 of each line only, one thread', hashOnly, 'lines/s');
  ctx.ratio('verification (one thread) vs hashing alone', single, hashOnly);
  // The target is for verification as `breakglass audit verify` runs it on this machine:
  // its default thread count (on 2 cores, the calling thread alone).
  const cliThreads = defaultVerifyThreads();
  const asCli = cliThreads < 2 ? single : await bestRate(entries, () => verifyFileParallel(file, options));
  ctx.figure(
    `verification as \`breakglass audit verify\` runs it here (${cliThreads < 2 ? 'one thread' : `${cliThreads} worker threads + 1`})`,
    asCli,
    'entries/s',
  );
  ctx.ratio('verification (as the CLI runs it) vs target 300,000/s', asCli, TARGET_VERIFY_PER_S, { min: 1 });
}

export const benchmark: Benchmark = async (ctx) => {
  const entries = argNumber(ctx.args, 'entries', 100_000);
  const concurrency = argNumber(ctx.args, 'concurrency', 512);
  const outArg = argValue(ctx.args, 'out');
  const work = mkdtempSync(join(tmpdir(), 'bg-bench-audit-'));
  const out = resolve(outArg ?? join(work, 'audit.jsonl'));
  try {
    ctx.note(`${entries} entries, ${concurrency} concurrent appenders, checkpoint every 1000 entries`);

    // Embedded store: fsync with group commit (the default 2ms window).
    const embedded = await appendRun(
      { data_dir: join(work, 'embedded'), certs_dir: join(work, 'certs'), audit: { log_id: 'bench' } },
      entries,
      concurrency,
    );
    const embeddedRate = entries / embedded.seconds;
    ctx.figure('durable appends, embedded store (fsync, group commit)', embeddedRate, 'appends/s');
    ctx.ratio('embedded vs Crosby & Wallach 10,500 events/s', embeddedRate, ANCHOR_EVENTS_PER_S, {
      min: TARGET_APPENDS_PER_S / ANCHOR_EVENTS_PER_S,
    });
    writeFileSync(out, embedded.lines.map((l) => `${l}\n`).join(''));
    copyFileSync(embedded.pub, `${out}.pub`);
    ctx.note(
      `log written to ${out} (${embedded.lines.length} lines incl. checkpoints), public key ${out}.pub`,
    );

    // Redis with appendfsync always.
    const redis = await startBenchRedis('always');
    try {
      const r = await appendRun(
        {
          data_dir: join(work, 'unused'),
          certs_dir: join(work, 'certs'),
          store: { driver: 'redis', redis: { url: redis.url } },
          audit: { log_id: 'bench' },
        },
        entries,
        concurrency,
      );
      const rate = entries / r.seconds;
      ctx.figure('durable appends, Redis (AOF, appendfsync always)', rate, 'appends/s');
      ctx.ratio('redis vs Crosby & Wallach 10,500 events/s', rate, ANCHOR_EVENTS_PER_S);
    } finally {
      await redis.stop();
    }

    await verifyRate(ctx, out, `${out}.pub`, embedded.lines.length);

    // The log must pass the real CLI too (built: dist/ next to this file).
    const cli = join(__dirname, '..', '..', 'bin', 'breakglass.js');
    const v = spawnSync(
      process.execPath,
      [cli, 'audit', 'verify', out, '--pubkey', `${out}.pub`, '--strict'],
      { encoding: 'utf8' },
    );
    ctx.note(
      `breakglass audit verify ${out} --pubkey ${out}.pub --strict: exit ${v.status}: ${(v.stdout + v.stderr).trim()}`,
    );
    if (v.status !== 0) throw new Error('the written log does not pass `breakglass audit verify`');
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
};
