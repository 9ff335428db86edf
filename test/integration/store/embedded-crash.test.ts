import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { join } from 'node:path';
import { createSilentLogger } from '../../../src/logging';
import { EmbeddedStore } from '../../../src/store';
import { tmpDir } from '../../helpers/tmp';

const CHILD = join(__dirname, '..', '..', 'fixtures', 'store', 'crash-child.js');

function openStore(dataDir: string): Promise<EmbeddedStore> {
  return EmbeddedStore.open({
    dataDir,
    groupCommitWindowMs: 1,
    compactAfterBytes: 32 * 1024,
    fsync: true,
    segmentBytes: 65536,
    sweepIntervalMs: 60_000,
    logger: createSilentLogger(),
    clock: { now: () => Date.now() },
  });
}

interface Acks {
  puts: Map<string, number>;
  serials: number[];
  appends: Map<number, string>;
  ready: string;
}

/** Runs the child until it has acknowledged `target` appends (plus a random moment), then SIGKILLs it. */
async function runAndKill(dataDir: string, tag: string, target: number, extraMs: number): Promise<Acks> {
  const child = spawn(process.execPath, [CHILD, dataDir, tag], { stdio: ['ignore', 'pipe', 'pipe'] });
  const acks: Acks = { puts: new Map(), serials: [], appends: new Map(), ready: '' };
  let buffer = '';
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const reached = new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      buffer += d.toString();
      const lines = buffer.split('\n');
      buffer = lines.pop()!; // only complete lines count
      for (const line of lines) {
        const [kind, a, b] = line.split(' ');
        if (kind === 'ready') acks.ready = line;
        else if (kind === 'P') acks.puts.set(a!, Number(b));
        else if (kind === 'C') acks.serials.push(Number(a));
        else if (kind === 'A') acks.appends.set(Number(a), b!);
        else if (kind === 'E') reject(new Error(`child failed: ${line}`));
      }
      if (acks.appends.size >= target) resolve();
    });
    child.once('exit', (code, signal) =>
      reject(new Error(`child exited early (${code ?? signal}): ${stderr}`)),
    );
  });
  await reached;
  if (tag === 'r1') {
    // While the child runs, this process may not open the same data directory.
    const err = await openStore(dataDir).then(
      (s) => s.close().then(() => null),
      (e: unknown) => e,
    );
    expect(err).toMatchObject({
      code: 'STORE_DATA_DIR',
      message: expect.stringContaining(`in use by process ${child.pid}`),
    });
  }
  await new Promise((r) => setTimeout(r, extraMs));
  const exited = once(child, 'exit');
  child.kill('SIGKILL');
  const [code, signal] = (await exited) as [number | null, string | null];
  expect({ code, signal }).toEqual({ code: null, signal: 'SIGKILL' });
  await new Promise((r) => setTimeout(r, 50)); // lines still in the pipe count too
  return acks;
}

describe('embedded store killed with SIGKILL', () => {
  it('keeps every acknowledged write, never reuses a serial and keeps the log chain whole across kill -9 and restart', async () => {
    const dir = tmpDir('breakglass-crash-');
    const dataDir = join(dir.path, 'data');
    try {
      const rounds: Acks[] = [];
      rounds.push(await runAndKill(dataDir, 'r1', 400, 7));
      rounds.push(await runAndKill(dataDir, 'r2', 300, 0));
      rounds.push(await runAndKill(dataDir, 'r3', 500, 13));

      const store = await openStore(dataDir);
      try {
        // Records: every acknowledged put is there with its value.
        for (const round of rounds) {
          for (const [key, version] of round.puts)
            expect(await store.get('crash', key)).toEqual({
              value: `value of ${key}`,
              version,
              expiresAt: null,
            });
        }
        // Serials: unique across all rounds, and the next one is larger than any handed out.
        const serials = rounds.flatMap((r) => r.serials);
        expect(new Set(serials).size).toBe(serials.length);
        expect(serials.every((s) => s > 0)).toBe(true);
        expect(await store.increment('serial')).toBeGreaterThan(Math.max(...serials));
        // Log: one gap-free chain containing every acknowledged entry.
        const head = await store.head('audit');
        const entries = [];
        for (let from = 1; from <= head.seq; from += 10_000)
          entries.push(...(await store.readLog('audit', from, 10_000)));
        expect(entries.map((e) => e.seq)).toEqual(Array.from({ length: head.seq }, (_, i) => i + 1));
        let prev: string | null = null;
        for (const e of entries) {
          expect((JSON.parse(e.data) as { prev: string | null }).prev).toBe(prev);
          expect(e.hash).toBe(
            createHash('sha256')
              .update(`${prev ?? ''}|${e.data}`)
              .digest('hex'),
          );
          prev = e.hash;
        }
        for (const round of rounds)
          for (const [seq, hash] of round.appends) expect(entries[seq - 1]?.hash).toBe(hash);
      } finally {
        await store.close();
      }
    } finally {
      dir.cleanup();
    }
  });
});
