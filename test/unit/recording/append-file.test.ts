import fc from 'fast-check';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  DIRECT_BLOCK,
  RecordingFile,
  STAGE_BYTES,
  StagePool,
  systemFileOps,
  type FileOps,
} from '../../../src/recording/append-file';
import { tmpDir, withNewFile } from '../../helpers/tmp';

let tmp: ReturnType<typeof tmpDir>;
let n = 0;
beforeAll(() => {
  tmp = tmpDir('breakglass-append-');
});
afterAll(() => tmp.cleanup());

/**
 * Real file writes through a stand-in for the O_DIRECT descriptor (a plain second
 * descriptor, so this runs on any filesystem) that refuses what direct I/O refuses: an
 * offset, length or file position that is not a whole number of blocks. `fail(call)` lets
 * a test make the i-th direct write fail or come up short.
 */
function strictOps(fail?: (call: number, length: number) => number | Error | undefined) {
  const directFds = new Set<number>();
  const log = { direct: 0, buffered: 0, bufferedBytes: 0, closed: 0 };
  let call = 0;
  const ops: FileOps = {
    openDirect(fd) {
      const d = openSync(`/proc/self/fd/${fd}`, 'r+');
      directFds.add(d);
      return d;
    },
    async write(fd, buf, offset, length, position) {
      if (!directFds.has(fd)) {
        log.buffered++;
        log.bufferedBytes += length;
        return systemFileOps.write(fd, buf, offset, length, position);
      }
      for (const v of [offset, length, position])
        if (v % DIRECT_BLOCK !== 0) throw Object.assign(new Error(`unaligned ${v}`), { code: 'EINVAL' });
      const outcome = fail?.(call++, length);
      if (outcome instanceof Error) throw outcome;
      log.direct++;
      return systemFileOps.write(fd, buf, offset, outcome ?? length, position);
    },
    close(fd) {
      log.closed++;
      directFds.delete(fd);
      closeSync(fd);
    },
  };
  return { ops, log };
}

function withFile<T>(run: (fd: number, path: string) => Promise<T>): Promise<T> {
  const path = join(tmp.path, `f${n++}.cast`);
  return withNewFile(path, (fd) => run(fd, path));
}

/** Lines of the given sizes, each byte telling where it is (a misplaced block shows). */
function linesOf(sizes: number[], start = 0): Buffer[] {
  let at = start;
  return sizes.map((size) => {
    const b = Buffer.alloc(size);
    for (let i = 0; i < size; i++) b[i] = (at++ * 7 + 3) & 0xff;
    return b;
  });
}

/** Writes all of `lines` (as many writes as the staging buffers need), the last one `complete`. */
async function writeAll(file: RecordingFile, lines: Buffer[], complete: boolean): Promise<number> {
  const queue = [...lines];
  let writes = 0;
  do {
    const started = file.start(queue, complete);
    if (!started) throw new Error('no staging buffer free');
    await started.done;
    writes++;
  } while (queue.length > 0);
  return writes;
}

