import { createHash, type Hash } from 'node:crypto';
import { DIRECT_BLOCK, RecordingFile, StagePool, systemFileOps, type FileOps } from './append-file';
import { AsciicastEncoder, type ExitStatus } from './encoder';
import type { Frame } from './ring';
import { OP, type OpenSpec, type ThreadReply } from './thread-protocol';

/** A request answered once every byte recorded before it is in the file (a flush, the close). */
interface Waiter {
  readonly through: number;
  readonly answer: () => void;
}

/**
 * One recording as the recording thread keeps it: encoder, running hash, bytes waiting for
 * the file. Its writes follow one another (one under way at a time, see RecordingFile);
 * what is recorded meanwhile waits for the next.
 */
class SinkRecording {
  readonly hash: Hash = createHash('sha256');
  size = 0;
  events = -1; // the header line is not an event
  pending: Buffer[] = [];
  pendingBytes = 0;
  /** When the oldest byte not yet on file arrived (thread time, ms); 0 when none waits. */
  pendingSince = 0;
  failure: string | undefined;
  watched = false;
  watchLines: string[] = [];
  /** The time of the frame being handled: the encoder's clock. */
  frameTime: number;
  readonly encoder: AsciicastEncoder;
  readonly file: RecordingFile;
  /** Bytes of the recording that are in the file for sure. */
  private onFile = 0;
  /** A complete write is wanted (a flush, a deadline, the close) once the one under way is done. */
  private wantComplete = false;
  /** Waiting for a staging buffer (in the sink's queue). */
  queuedForStage = false;
  private waiters: Waiter[] = [];

  constructor(
    readonly spec: OpenSpec,
    startMs: number,
    private readonly now: () => number,
    private readonly sink: SinkHooks,
    fileOps: FileOps,
  ) {
    this.frameTime = startMs;
    this.file = new RecordingFile(spec.fd, sink.stages, fileOps);
    const clock = { now: () => this.frameTime };
    this.encoder = new AsciicastEncoder({ ...spec.encoder, clock }, (line) => this.record(line));
    this.record(Buffer.from(spec.header, 'utf8'));
  }

  private record(line: Buffer): void {
    this.hash.update(line);
    this.size += line.length;
    this.events++;
    if (this.pendingSince === 0) this.pendingSince = this.now();
    this.pending.push(line);
    this.pendingBytes += line.length;
    this.sink.backlog(line.length);
    if (this.watched) this.watchLines.push(line.toString('utf8'));
  }

  /** Marks the recording failed (nothing more is recorded or written); the first reason counts. */
  fail(error: string): void {
    if (this.failure) return;
    this.failure = error;
    this.sink.backlog(-this.pendingBytes);
    this.pending = [];
    this.pendingBytes = 0;
    this.pendingSince = 0;
    this.sink.failed(error);
  }

  /**
   * Writes what waits, in order; `complete`: all of it (a flush, a deadline, the close),
   * else direct I/O may keep the part of a block at the end for the next write. While a
   * write is under way this is remembered for the next. A failed write ends the
   * recording's writes for good.
   */
  write(complete = true): void {
    if (complete) this.wantComplete = true;
    this.pump();
  }

  /**
   * Calls `answer` once every byte recorded so far, but for the last `allowance`, is in the
   * file (or the recording failed). With an allowance the writes go on as partial ones
   * until it is answered; without one (or with less than a block, which direct I/O may
   * hold back) the next write is a complete one.
   */
  whenWritten(answer: () => void, allowance = 0): void {
    const complete = allowance < DIRECT_BLOCK;
    this.waiters.push({ through: this.size - (complete ? 0 : allowance), answer });
    this.answerWaiters();
    if (this.waiters.length > 0) this.write(complete);
  }

  /** Starts the next write if one is due and none is under way. */
  pump(): void {
    if (this.file.writing || this.queuedForStage) return;
    if (this.failure) return this.answerWaiters();
    const complete = this.wantComplete;
    if (this.pending.length === 0) {
      if (!complete) return; // a partial write of nothing would write nothing
      if (this.file.waiting === 0) {
        this.wantComplete = false;
        this.onFile = this.size; // nothing recorded is outside the file
        return this.answerWaiters();
      }
    } else if (!complete && this.pendingBytes < this.spec.batchBytes && this.waiters.length === 0) {
      return; // a batch is not full yet, and nobody waits for these bytes
    }
    const since = this.pendingSince;
    const started = this.file.start(this.pending, complete);
    if (!started) {
      this.queuedForStage = true;
      return this.sink.waitForStage(this);
    }
    this.pendingBytes -= started.bytes;
    const through = this.size - this.pendingBytes;
    const all = this.pending.length === 0;
    if (all) {
      this.wantComplete = false;
      this.pendingSince = 0;
      this.encoder.recycle(); // the lines were copied out: nothing holds them any more
    }
    started.done.then(
      () => {
        this.onFile = through - this.file.waiting;
        // Bytes still held wait since before anything recorded meanwhile: their deadline stays.
        if (this.file.waiting > 0) this.pendingSince = since;
        this.written(started.bytes);
      },
      (err: Error) => {
        this.fail(`writing recording ${this.spec.path} failed: ${err.message}`);
        this.written(started.bytes);
      },
    );
  }

