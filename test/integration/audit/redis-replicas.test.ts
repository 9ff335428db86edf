import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parsePublicKeys, readAuditLines, verifyLines } from '../../../src/audit';
import { loadConfig } from '../../../src/config';
import { systemClock } from '../../../src/core';
import { createSilentLogger } from '../../../src/logging';
import { createStore } from '../../../src/store';
import { REPO_ROOT } from '../../helpers/cli';
import { startRedis, type RedisServer } from '../../helpers/redis';
import { tmpDir } from '../../helpers/tmp';

const CHILD = join(REPO_ROOT, 'test', 'fixtures', 'audit', 'append-child.js');
const WORKERS = 4;
const EACH = 150;

let redis: RedisServer;
beforeAll(async () => {
  if (!existsSync(join(REPO_ROOT, 'dist', 'src', 'audit', 'index.js'))) {
    throw new Error('dist/ is missing: run `npx tsc -p tsconfig.build.json` (npm test does it first)');
  }
  redis = await startRedis();
});
afterAll(async () => {
  await redis.stop();
});

interface Worker {
  ready: Promise<void>;
  go(): void;
  done: Promise<{
    acked: Array<[number, string, string]>;
    failed: string[];
    code: number | null;
    stderr: string;
  }>;
}

/** Starts a worker process; it sets up its store and audit log, says `ready`, and appends on `go()`. */
function startWorker(worker: number, overrides: object): Worker {
  const child = spawn(
    process.execPath,
    [CHILD, JSON.stringify({ config: overrides, worker, count: EACH, concurrency: 8, barrier: true })],
    {
      stdio: ['pipe', 'pipe', 'pipe'],
    },
  );
  let out = '';
  let stderr = '';
  let markReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => (markReady = resolve));
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
    if (out.startsWith('ready\n')) markReady();
  });
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<Awaited<Worker['done']>>((resolve) => {
    child.once('exit', (code) => {
      markReady();
      const lines = out.trimEnd().split('\n');
      const acked = lines
        .filter((l) => l.startsWith('ok '))
        .map((l) => l.split(' ').slice(1) as [string, string, string]);
      resolve({
        acked: acked.map(([s, h, id]) => [Number(s), h, id]),
        failed: lines.filter((l) => l.startsWith('fail ')),
        code,
        stderr,
      });
    });
  });
  return { ready, go: () => child.stdin.end('go\n'), done };
}

describe('several processes appending to one Redis', () => {
  it('produce one gap-free chain holding every acknowledged entry, each exactly once', async () => {
    const dir = tmpDir('bg-audit-replicas-');
    try {
      const overrides = {
        data_dir: join(dir.path, 'data'),
        certs_dir: join(dir.path, 'certs'), // shared: the first process creates the key, the others read it
        store: { driver: 'redis', redis: { url: redis.url, key_prefix: 'replicas:' } },
        audit: { log_id: 'replicas', checkpoint: { every_entries: 40 } },
      };
      // All start at once: they race to create the shared audit key and must agree on one.
      const workers = Array.from({ length: WORKERS }, (_, w) => startWorker(w, overrides));
      await Promise.all(workers.map((w) => w.ready));
      for (const w of workers) w.go();
      const results = await Promise.all(workers.map((w) => w.done));
      for (const r of results)
        expect({ code: r.code, stderr: r.stderr, failed: r.failed }).toEqual({
          code: 0,
          stderr: '',
          failed: [],
        });

      const config = loadConfig({ overrides });
      const store = await createStore(config, { logger: createSilentLogger(), clock: systemClock });
      const lines: string[] = [];
      for await (const line of readAuditLines(store, 'audit/replicas')) lines.push(line);
      await store.close();

      const keys = parsePublicKeys(readFileSync(join(dir.path, 'certs', 'audit_key.pub'), 'utf8'));
      const verdict = verifyLines(lines, { keys, strict: true });
      expect(verdict.problem).toBeNull();
      expect(verdict).toMatchObject({ ok: true, firstSeq: 1, lastSeq: lines.length });

      const entries = lines.map((l) => JSON.parse(l));
      const ordinary = entries.filter((e) => e.type !== 'audit.checkpoint');
      expect(ordinary).toHaveLength(WORKERS * EACH);
      expect(new Set(ordinary.map((e) => e.target)).size).toBe(WORKERS * EACH);
      const bySeq = new Map(entries.map((e) => [e.seq, e]));
      for (const r of results) {
        for (const [seq, hash, id] of r.acked)
          expect([bySeq.get(seq)?.hash, bySeq.get(seq)?.target]).toEqual([hash, id]);
      }
      // The workers really ran at the same time: their entries interleave in the one chain.
      const switches = ordinary.filter((e, i) => i > 0 && e.actor !== ordinary[i - 1].actor).length;
      expect(switches).toBeGreaterThan(WORKERS);
    } finally {
      dir.cleanup();
    }
  });
});
