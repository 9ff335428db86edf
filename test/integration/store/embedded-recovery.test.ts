import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  renameSync,
  statSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { createFakeClock } from '../../../src/core';
import type { Logger } from '../../../src/logging';
import { EmbeddedStore, type EmbeddedStoreOptions, type LogEntry, type LogHead } from '../../../src/store';
import { scanFrames } from '../../../src/store/embedded/frame';
import { logDirName } from '../../../src/store/embedded/segments';
import { tmpDir } from '../../helpers/tmp';

interface Captured {
  logger: Logger;
  warnings: Array<{ message: string; meta: Record<string, unknown> }>;
}

/** A logger that records warnings (the store's only dependency on winston is these four methods and child). */
function captureLogger(): Captured {
  const warnings: Captured['warnings'] = [];
  const logger = {
    warn: (message: string, meta: Record<string, unknown> = {}) => warnings.push({ message, meta }),
    info: () => undefined,
    error: () => undefined,
    debug: () => undefined,
    child: () => logger,
  };
  return { logger: logger as unknown as Logger, warnings };
}

const dirs: Array<{ cleanup(): void }> = [];
afterAll(() => dirs.forEach((d) => d.cleanup()));

function newDir(): string {
  const d = tmpDir('breakglass-store-rec-');
  dirs.push(d);
  return join(d.path, 'data');
}

function open(dataDir: string, extra: Partial<EmbeddedStoreOptions> = {}): Promise<EmbeddedStore> {
  return EmbeddedStore.open({
    dataDir,
    groupCommitWindowMs: 0,
    compactAfterBytes: 1 << 20,
    fsync: true,
    segmentBytes: 65_536,
    sweepIntervalMs: 60_000,
    logger: captureLogger().logger,
    clock: createFakeClock(),
    ...extra,
  });
}

const sha = (t: string) => createHash('sha256').update(t).digest('hex');
const chain = (n: number) => (head: LogHead) => {
  const data = JSON.stringify({ n, prev: head.hash, pad: 'x'.repeat(80) });
  return { data, hash: sha(`${head.hash ?? ''}${data}`) };
};

const walPath = (dataDir: string, gen = 1) =>
  join(dataDir, 'store', `wal-${String(gen).padStart(10, '0')}.log`);
const segmentsOf = (dataDir: string, log: string) => {
  const dir = join(dataDir, 'store', 'logs', logDirName(log));
  return readdirSync(dir)
    .filter((n) => n.endsWith('.seg'))
    .sort()
    .map((n) => join(dir, n));
};
/** Offsets of the frames of a file. */
const frameOffsets = (path: string) => scanFrames(readFileSync(path)).frames.map((f) => f.offset);

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'resolved';
  } catch (err) {
    return String((err as { code?: string }).code ?? err);
  }
}

