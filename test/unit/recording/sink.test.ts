import { createHash } from 'node:crypto';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DIRECT_BLOCK, StagePool, systemFileOps, type FileOps } from '../../../src/recording/append-file';
import { headerLine } from '../../../src/recording/encoder';
import type { Frame } from '../../../src/recording/ring';
import { RecordingSink } from '../../../src/recording/sink';
import { OP, type OpenSpec, type ThreadReply } from '../../../src/recording/thread-protocol';
import { tmpDir, withNewFile, withNewFiles } from '../../helpers/tmp';

const START = Date.UTC(2026, 0, 1);
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

let tmp: ReturnType<typeof tmpDir>;
beforeAll(() => {
  tmp = tmpDir('breakglass-sink-');
});
afterAll(() => tmp.cleanup());

function frame(op: number, fields: Partial<Omit<Frame, 'op'>> = {}): Frame {
  return { op, rec: 1, a: 0, b: 0, time: START, payload: Buffer.alloc(0), ...fields };
}

function setup(
  fd: number,
  path: string,
  extra: Partial<OpenSpec> = {},
  fileOps?: FileOps,
  stages?: StagePool,
) {
  const replies: ThreadReply[] = [];
  let now = 1_000;
  let progress = 0;
  const sink = new RecordingSink((r) => replies.push(r), {
    now: () => now,
    ...(fileOps ? { fileOps } : {}),
    ...(stages ? { stages } : {}),
    onProgress: () => progress++,
  });
  const spec = open(sink, fd, path, 1, extra);
  return { sink, replies, spec, advance: (ms: number) => (now += ms), progress: () => progress };
}

function open(sink: RecordingSink, fd: number, path: string, rec: number, extra: Partial<OpenSpec> = {}) {
  const encoder = { kind: 'exec' as const, width: 80, height: 24, recordInput: false, command: 'cat' };
  const spec: OpenSpec = {
    fd,
    path,
    encoder,
    header: headerLine(encoder, START).toString('utf8'),
    flushIntervalMs: 1000,
    batchBytes: 1 << 20,
    ...extra,
  };
  sink.handle(frame(OP.OPEN, { rec, payload: Buffer.from(JSON.stringify(spec)) }));
  return spec;
}

/** Resolves once no write of the sink's is under way or waiting (looking every millisecond, at most 10 000 times). */
async function settled(sink: RecordingSink): Promise<void> {
  for (let i = 0; i < 10_000 && sink.writing; i++) await new Promise((r) => setTimeout(r, 1));
  if (sink.writing) throw new Error('the sink still writes');
}

/**
 * File writes that wait for `release()`: what a test sees while a write is under way.
 * `direct`: a plain second descriptor stands in for O_DIRECT (this runs on any filesystem).
 */
function gatedOps(direct = false) {
  const gates: (() => void)[] = [];
  let open = false;
  const ops: FileOps = {
    ...systemFileOps,
    openDirect: direct
      ? (f) => openSync(`/proc/self/fd/${f}`, 'r+')
      : () => {
          throw new Error('no direct I/O here');
        },
    async write(fd, buf, offset, length, position) {
      if (!open) await new Promise<void>((resolve) => gates.push(resolve));
      return systemFileOps.write(fd, buf, offset, length, position);
    },
  };
  return {
    ops,
    /** Lets every write through from now on, and those waiting. */
    release: () => {
      open = true;
      for (const g of gates.splice(0)) g();
    },
    waiting: () => gates.length,
  };
}

/** A sink with one small staging buffer and gated file writes: recordings queue for the buffer. */
function gatedSink() {
  const gate = gatedOps();
  const replies: ThreadReply[] = [];
  const sink = new RecordingSink((r) => replies.push(r), {
    fileOps: gate.ops,
    stages: new StagePool(1, 2 * DIRECT_BLOCK),
  });
  return { gate, replies, sink };
}

