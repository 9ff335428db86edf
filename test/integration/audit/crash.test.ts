import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { loadOrCreateAuditKey, parsePublicKeys, readAuditLines, verifyLines } from '../../../src/audit';
import { loadConfig } from '../../../src/config';
import { systemClock } from '../../../src/core';
import { createSilentLogger } from '../../../src/logging';
import { createStore } from '../../../src/store';
import { REPO_ROOT } from '../../helpers/cli';
import { tmpDir } from '../../helpers/tmp';

const CHILD = join(REPO_ROOT, 'test', 'fixtures', 'audit', 'append-child.js');

beforeAll(() => {
  if (!existsSync(join(REPO_ROOT, 'dist', 'src', 'audit', 'index.js'))) {
    throw new Error('dist/ is missing: run `npx tsc -p tsconfig.build.json` (npm test does it first)');
  }
});

describe('an appender killed with SIGKILL', () => {
  it('leaves a log that verifies and holds every append it acknowledged', async () => {
    const dir = tmpDir('bg-audit-crash-');
    const overrides = {
      data_dir: join(dir.path, 'data'),
      certs_dir: join(dir.path, 'certs'),
      audit: { log_id: 'crash', checkpoint: { every_entries: 50 } },
    };
    try {
      const acked = new Map<number, string>();
      const child = spawn(
        process.execPath,
        [CHILD, JSON.stringify({ config: overrides, worker: 1, concurrency: 16 })],
        {
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
        child.once('exit', (code, signal) => resolve({ code, signal })),
      );
      // Kill it at an arbitrary moment after a few hundred acknowledged appends.
      const target = 300 + Math.floor(Math.random() * 200);
      await new Promise<void>((resolve) => {
        createInterface({ input: child.stdout }).on('line', (line) => {
          const [word, seq, hash] = line.split(' ');
          if (word === 'ok') acked.set(Number(seq), hash!);
          if (acked.size === target) {
            child.kill('SIGKILL');
            resolve();
          }
        });
        void exited.then(() => resolve());
      });
      expect(await exited).toEqual({ code: null, signal: 'SIGKILL' });
      expect(stderr).toBe('');

      const config = loadConfig({ overrides });
      const store = await createStore(config, { logger: createSilentLogger(), clock: systemClock });
      const lines: string[] = [];
      for await (const line of readAuditLines(store, 'audit/crash')) lines.push(line);
      await store.close();

      const keys = parsePublicKeys(readFileSync(join(dir.path, 'certs', 'audit_key.pub'), 'utf8'));
      expect(loadOrCreateAuditKey({ certsDir: join(dir.path, 'certs'), keyFile: 'audit_key' }).kid).toBe(
        [...keys.keys()][0],
      );
      const r = verifyLines(lines, { keys });
      expect(r.problem).toBeNull();
      expect(r.ok).toBe(true);
      // Every acknowledged append is there, with the hash the child was told.
      const byseq = new Map(lines.map((l) => [JSON.parse(l).seq as number, JSON.parse(l).hash as string]));
      for (const [seq, hash] of acked) expect(byseq.get(seq)).toBe(hash);
      expect(r.lastSeq).toBeGreaterThanOrEqual(Math.max(...acked.keys()));
      expect(r.lastCheckpoint?.signatureChecked).toBe(true);
    } finally {
      dir.cleanup();
    }
  });
});
