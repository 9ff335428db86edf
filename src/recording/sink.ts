import { createHash, type Hash } from 'node:crypto';
import { RecordingFile, systemFileOps, type FileOps } from './append-file';
import { AsciicastEncoder, type ExitStatus } from './encoder';
import type { Frame } from './ring';
import { OP, type OpenSpec, type ThreadReply } from './thread-protocol';

/** One recording as the recording thread keeps it: encoder, running hash, bytes waiting for the file. */
class SinkRecording {
  readonly hash: Hash = createHash('sha256');
  size = 0;
  events = -1; // the header line is not an event
  pending: Buffer[] = [];
  pendingBytes = 0;
  /** When the oldest waiting byte arrived (thread time, ms); 0 when nothing waits. */
  pendingSince = 0;
  failure: string | undefined;
  watched = false;
  watchLines: string[] = [];
  /** The time of the frame being handled: the encoder's clock. */
  frameTime: number;
  readonly encoder: AsciicastEncoder;
  private readonly file: RecordingFile;

  constructor(
    readonly spec: OpenSpec,
    startMs: number,
    private readonly now: () => number,
    /** Told once, when the recording first fails. */
    private readonly onFailed: (error: string) => void,
    fileOps: FileOps,
  ) {
    this.frameTime = startMs;
    this.file = new RecordingFile(spec.fd, fileOps);
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
    if (this.watched) this.watchLines.push(line.toString('utf8'));
  }

  /** Marks the recording failed (nothing more is recorded or written); the first reason counts. */
  fail(error: string): void {
    if (this.failure) return;
    this.failure = error;
    this.onFailed(error);
  }

  /**
   * Writes what waits, in order; `complete`: all of it (a flush, a deadline, the close),
   * else direct I/O may keep the part of a block at the end for the next write. A failed
   * write ends the recording's writes for good.
   */
  write(complete = true): void {
    if (this.failure || (this.pending.length === 0 && (!complete || this.file.waiting === 0))) return;
    try {
      this.file.write(this.pending, complete);
    } catch (err) {
      this.fail(`writing recording ${this.spec.path} failed: ${(err as Error).message}`);
    }
    this.pending = [];
    this.pendingBytes = 0;
    // Bytes still held wait since before the oldest of these: their deadline stays.
    if (this.failure || this.file.waiting === 0) this.pendingSince = 0;
    this.encoder.recycle(); // nothing holds the written lines any more
  }

  /** The last complete write has been made: the direct descriptor is closed. */
  closeFile(): void {
    this.file.close();
  }

  checkpoint() {
    return { sha256: this.hash.copy().digest('hex'), size: this.size, events: this.events };
  }
}

/**
 * The recording thread's side: turns frames into asciicast lines (AsciicastEncoder),
 * keeps each recording's running SHA-256, size and event count, and writes the lines to
 * the recording's file in batches (at `batchBytes`, at least every `flushIntervalMs`, and
 * on flush and close). Replies go to `post`. `now` is this thread's clock for deadlines.
 */
export class RecordingSink {
  private readonly recs = new Map<number, SinkRecording>();

  constructor(
    private readonly post: (reply: ThreadReply) => void,
    private readonly now: () => number = Date.now,
    private readonly fileOps: FileOps = systemFileOps,
  ) {}

  handle(f: Frame): void {
    if (f.op === OP.OPEN) {
      try {
        const spec = JSON.parse(f.payload.toString('utf8')) as OpenSpec;
        const failed = (error: string) => this.post({ kind: 'failed', rec: f.rec, error });
        this.recs.set(f.rec, new SinkRecording(spec, f.time, this.now, failed, this.fileOps));
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
        r.write();
        this.flushLines(f.rec, r); // viewers get what was recorded before the flush completes
        return this.post({ kind: 'flushed', req: f.a, ...(r.failure ? { error: r.failure } : {}) });
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
    if (!r.failure) {
      r.encoder.end();
      r.write();
    }
    r.closeFile();
    const error = r.failure;
    // The descriptor was opened by the event loop, which syncs and closes it on this reply
    // (a sync here would hold up every other recording until the disk is done).
    this.flushLines(f.rec, r);
    this.post({
      kind: 'closed',
      req: f.a,
      seal: { ...r.checkpoint(), durationMs: r.encoder.elapsedMs },
      ...(error ? { error } : {}),
    });
  }

  private flushLines(rec: number, r: SinkRecording): void {
    if (r.watchLines.length === 0) return;
    this.post({ kind: 'lines', rec, lines: r.watchLines });
    r.watchLines = [];
  }

  /** The thread is stopping: what waits is written (the event loop closes the files). */
  shutdown(): void {
    for (const r of this.recs.values()) {
      r.write();
      r.closeFile();
    }
    this.recs.clear();
  }

  /** After a batch of frames: live viewers get their lines. */
  afterBatch(): void {
    for (const [rec, r] of this.recs) this.flushLines(rec, r);
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