describe('the recording thread sink', () => {
  it('encodes, hashes and writes a recording: flush, checkpoint, exit and close with its seal', async () => {
    const path = join(tmp.path, 'ok.cast');
    await withNewFile(path, async (fd) => {
      const { sink, replies } = setup(fd, path);
      sink.handle(frame(OP.OUT, { time: START + 500, payload: Buffer.from([0, 1, 2, 255]) }));
      sink.handle(frame(OP.FLUSH, { a: 7 }));
      await settled(sink);
      expect(replies).toEqual([{ kind: 'flushed', req: 7 }]);
      const flushed = readFileSync(path);
      expect(flushed.toString()).toContain('[0.5, "ob", "AAEC/w=="]\n');
      sink.handle(frame(OP.CHECKPOINT, { a: 8 }));
      expect(replies[1]).toEqual({
        kind: 'checkpoint',
        req: 8,
        checkpoint: { sha256: sha256(flushed), size: flushed.length, events: 1 },
      });
      sink.handle(frame(OP.EXIT, { time: START + 900, payload: Buffer.from(JSON.stringify({ code: 3 })) }));
      sink.handle(frame(OP.CLOSE, { a: 9, time: START + 1000 }));
      await settled(sink);
      const all = readFileSync(path);
      expect(all.toString().endsWith('[0.9, "x", "3"]\n')).toBe(true);
      expect(replies[2]).toEqual({
        kind: 'closed',
        req: 9,
        seal: { sha256: sha256(all), size: all.length, events: 2, durationMs: 1000 },
      });
      // Closed: data is dropped and requests are refused, never left unanswered.
      sink.handle(frame(OP.OUT, { payload: Buffer.from('late') }));
      sink.handle(frame(OP.FLUSH, { a: 10 }));
      expect(replies[3]).toEqual({ kind: 'refused', req: 10, error: 'recording 1 is not open' });
      await settled(sink);
      expect(readFileSync(path).equals(all)).toBe(true);
      expect(sink.backlogBytes).toBe(0);
    });
  });

  it('answers a flush only once the bytes before it are in the file, and goes on taking frames meanwhile', async () => {
    const path = join(tmp.path, 'gated.cast');
    await withNewFile(path, async (fd) => {
      const gate = gatedOps();
      const { sink, replies, progress } = setup(fd, path, {}, gate.ops);
      sink.handle(frame(OP.OUT, { payload: Buffer.from('one') }));
      sink.handle(frame(OP.FLUSH, { a: 1 }));
      sink.handle(frame(OP.OUT, { payload: Buffer.from('two') })); // while the write is under way
      await new Promise((r) => setImmediate(r));
      expect(gate.waiting()).toBe(1);
      expect(replies).toEqual([]);
      expect(readFileSync(path).length).toBe(0);
      expect(sink.backlogBytes).toBeGreaterThan(0);
      gate.release();
      await settled(sink);
      expect(replies).toEqual([{ kind: 'flushed', req: 1 }]);
      expect(progress()).toBe(1);
      const text = readFileSync(path, 'utf8');
      expect(text).toContain('"b25l"'); // 'one'
      expect(text).not.toContain('"dHdv"'); // 'two' waits for its batch or deadline
      sink.handle(frame(OP.FLUSH, { a: 2 }));
      await settled(sink);
      expect(readFileSync(path, 'utf8')).toContain('"dHdv"');
      expect(sink.backlogBytes).toBe(0);
    });
  });

  it('answers a flush with an allowance while that many bytes still wait, writing in partial batches', async () => {
    const path = join(tmp.path, 'allowance.cast');
    // Direct I/O holds the part of a block at the end: only a flush without allowance writes it.
    const ops: FileOps = { ...systemFileOps, openDirect: (f) => openSync(`/proc/self/fd/${f}`, 'r+') };
    await withNewFile(path, async (fd) => {
      const { sink, replies } = setup(fd, path, { batchBytes: 1 << 24 }, ops);
      const chunk = Buffer.alloc(300_000, 7);
      sink.handle(frame(OP.OUT, { payload: chunk })); // 400 kB of base64, under the batch size: no write yet
      await settled(sink);
      expect(readFileSync(path).length).toBe(0);
      sink.handle(frame(OP.FLUSH, { a: 1, b: 100_000 }));
      await settled(sink);
      expect(replies).toEqual([{ kind: 'flushed', req: 1 }]);
      const size = (sink as unknown as { recs: Map<number, { size: number }> }).recs.get(1)!.size;
      const onFile = readFileSync(path).length;
      expect(onFile).toBeGreaterThanOrEqual(size - 100_000);
      expect(onFile % DIRECT_BLOCK).toBe(0); // a partial write: whole blocks
      expect(onFile).toBeLessThan(size);
      // Less than a block of allowance counts as none: everything is written.
      sink.handle(frame(OP.FLUSH, { a: 2, b: 100 }));
      await settled(sink);
      expect(replies[1]).toEqual({ kind: 'flushed', req: 2 });
      expect(readFileSync(path).length).toBe(size);
    });
  });

  it('writes the recordings that wait for a staging buffer in turn, each complete and in order', async () => {
    const paths = [1, 2, 3].map((i) => join(tmp.path, `turn${i}.cast`));
    await withNewFiles(paths, async (fds) => {
      const { gate, replies, sink } = gatedSink();
      const chunks = [1, 2, 3].map((i) => Buffer.alloc(20_000, i)); // several staging buffers each
      fds.forEach((fd, i) => {
        open(sink, fd, paths[i]!, i + 1, { batchBytes: 4096 });
        sink.handle(frame(OP.OUT, { rec: i + 1, payload: chunks[i]! }));
      });
      await new Promise((r) => setImmediate(r));
      expect(gate.waiting()).toBe(1); // one buffer: one write under way, the others wait for it
      gate.release();
      fds.forEach((_, i) => sink.handle(frame(OP.CLOSE, { rec: i + 1, a: 10 + i })));
      await settled(sink);
      expect(replies.map((r) => r.kind)).toEqual(['closed', 'closed', 'closed']);
      paths.forEach((p, i) => {
        const text = readFileSync(p, 'utf8');
        const data = Buffer.concat(
          text
            .split('\n')
            .slice(1, -1)
            .map((l) => Buffer.from((JSON.parse(l) as [number, string, string])[2], 'base64')),
        );
        expect(data.equals(chunks[i]!)).toBe(true);
        const seal = (
          replies.find((r) => r.kind === 'closed' && r.req === 10 + i) as { seal: { sha256: string } }
        ).seal;
        expect(seal.sha256).toBe(sha256(readFileSync(p)));
      });
      expect(sink.backlogBytes).toBe(0);
    });
  });

  it('passes a freed staging buffer on past a waiting recording that failed meanwhile', async () => {
    const paths = [1, 2, 3].map((i) => join(tmp.path, `pass${i}.cast`));
    await withNewFiles(paths, async (fds) => {
      const { gate, replies, sink } = gatedSink();
      fds.forEach((fd, i) => {
        open(sink, fd, paths[i]!, i + 1, { batchBytes: 1024 });
        sink.handle(frame(OP.OUT, { rec: i + 1, payload: Buffer.alloc(2000, i) }));
      });
      sink.handle(frame(OP.EXIT, { rec: 2, payload: Buffer.from('{not json') })); // recording 2 fails while it waits
      sink.handle(frame(OP.FLUSH, { rec: 3, a: 30 }));
      gate.release();
      await settled(sink);
      expect(replies).toEqual([
        { kind: 'failed', rec: 2, error: expect.stringMatching(/^recording .*pass2\.cast: /) },
        { kind: 'flushed', req: 30 },
      ]);
      expect(readFileSync(paths[2]!, 'utf8')).toContain(`"${Buffer.alloc(2000, 2).toString('base64')}"]\n`);
    });
  });

  it('writes everything that waits in every recording when asked (the thread is over its backlog), batch or not', async () => {
    const paths = [1, 2].map((i) => join(tmp.path, `all${i}.cast`));
    await withNewFiles(paths, async (fds) => {
      const sink = new RecordingSink(() => undefined);
      fds.forEach((fd, i) => {
        open(sink, fd, paths[i]!, i + 1, { batchBytes: 1 << 24 });
        sink.handle(frame(OP.OUT, { rec: i + 1, payload: Buffer.alloc(5000, i) }));
      });
      await settled(sink);
      expect(paths.map((p) => readFileSync(p).length)).toEqual([0, 0]); // under the batch, before the deadline
      expect(sink.backlogBytes).toBeGreaterThan(2 * 5000);
      sink.writeAll();
      await settled(sink);
      paths.forEach((p, i) =>
        expect(readFileSync(p, 'utf8')).toContain(`"${Buffer.alloc(5000, i).toString('base64')}"]\n`),
      );
      expect(sink.backlogBytes).toBe(0);
    });
  });

  it('writes what waits once the flush interval has passed, and says when the next write is due', async () => {
    const path = join(tmp.path, 'due.cast');
    await withNewFile(path, async (fd) => {
      const { sink, advance } = setup(fd, path, { flushIntervalMs: 100 });
      expect(sink.writeDue()).toBe(100); // the header waits since the open
      advance(100);
      expect(sink.writeDue()).toBe(Infinity);
      await settled(sink);
      expect(readFileSync(path, 'utf8')).toMatch(/^\{"version":2/);
      sink.handle(frame(OP.OUT, { payload: Buffer.from('x') }));
      advance(40);
      expect(sink.writeDue()).toBe(60);
    });
  });

  it('keeps the deadline of bytes held back from a direct write, and writes them when it comes', async () => {
    const path = join(tmp.path, 'held.cast');
    // A plain second descriptor stands in for O_DIRECT (this runs on any filesystem).
    const ops: FileOps = { ...systemFileOps, openDirect: (f) => openSync(`/proc/self/fd/${f}`, 'r+') };
    await withNewFile(path, async (fd) => {
      const { sink, advance } = setup(fd, path, { flushIntervalMs: 100, batchBytes: DIRECT_BLOCK }, ops);
      sink.handle(frame(OP.OUT, { payload: Buffer.alloc(10_000, 1) })); // header and line: over 2 blocks
      await settled(sink);
      const written = readFileSync(path).length;
      expect(written).toBe(3 * DIRECT_BLOCK);
      advance(60);
      sink.handle(frame(OP.OUT, { payload: Buffer.from('x') }));
      expect(sink.writeDue()).toBe(40); // the held bytes wait since the header came, not since 'x'
      await settled(sink);
      expect(readFileSync(path).length).toBe(written);
      advance(40);
      expect(sink.writeDue()).toBe(Infinity);
      await settled(sink);
      const all = readFileSync(path);
      expect(all.length).toBeGreaterThan(written);
      expect(all.toString()).toContain(`, "ob", "${Buffer.alloc(10_000, 1).toString('base64')}"]\n`);
      expect(all.toString().endsWith(', "ob", "eA=="]\n')).toBe(true);
    });
  });

  it('sends the lines of a watched recording after each batch, and none once unwatched', async () => {
    const path = join(tmp.path, 'watch.cast');
    await withNewFile(path, async (fd) => {
      const { sink, replies } = setup(fd, path);
      sink.handle(frame(OP.WATCH, { a: 1 }));
      sink.handle(frame(OP.OUT, { payload: Buffer.from('hi') }));
      sink.afterBatch();
      expect(replies).toEqual([{ kind: 'lines', rec: 1, lines: ['[0, "ob", "aGk="]\n'] }]);
      sink.handle(frame(OP.WATCH, { a: 0 }));
      sink.handle(frame(OP.OUT, { payload: Buffer.from('hi') }));
      sink.afterBatch();
      expect(replies).toHaveLength(1);
    });
  });

  it('reports a failed write once (a full disk), records nothing after it, and seals with the error', async () => {
    const fd = openSync('/dev/full', 'w');
    try {
      const { sink, replies } = setup(fd, '/dev/full', { batchBytes: 1 });
      sink.handle(frame(OP.OUT, { payload: Buffer.from('lost') }));
      await settled(sink);
      sink.handle(frame(OP.OUT, { payload: Buffer.from('lost too') }));
      await settled(sink);
      expect(replies).toEqual([
        {
          kind: 'failed',
          rec: 1,
          error: expect.stringMatching(/writing recording \/dev\/full failed: .*ENOSPC/),
        },
      ]);
      sink.handle(frame(OP.FLUSH, { a: 2 }));
      expect(replies[1]).toMatchObject({ kind: 'flushed', req: 2, error: expect.stringMatching(/ENOSPC/) });
      sink.handle(frame(OP.CLOSE, { a: 3 }));
      expect(replies[2]).toMatchObject({ kind: 'closed', req: 3, error: expect.stringMatching(/ENOSPC/) });
      expect((replies[2] as { seal: { events: number } }).seal.events).toBe(1); // only the chunk before the failure
      expect(sink.backlogBytes).toBe(0);
    } finally {
      closeSync(fd);
    }
  });

  it('writes what waits before it stops, waiting for the writes under way', async () => {
    const path = join(tmp.path, 'stop.cast');
    await withNewFile(path, async (fd) => {
      const gate = gatedOps(true);
      const { sink } = setup(fd, path, { batchBytes: 4096 }, gate.ops);
      sink.handle(frame(OP.OUT, { payload: Buffer.alloc(3100, 5) })); // over a batch: a write starts
      let stopped = false;
      const stopping = sink.shutdown().then(() => (stopped = true));
      await new Promise((r) => setImmediate(r));
      expect(stopped).toBe(false);
      gate.release();
      await stopping;
      expect(sink.writing).toBe(false);
      expect(readFileSync(path, 'utf8')).toContain(`"${Buffer.alloc(3100, 5).toString('base64')}"]\n`);
    });
  });

  it('refuses a malformed start without stopping (the recording fails, the thread goes on)', () => {
    const replies: ThreadReply[] = [];
    const sink = new RecordingSink((r) => replies.push(r));
    sink.handle(frame(OP.OPEN, { rec: 5, payload: Buffer.from('{not json') }));
    sink.handle(frame(OP.CLOSE, { rec: 5, a: 1 }));
    expect(replies).toEqual([
      { kind: 'failed', rec: 5, error: expect.stringMatching(/^cannot start recording: /) },
      { kind: 'refused', req: 1, error: 'recording 5 is not open' },
    ]);
  });
});