  private written(bytes: number): void {
    this.sink.backlog(-bytes);
    this.answerWaiters();
    this.pump();
    this.sink.progress();
  }

  private answerWaiters(): void {
    if (this.waiters.length === 0) return;
    const ready = this.failure ? this.waiters : this.waiters.filter((w) => w.through <= this.onFile);
    if (ready.length === 0) return;
    this.waiters = this.failure ? [] : this.waiters.filter((w) => w.through > this.onFile);
    for (const w of ready) w.answer();
  }

  /** Whether a write is under way or waiting for a staging buffer. */
  get busy(): boolean {
    return this.file.writing || this.queuedForStage;
  }

  /** The last write is done: the direct descriptor is closed. */
  closeFile(): void {
    this.file.close();
  }

  checkpoint() {
    return { sha256: this.hash.copy().digest('hex'), size: this.size, events: this.events };
  }
}

/** What a recording asks of the sink it belongs to. */
interface SinkHooks {
  readonly stages: StagePool;
  /** Bytes recorded (+) or written or dropped (−). */
  backlog(delta: number): void;
  failed(error: string): void;
  waitForStage(r: SinkRecording): void;
  /** A write is done. */
  progress(): void;
}

export interface SinkOptions {
  /** This thread's clock for deadlines (ms). */
  now?: () => number;
  fileOps?: FileOps;
  stages?: StagePool;
  /** Called when a write is done (the thread's deadlines and backlog may have changed). */
  onProgress?: () => void;
}

/**
 * The recording thread's side: turns frames into asciicast lines (AsciicastEncoder),
 * keeps each recording's running SHA-256, size and event count, and writes the lines to
 * the recording's file in batches (at `batchBytes`, at least every `flushIntervalMs`, and
 * on flush and close). Writes run in libuv's pool while the thread goes on encoding;
 * `backlogBytes` tells the thread when to stop taking frames until the disk catches up.
 * Replies go to `post`.
 */
export class RecordingSink {
  private readonly recs = new Map<number, SinkRecording>();
  /** Closed by CLOSE, still writing: answered when their last write is done. */
  private readonly closing = new Set<SinkRecording>();
  private readonly stageQueue: SinkRecording[] = [];
  /** Bytes recorded and not yet in a file. */
  backlogBytes = 0;

  private readonly now: () => number;
  private readonly fileOps: FileOps;
  private readonly stages: StagePool;
  private readonly onProgress: () => void;

  constructor(
    private readonly post: (reply: ThreadReply) => void,
    o: SinkOptions = {},
  ) {
    this.now = o.now ?? Date.now;
    this.fileOps = o.fileOps ?? systemFileOps;
    this.stages = o.stages ?? new StagePool();
    this.onProgress = o.onProgress ?? (() => undefined);
    // A freed buffer goes to the recordings waiting for one, in turn (one that no longer
    // needs it, having failed meanwhile, passes it on).
    this.stages.onFree = () => {
      while (this.stageQueue.length > 0 && this.stages.available > 0) {
        const r = this.stageQueue.shift()!;
        r.queuedForStage = false;
        r.pump();
      }
    };
  }

  private hooks(rec: number): SinkHooks {
    return {
      stages: this.stages,
      backlog: (delta) => (this.backlogBytes += delta),
      failed: (error) => this.post({ kind: 'failed', rec, error }),
      waitForStage: (r) => this.stageQueue.push(r),
      progress: () => this.onProgress(),
    };
  }

  handle(f: Frame): void {
    if (f.op === OP.OPEN) {
      try {
        const spec = JSON.parse(f.payload.toString('utf8')) as OpenSpec;
        this.recs.set(f.rec, new SinkRecording(spec, f.time, this.now, this.hooks(f.rec), this.fileOps));
      } catch (err) {
        this.post({ kind: 'failed', rec: f.rec, error: `cannot start recording: ${(err as Error).message}` });
      }
      return;
    }
    const r = this.recs.get(f.rec);
    if (!r) {
      // Not open (closed, or its start failed): data is dropped, requests are answered.
      if (f.op === OP.CHECKPOINT || f.op === OP.FLUSH || f.op === OP.CLOSE)
        this.post({ kind: 'refused', req: f.a, error: `recording ${f.rec} is not open` });
      return;
    }
    r.frameTime = f.time;
    try {
      this.apply(f, r);
    } catch (err) {
      r.fail(`recording ${r.spec.path}: ${(err as Error).message}`);
    }
  }

