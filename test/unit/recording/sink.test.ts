import { createHash } from 'node:crypto';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DIRECT_BLOCK, systemFileOps, type FileOps } from '../../../src/recording/append-file';
import { headerLine } from '../../../src/recording/encoder';
import type { Frame } from '../../../src/recording/ring';
import { RecordingSink } from '../../../src/recording/sink';
import { OP, type OpenSpec, type ThreadReply } from '../../../src/recording/thread-protocol';
import { tmpDir, withNewFile } from '../../helpers/tmp';

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

function setup(fd: number, path: string, extra: Partial<OpenSpec> = {}, fileOps?: FileOps) {
  const replies: ThreadReply[] = [];
  let now = 1_000;
  const sink = new RecordingSink(
    (r) => replies.push(r),
    () => now,
    fileOps,
  );
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
  sink.handle(frame(OP.OPEN, { payload: Buffer.from(JSON.stringify(spec)) }));
  return { sink, replies, spec, advance: (ms: number) => (now += ms) };
}

describe('the recording thread sink', () => {
  it('encodes, hashes and writes a recording: flush, checkpoint, exit and close with its seal', () => {
    const path = join(tmp.path, 'ok.cast');
    withNewFile(path, (fd) => {
      const { sink, replies } = setup(fd, path);
      sink.handle(frame(OP.OUT, { time: START + 500, payload: Buffer.from([0, 1, 2, 255]) }));
      sink.handle(frame(OP.FLUSH, { a: 7 }));
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
      expect(readFileSync(path).equals(all)).toBe(true);
    });
  });

  it('writes what waits once the flush interval has passed, and says when the next write is due', () => {
    const path = join(tmp.path, 'due.cast');
    withNewFile(path, (fd) => {
      const { sink, advance } = setup(fd, path, { flushIntervalMs: 100 });
      expect(sink.writeDue()).toBe(100); // the header waits since the open
      advance(100);
      expect(sink.writeDue()).toBe(Infinity);
      expect(readFileSync(path, 'utf8')).toMatch(/^\{"version":2/);
      sink.handle(frame(OP.OUT, { payload: Buffer.from('x') }));
      advance(40);
      expect(sink.writeDue()).toBe(60);
    });
  });

  it('keeps the deadline of bytes held back from a direct write, and writes them when it comes', () => {
    const path = join(tmp.path, 'held.cast');
    // A plain second descriptor stands in for O_DIRECT (this runs on any filesystem).
    const ops: FileOps = { ...systemFileOps, openDirect: (f) => openSync(`/proc/self/fd/${f}`, 'r+') };
    withNewFile(path, (fd) => {
      const { sink, advance } = setup(fd, path, { flushIntervalMs: 100, batchBytes: DIRECT_BLOCK }, ops);
      sink.handle(frame(OP.OUT, { payload: Buffer.alloc(10_000, 1) })); // header and line: over 2 blocks
      const written = readFileSync(path).length;
      expect(written).toBe(3 * DIRECT_BLOCK);
      advance(60);
      sink.handle(frame(OP.OUT, { payload: Buffer.from('x') }));
      expect(sink.writeDue()).toBe(40); // the held bytes wait since the header came, not since 'x'
      expect(readFileSync(path).length).toBe(written);
      advance(40);
      expect(sink.writeDue()).toBe(Infinity);
      const all = readFileSync(path);
      expect(all.length).toBeGreaterThan(written);
      expect(all.toString()).toContain(`, "ob", "${Buffer.alloc(10_000, 1).toString('base64')}"]\n`);
      expect(all.toString().endsWith(', "ob", "eA=="]\n')).toBe(true);
    });
  });

  it('sends the lines of a watched recording after each batch, and none once unwatched', () => {
    const path = join(tmp.path, 'watch.cast');
    withNewFile(path, (fd) => {
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

  it('reports a failed write once (a full disk), records nothing after it, and seals with the error', () => {
    const fd = openSync('/dev/full', 'w');
    try {
      const { sink, replies } = setup(fd, '/dev/full', { batchBytes: 1 });
      sink.handle(frame(OP.OUT, { payload: Buffer.from('lost') }));
      sink.handle(frame(OP.OUT, { payload: Buffer.from('lost too') }));
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
    } finally {
      closeSync(fd);
    }
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