describe('RecordingFile: appends with direct I/O for whole blocks, the page cache for the rest', () => {
  it('leaves exactly the bytes written, in order, for any line sizes and any mix of complete and partial writes', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            sizes: fc.array(
              fc.oneof(fc.integer({ min: 0, max: 300 }), fc.integer({ min: 3000, max: 70_000 })),
              { maxLength: 12 },
            ),
            complete: fc.boolean(),
          }),
          { minLength: 1, maxLength: 12 },
        ),
        fc.constantFrom(2 * DIRECT_BLOCK, 16 * DIRECT_BLOCK, STAGE_BYTES),
        (writes, stageBytes) =>
          withFile(async (fd, path) => {
            const { ops, log } = strictOps();
            const file = new RecordingFile(fd, new StagePool(1, stageBytes), ops);
            expect(file.isDirect).toBe(true);
            const all: Buffer[] = [];
            let total = 0;
            for (const w of writes) {
              const lines = linesOf(w.sizes, total);
              for (const l of lines) total += l.length;
              all.push(...lines);
              await writeAll(file, lines, w.complete);
              const onFile = readFileSync(path);
              // Never more than was written; a complete write leaves all of it; a partial one at most a block short.
              expect(Buffer.concat(all).subarray(0, onFile.length).equals(onFile)).toBe(true);
              expect(onFile.length + file.waiting).toBe(total);
              if (w.complete) expect(file.waiting).toBe(0);
              expect(file.waiting).toBeLessThan(DIRECT_BLOCK);
            }
            await writeAll(file, [], true);
            expect(readFileSync(path).equals(Buffer.concat(all))).toBe(true);
            if (total >= 2 * DIRECT_BLOCK) expect(log.direct).toBeGreaterThan(0);
            file.close();
            expect(log.closed).toBe(1);
          }),
      ),
      { numRuns: 60 },
    );
  });

  it('sends whole blocks directly and only the end of the file through the page cache', async () => {
    await withFile(async (fd, path) => {
      const { ops, log } = strictOps();
      const file = new RecordingFile(fd, new StagePool(1), ops);
      await writeAll(file, linesOf([10 * DIRECT_BLOCK + 100]), false);
      expect(log).toEqual({ direct: 1, buffered: 0, bufferedBytes: 0, closed: 0 });
      expect(readFileSync(path).length).toBe(10 * DIRECT_BLOCK);
      expect(file.waiting).toBe(100);
      await writeAll(file, [], true);
      expect(log).toEqual({ direct: 1, buffered: 1, bufferedBytes: 100, closed: 0 });
      expect(readFileSync(path).length).toBe(10 * DIRECT_BLOCK + 100);
      // Nothing new: a complete write has nothing to do.
      await writeAll(file, [], true);
      expect(log.buffered).toBe(1);
      // Only the new bytes of the held block go out again.
      await writeAll(file, linesOf([50], 10 * DIRECT_BLOCK + 100), true);
      expect(log).toEqual({ direct: 1, buffered: 2, bufferedBytes: 150, closed: 0 });
    });
  });

  it('copies what it takes before the write goes on, takes one staging buffer of it, and leaves the rest queued', async () => {
    await withFile(async (fd, path) => {
      const { ops } = strictOps();
      const file = new RecordingFile(fd, new StagePool(1, 4 * DIRECT_BLOCK), ops);
      const lines = linesOf([3 * DIRECT_BLOCK, 3 * DIRECT_BLOCK, 100]);
      const expected = Buffer.concat(lines);
      const queue = [...lines];
      const first = file.start(queue, true)!;
      expect(first.bytes).toBe(4 * DIRECT_BLOCK);
      expect(queue.map((b) => b.length)).toEqual([2 * DIRECT_BLOCK, 100]); // the second line was cut
      expect(file.writing).toBe(true);
      expect(() => file.start(queue, true)).toThrow(/already under way/);
      lines[0]!.fill(0); // the caller may reuse what was taken at once
      await first.done;
      expect(file.writing).toBe(false);
      const second = file.start(queue, true)!;
      expect(second.bytes).toBe(2 * DIRECT_BLOCK + 100);
      expect(queue).toEqual([]);
      await second.done;
      expect(readFileSync(path).equals(expected)).toBe(true);
    });
  });

  it('says when every staging buffer is in use, and calls the pool back when one is free', async () => {
    await withFile(async (fd) => {
      const pool = new StagePool(1, 4 * DIRECT_BLOCK);
      let freed = 0;
      pool.onFree = () => freed++;
      const { ops } = strictOps();
      const a = new RecordingFile(fd, pool, ops);
      const b = new RecordingFile(fd, pool, ops);
      const started = a.start(linesOf([10]), true)!;
      const queue = linesOf([20]);
      expect(b.start(queue, true)).toBeUndefined();
      expect(queue).toHaveLength(1); // nothing was taken
      await started.done;
      expect(freed).toBe(1);
      await b.start(queue, true)!.done;
    });
  });

  it('falls back to the page cache for good when a direct write is refused (EINVAL), keeping every byte', async () => {
    await withFile(async (fd, path) => {
      const einval = Object.assign(new Error('EINVAL: invalid argument, write'), { code: 'EINVAL' });
      const { ops, log } = strictOps((call) => (call === 1 ? einval : undefined));
      const file = new RecordingFile(fd, new StagePool(1), ops);
      const lines = linesOf([5 * DIRECT_BLOCK + 7, 3 * 1024 * 1024, 3 * DIRECT_BLOCK]);
      await writeAll(file, lines.slice(0, 1), true);
      await writeAll(file, lines.slice(1), false); // the second direct write is refused
      expect(file.isDirect).toBe(false);
      expect(log.closed).toBe(1);
      expect(file.waiting).toBe(0);
      expect(readFileSync(path).equals(Buffer.concat(lines))).toBe(true);
      const more = linesOf([9000], Buffer.concat(lines).length);
      await writeAll(file, more, false);
      expect(readFileSync(path).equals(Buffer.concat([...lines, ...more]))).toBe(true);
    });
  });

  it('falls back after a short direct write and finishes the rest through the page cache', async () => {
    await withFile(async (fd, path) => {
      const { ops } = strictOps((call, length) => (call === 0 ? length - DIRECT_BLOCK - 512 : undefined));
      const file = new RecordingFile(fd, new StagePool(1), ops);
      const lines = linesOf([3 * DIRECT_BLOCK + 10, 50]);
      await writeAll(file, lines, false);
      expect(file.isDirect).toBe(false);
      expect(readFileSync(path).equals(Buffer.concat(lines))).toBe(true);
    });
  });

  it('uses the page cache alone when there is no direct descriptor, and says so', async () => {
    await withFile(async (fd, path) => {
      const { ops, log } = strictOps();
      const file = new RecordingFile(fd, new StagePool(1), {
        ...ops,
        openDirect: () => {
          throw Object.assign(new Error('EINVAL'), { code: 'EINVAL' });
        },
      });
      expect(file.isDirect).toBe(false);
      const lines = linesOf([20_000, 1]);
      await writeAll(file, lines, false); // buffered writes are always complete
      expect(file.waiting).toBe(0);
      expect(readFileSync(path).equals(Buffer.concat(lines))).toBe(true);
      expect(log.direct).toBe(0);
      file.close();
      expect(log.closed).toBe(0);
    });
  });

  it('rejects with any other write error (a full or failing disk), and frees its staging buffer', async () => {
    await withFile(async (fd) => {
      const eio = Object.assign(new Error('EIO: i/o error, write'), { code: 'EIO' });
      const { ops } = strictOps(() => eio);
      const pool = new StagePool(1);
      const file = new RecordingFile(fd, pool, ops);
      await expect(file.start(linesOf([2 * DIRECT_BLOCK]), false)!.done).rejects.toThrow(/EIO/);
      expect(file.isDirect).toBe(true);
      expect(file.writing).toBe(false);
      expect(pool.take()).toBeDefined();
    });
  });

  it('opens no direct descriptor for what is not a regular file', () => {
    const fd = openSync('/dev/null', 'w');
    try {
      expect(new RecordingFile(fd, new StagePool(1)).isDirect).toBe(false);
    } finally {
      closeSync(fd);
    }
  });

  it('refuses a stage pool it cannot use', () => {
    expect(() => new StagePool(0)).toThrow(TypeError);
    expect(() => new StagePool(1, 1000)).toThrow(TypeError);
  });
});