  private apply(f: Frame, r: SinkRecording): void {
    const enc = r.encoder;
    switch (f.op) {
      case OP.OUT:
        return this.data(r, () => enc.output(f.payload));
      case OP.ERR:
        return this.data(r, () => enc.errorOutput(f.payload));
      case OP.IN:
        return this.data(r, () => enc.input(f.payload));
      case OP.RESIZE:
        return this.data(r, () => enc.resize(f.a, f.b));
      case OP.MARKER:
        return this.data(r, () => enc.marker(f.payload.toString('utf8')));
      case OP.EXIT:
        return this.data(r, () => enc.exit(JSON.parse(f.payload.toString('utf8')) as ExitStatus));
      case OP.WATCH:
        r.watched = f.a === 1;
        if (!r.watched) r.watchLines = [];
        return;
      case OP.CHECKPOINT:
        return this.post({ kind: 'checkpoint', req: f.a, checkpoint: r.checkpoint() });
      case OP.FLUSH:
        this.flushLines(f.rec, r); // viewers get what was recorded before the flush completes
        return r.whenWritten(
          () => this.post({ kind: 'flushed', req: f.a, ...(r.failure ? { error: r.failure } : {}) }),
          f.b,
        );
      case OP.CLOSE:
        return this.close(f, r);
    }
  }

  private data(r: SinkRecording, encode: () => void): void {
    if (r.failure) return;
    encode();
    if (r.pendingBytes >= r.spec.batchBytes) r.write(false);
  }

  private close(f: Frame, r: SinkRecording): void {
    this.recs.delete(f.rec);
    this.closing.add(r);
    if (!r.failure) r.encoder.end();
    // Viewers get the last lines now; the reply waits for the file.
    this.flushLines(f.rec, r);
    r.whenWritten(() => {
      this.closing.delete(r);
      r.closeFile();
      const error = r.failure;
      // The descriptor was opened by the event loop, which syncs and closes it on this reply
      // (a sync here would hold up every other recording until the disk is done).
      this.post({
        kind: 'closed',
        req: f.a,
        seal: { ...r.checkpoint(), durationMs: r.encoder.elapsedMs },
        ...(error ? { error } : {}),
      });
      this.onProgress();
    });
  }

  private flushLines(rec: number, r: SinkRecording): void {
    if (r.watchLines.length === 0) return;
    this.post({ kind: 'lines', rec, lines: r.watchLines });
    r.watchLines = [];
  }

  /** Whether any write is under way or waiting for a staging buffer (closing recordings' too). */
  get writing(): boolean {
    for (const r of [...this.recs.values(), ...this.closing]) if (r.busy) return true;
    return false;
  }

  /**
   * The thread is stopping: what waits is written and the direct descriptors closed (the
   * event loop closes the files). Resolves when that is done.
   */
  async shutdown(): Promise<void> {
    const open = [...this.recs.values()];
    this.recs.clear();
    await Promise.all([
      ...open.map((r) => new Promise<void>((resolve) => r.whenWritten(resolve)).then(() => r.closeFile())),
      ...[...this.closing].map(
        (r) => new Promise<void>((resolve) => r.whenWritten(resolve)), // its close answers and closes
      ),
    ]);
  }

  /** After a batch of frames: live viewers get their lines. */
  afterBatch(): void {
    for (const [rec, r] of this.recs) this.flushLines(rec, r);
  }

  /**
   * Starts writing everything that waits, in every recording: the thread is over its
   * backlog and takes no frames until writes are done, so none may wait for a batch to fill.
   */
  writeAll(): void {
    for (const r of this.recs.values()) if (r.pendingBytes > 0) r.write();
  }

  /**
   * Writes every recording whose oldest waiting byte is due; returns the milliseconds
   * until the next one is (Infinity when nothing waits).
   */
  writeDue(): number {
    const now = this.now();
    let next = Infinity;
    for (const r of this.recs.values()) {
      if (r.pendingSince === 0) continue;
      const due = r.pendingSince + r.spec.flushIntervalMs;
      if (due > now) next = Math.min(next, due - now);
      else r.write();
    }
    return next;
  }
}