describe('embedded store on disk', () => {
  it('keeps every acknowledged record, counter and log entry across a restart', async () => {
    const dataDir = newDir();
    const s1 = await open(dataDir);
    await s1.put('grants', 'g1', 'active');
    await s1.put('grants', 'g1', 'revoked');
    await s1.put('grants', 'g2', 'x', { ttlMs: 60_000 });
    await s1.delete('grants', 'g2');
    for (let i = 0; i < 5; i++) await s1.increment('serial');
    const entries = [];
    for (let i = 0; i < 3; i++) entries.push(await s1.append('audit', chain(i)));
    await s1.close();

    const s2 = await open(dataDir);
    expect(await s2.get('grants', 'g1')).toEqual({ value: 'revoked', version: 2, expiresAt: null });
    expect(await s2.get('grants', 'g2')).toBeNull();
    expect(await s2.increment('serial')).toBe(6);
    expect(await s2.readLog('audit', 1)).toEqual(entries);
    expect((await s2.append('audit', chain(3))).seq).toBe(4);
    expect(s2.recovered.tornTails).toEqual([]);
    await s2.close();
  });

  it('creates the data directory 0700 and its files 0600', async () => {
    const dataDir = newDir();
    const s = await open(dataDir);
    await s.put('ns', 'k', 'v');
    await s.append('audit', chain(0));
    await s.close();
    expect(statSync(dataDir).mode & 0o777).toBe(0o700);
    expect(statSync(join(dataDir, 'store')).mode & 0o777).toBe(0o700);
    for (const file of [walPath(dataDir), ...segmentsOf(dataDir, 'audit')])
      expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it('compacts the write-ahead log into a snapshot and loads it on restart', async () => {
    const dataDir = newDir();
    const s1 = await open(dataDir, { compactAfterBytes: 4096 });
    for (let i = 0; i < 200; i++) await s1.put('ns', `k${i % 20}`, `value ${i}`);
    for (let i = 0; i < 50; i++) await s1.increment('serial');
    await s1.compact();
    const files = readdirSync(join(dataDir, 'store'));
    expect(files).toContain('snapshot');
    expect(files.filter((f) => f.startsWith('wal-'))).toHaveLength(1);
    const before = await s1.list('ns');
    await s1.put('ns', 'after', 'snapshot');
    await s1.close();

    const s2 = await open(dataDir);
    expect(s2.recovered.snapshotLoaded).toBe(true);
    expect(await s2.list('ns', { prefix: 'k' })).toEqual(before);
    expect(await s2.get('ns', 'after')).toMatchObject({ value: 'snapshot', version: 1 });
    expect(await s2.increment('serial')).toBe(51);
    await s2.close();
  });

  it('splits a large log into segments and reads any range of it, also after a restart', async () => {
    const dataDir = newDir();
    const s1 = await open(dataDir);
    const written: LogEntry[] = [];
    for (let batch = 0; batch < 30; batch++) {
      written.push(
        ...(await Promise.all(
          Array.from({ length: 50 }, () =>
            s1.append('big', (h) => ({ data: `${h.seq + 1} ${'d'.repeat(100)}`, hash: `h${h.seq + 1}` })),
          ),
        )),
      );
    }
    expect(segmentsOf(dataDir, 'big').length).toBeGreaterThan(2);
    const check = async (s: EmbeddedStore) => {
      for (const [from, limit] of [
        [1, 10],
        [777, 100],
        [1499, 10],
        [1, 1500],
        [1500, 5],
        [1501, 5],
        [640, 1],
      ]) {
        const got = await s.readLog('big', from!, limit);
        expect(got).toEqual(written.slice(from! - 1, from! - 1 + limit!));
      }
    };
    await check(s1);
    await s1.close();
    const s2 = await open(dataDir);
    expect(s2.recovered.logs).toEqual({ big: 1500 });
    await check(s2);
    expect(await s2.head('big')).toEqual({ seq: 1500, hash: 'h1500' });
    await s2.close();
  });

  describe('a torn tail left by a crash', () => {
    it.each([
      ['inside the last frame header', (size: number, last: number) => last + 3 - size],
      ['inside the last frame payload', (size: number, last: number) => Math.floor((size + last) / 2) - size],
      ['with zeros after the last good frame', () => 512],
    ])('is dropped and reported when the write-ahead log ends %s', async (_label, change) => {
      const dataDir = newDir();
      const s1 = await open(dataDir);
      for (let i = 1; i <= 3; i++) await s1.put('ns', `k${i}`, `v${i}`);
      await s1.close();
      const wal = walPath(dataDir);
      const size = statSync(wal).size;
      const offsets = frameOffsets(wal);
      const delta = change(size, offsets[offsets.length - 1]!);
      if (delta < 0) truncateSync(wal, size + delta);
      else writeFileSync(wal, Buffer.alloc(delta), { flag: 'a' });
      const expectedOffset = delta < 0 ? offsets[offsets.length - 1]! : size;

      const log = captureLogger();
      const s2 = await open(dataDir, { logger: log.logger });
      expect(s2.recovered.tornTails).toEqual([
        expect.objectContaining({ file: wal, offset: expectedOffset }),
      ]);
      expect(log.warnings).toEqual([
        expect.objectContaining({ meta: expect.objectContaining({ file: wal, offset: expectedOffset }) }),
      ]);
      expect(await s2.get('ns', 'k2')).toMatchObject({ value: 'v2' });
      expect(await s2.get('ns', 'k3')).toEqual(
        delta < 0 ? null : { value: 'v3', version: 1, expiresAt: null },
      );
      await s2.put('ns', 'k4', 'after recovery');
      await s2.close();

      const s3 = await open(dataDir);
      expect(s3.recovered.tornTails).toEqual([]);
      expect(await s3.get('ns', 'k4')).toMatchObject({ value: 'after recovery' });
      await s3.close();
    });

    it('is dropped and reported when a log segment ends inside its last frame', async () => {
      const dataDir = newDir();
      const s1 = await open(dataDir);
      const e = [];
      for (let i = 0; i < 4; i++) e.push(await s1.append('audit', chain(i)));
      await s1.close();
      const [seg] = segmentsOf(dataDir, 'audit');
      const offsets = frameOffsets(seg!);
      truncateSync(seg!, offsets[offsets.length - 1]! + 20);

      const s2 = await open(dataDir);
      expect(s2.recovered.tornTails).toEqual([
        expect.objectContaining({ file: seg, offset: offsets[offsets.length - 1] }),
      ]);
      expect(await s2.head('audit')).toEqual({ seq: 3, hash: e[2]!.hash });
      const next = await s2.append('audit', chain(9));
      expect(next.seq).toBe(4);
      expect(JSON.parse(next.data).prev).toBe(e[2]!.hash);
      expect(await s2.readLog('audit', 1)).toEqual([...e.slice(0, 3), next]);
      await s2.close();
    });
  });

  describe('damage that a crash cannot explain', () => {
    /** Files under `dir` this process still has open. */
    const openUnder = (dir: string) =>
      readdirSync('/proc/self/fd')
        .map((fd) => {
          try {
            return readlinkSync(`/proc/self/fd/${fd}`);
          } catch {
            return ''; // closed meanwhile (the descriptor readdir itself used)
          }
        })
        .filter((target) => target.startsWith(`${dir}/`));

    /** Prepares damage, starts the store on it; the start-up must leave no file of the store open. */
    async function damaged(
      prepare: (dataDir: string) => string,
    ): Promise<{ err: unknown; file: string; dataDir: string }> {
      const dataDir = newDir();
      const s = await open(dataDir, { compactAfterBytes: 1 << 20 });
      for (let i = 0; i < 4; i++) {
        await s.put('ns', `k${i}`, `v${i}`);
        await s.append('audit', chain(i));
      }
      await s.compact();
      for (let i = 4; i < 8; i++) await s.put('ns', `k${i}`, `v${i}`);
      await s.close();
      const file = prepare(dataDir);
      const err = await open(dataDir).then(
        (st) => st.close().then(() => null),
        (e: unknown) => e,
      );
      expect(openUnder(dataDir)).toEqual([]);
      return { err, file, dataDir };
    }

    const flipByteOfFrame = (file: string, frame: number) => {
      const buf = readFileSync(file);
      const at = frameOffsets(file)[frame]! + 10;
      buf[at] = buf[at]! ^ 0x40;
      writeFileSync(file, buf);
      return frameOffsets(file).length; // (scan stops at the damage)
    };

    it.each([
      ['a damaged frame in the middle of the write-ahead log', (d: string) => [walPath(d, 2), 2] as const],
      [
        'a damaged frame in the middle of a log segment',
        (d: string) => [segmentsOf(d, 'audit')[0]!, 1] as const,
      ],
      ['a damaged frame in the snapshot', (d: string) => [join(d, 'store', 'snapshot'), 1] as const],
    ])('stops start-up with STORE_CORRUPT naming the file and offset for %s', async (_label, pick) => {
      let expectedOffset = 0;
      const { err, file } = await damaged((d) => {
        const [path, frame] = pick(d);
        expectedOffset = frameOffsets(path)[frame]!;
        flipByteOfFrame(path, frame);
        return path;
      });
      expect(err).toMatchObject({ code: 'STORE_CORRUPT', details: { file, offset: expectedOffset } });
      expect((err as Error).message).toContain(`${file} is damaged at offset ${expectedOffset}`);
    });

    it('closes the logs it had opened when a log read after them is damaged', async () => {
      const dataDir = newDir();
      const names = ['audit', 'sessions', 'grants', 'tokens'];
      const s = await open(dataDir);
      for (const name of names) for (let i = 0; i < 3; i++) await s.append(name, chain(i));
      await s.close();
      // Damage the log start-up reaches last (directory order), so the others are open by then.
      const logsDir = join(dataDir, 'store', 'logs');
      const order = readdirSync(logsDir);
      const last = names.find((n) => logDirName(n) === order.at(-1))!;
      flipByteOfFrame(segmentsOf(dataDir, last)[0]!, 1);
      expect(await codeOf(open(dataDir))).toBe('STORE_CORRUPT');
      expect(openUnder(dataDir)).toEqual([]);
    });

    it("refuses a log moved to another log's directory, and leaves none of its files open", async () => {
      const { err, file: moved } = await damaged((d) => {
        const logsDir = join(d, 'store', 'logs');
        const to = join(logsDir, 'f'.repeat(32));
        renameSync(join(logsDir, logDirName('audit')), to);
        return to;
      });
      expect(err).toMatchObject({ code: 'STORE_CORRUPT' });
      // The segment's header names its log, so recovery refuses it before LogDirectory's own check.
      expect((err as Error).message).toContain(`${moved}/`);
      expect((err as Error).message).toContain('header does not match the file name');
    });

    it('stops start-up with STORE_CORRUPT when a write-ahead log file is missing', async () => {
      const { err } = await damaged((d) => {
        writeFileSync(walPath(d, 5), readFileSync(walPath(d, 2)));
        return walPath(d, 5);
      });
      expect(err).toMatchObject({ code: 'STORE_CORRUPT' });
      expect((err as Error).message).toMatch(
        /wal-0000000003\.log is damaged at offset 0: this write-ahead log file is missing/,
      );
    });

    it('releases the data directory lock when start-up fails', async () => {
      const { err, dataDir } = await damaged((d) => {
        flipByteOfFrame(walPath(d, 2), 1);
        return walPath(d, 2);
      });
      expect(err).toMatchObject({ code: 'STORE_CORRUPT' });
      expect(existsSync(join(dataDir, 'store', 'LOCK'))).toBe(false);
    });
  });

  describe('the data directory', () => {
    const unusable: Array<[string, (base: string) => string]> = [
      [
        'a regular file',
        (base) => {
          writeFileSync(`${base}-file`, 'x');
          return `${base}-file`;
        },
      ],
      [
        'inside a regular file',
        (base) => {
          writeFileSync(`${base}-parent`, 'x');
          return join(`${base}-parent`, 'data');
        },
      ],
      ['a directory no process may create files in', () => '/sys/kernel'],
    ];
    if (process.getuid?.() !== 0) {
      unusable.push([
        'a directory without write permission',
        (base) => {
          const dir = `${base}-ro`;
          mkdirSync(dir, { mode: 0o500 });
          chmodSync(dir, 0o500);
          return dir;
        },
      ]);
    }

    it.each(unusable)(
      'fails start-up with STORE_DATA_DIR naming the path when it is %s',
      async (_label, make) => {
        const path = make(newDir());
        const err = await open(path).then(
          (s) => s.close().then(() => null),
          (e: unknown) => e,
        );
        expect(err).toMatchObject({ code: 'STORE_DATA_DIR' });
        expect((err as Error).message).toContain(path);
      },
    );

    it('refuses a second store on a data directory in use, and allows it after close', async () => {
      const dataDir = newDir();
      const s1 = await open(dataDir);
      const err = await open(dataDir).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'STORE_DATA_DIR' });
      expect((err as Error).message).toMatch(/is in use by this process/);
      await s1.close();
      const s2 = await open(dataDir);
      await s2.close();
    });

    it('takes over the lock of a process that no longer runs and reports it', async () => {
      const dataDir = newDir();
      const s1 = await open(dataDir);
      await s1.put('ns', 'k', 'v');
      await s1.close();
      // A lock as a killed process leaves it: a PID that is not running.
      const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], {
        encoding: 'utf8',
      });
      writeFileSync(
        join(dataDir, 'store', 'LOCK'),
        JSON.stringify({ pid: Number(dead.stdout), start: '1', host: hostname() }),
      );
      const s2 = await open(dataDir);
      expect(s2.recovered.staleLock).toEqual({ pid: Number(dead.stdout), host: hostname() });
      expect(await s2.get('ns', 'k')).toMatchObject({ value: 'v' });
      await s2.close();
    });
  });

  it('rejects a write with STORE_UNAVAILABLE and stops acknowledging once the disk write fails', async () => {
    const dataDir = newDir();
    const s = await open(dataDir);
    await s.put('ns', 'k', 'v');
    // Make the next fsync'd write fail: the WAL's descriptor is closed under the store.
    await (s as unknown as { wal: { file: { close(): Promise<void> } } }).wal.file.close();
    expect(await codeOf(s.put('ns', 'k', 'lost'))).toBe('STORE_UNAVAILABLE');
    expect(await codeOf(s.get('ns', 'k'))).toBe('STORE_UNAVAILABLE');
    expect(await s.health()).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/writing to the data directory failed/),
    });
    await s.close();
  });
});
