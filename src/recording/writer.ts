import { createHash } from 'node:crypto';
import { close as fsClose, closeSync, createReadStream, fdatasync, open as fsOpen } from 'node:fs';
import { BreakglassError } from '../errors';
import {
  checkSize,
  exitEventData,
  headerLine,
  MAX_MARKER_CHARS,
  type EncoderOptions,
  type ExitStatus,
} from './encoder';
import type { RecordingThread } from './thread-host';
import { OP, type OpenSpec } from './thread-protocol';

export interface RecordingWriterOptions extends EncoderOptions {
  /** File to create (mode 0600); an existing file is never overwritten. */
  path: string;
  /** Longest time recorded bytes wait in memory before being written (default and maximum 1000 ms). */
  flushIntervalMs?: number;
  /** Pending bytes that trigger a write at once (default 256 KiB). */
  batchBytes?: number;
  /** Bytes of this recording not yet written above which the record calls return false: pause the source until `ready()` resolves (default 8 MiB). */
  maxPendingBytes?: number;
  /** Called once when writing fails; the session must then end (it can no longer be recorded). */
  onError?: (err: BreakglassError) => void;
}

/** Running state for the audit log's periodic checkpoint entry. */
export interface RecordingCheckpoint {
  /** SHA-256 (hex) of the first `size` bytes of the file. */
  sha256: string;
  size: number;
  /** Events recorded so far (header excluded). */
  events: number;
}

/** The final values sealed into the audit log when the recording ends. */
export interface RecordingSeal extends RecordingCheckpoint {
  durationMs: number;
}

export interface RecordingWriter {
  readonly path: string;
  /** Terminal output / exec stdout. Returns false when the source should pause until `ready()` resolves. */
  output(chunk: Buffer): boolean;
  /** Exec stderr ("e" events). */
  errorOutput(chunk: Buffer): boolean;
  /** Typed input: "i" events only when input is recorded; markers on Enter either way. */
  input(chunk: Buffer): boolean;
  resize(cols: number, rows: number): void;
  marker(label: string): void;
  exit(status: ExitStatus): void;
  /**
   * Hash, size and event count of every byte recorded so far. Those bytes are in the file
   * within `flushIntervalMs`; a crash before that leaves a shorter file, which
   * `verifyRecording` reports as truncated. After close: the seal's.
   */
  checkpoint(): Promise<RecordingCheckpoint>;
  /** Resolves when every byte recorded so far has been handed to the file. */
  flush(): Promise<void>;
  /**
   * Resolves when a paused source may go on: the recording thread has taken what its ring
   * held and, when `maxPendingBytes` or more of this recording were waiting for the file,
   * it has written all but half that much. Rejects like `flush()` when the recording failed.
   */
  ready(): Promise<void>;
  /** Receives every line from now on (after the header line, sent at once): for live viewers. */
  subscribe(listener: (line: string) => void): () => void;
  /** Flushes, syncs and closes the file; idempotent. */
  close(): Promise<RecordingSeal>;
}

function closeFd(fd: number): Promise<void> {
  return new Promise((resolve) => fsClose(fd, () => resolve()));
}

/**
 * Gets a recording's bytes onto the disk before it is sealed; resolves with what failed.
 * It runs in libuv's pool, not on the recording thread: syncing a large file takes as
 * long as the disk needs, and the thread must go on writing the other sessions' data.
 */
function syncFile(fd: number, path: string): Promise<string | undefined> {
  return new Promise((resolve) =>
    fdatasync(fd, (err) => resolve(err ? `syncing recording ${path} failed: ${err.message}` : undefined)),
  );
}

/** Hash, size and event count of a recording file as it is on disk. */
async function checkpointOfFile(path: string): Promise<RecordingCheckpoint> {
  const hash = createHash('sha256');
  let size = 0;
  let lines = 0;
  for await (const chunk of createReadStream(path) as AsyncIterable<Buffer>) {
    hash.update(chunk);
    size += chunk.length;
    for (let i = chunk.indexOf(0x0a); i >= 0; i = chunk.indexOf(0x0a, i + 1)) lines++;
  }
  return { sha256: hash.digest('hex'), size, events: Math.max(0, lines - 1) };
}

/** Opens the file for a new recording: mode 0600, never an existing file. */
async function createFile(path: string): Promise<number> {
  try {
    return await new Promise<number>((resolve, reject) =>
      fsOpen(path, 'wx', 0o600, (err, fd) => (err ? reject(err) : resolve(fd))),
    );
  } catch (err) {
    if ((err as { code?: string }).code === 'EEXIST') {
      throw new BreakglassError(
        'RECORDING_EXISTS',
        `recording file ${path} already exists; recordings are never overwritten`,
        { cause: err },
      );
    }
    throw new BreakglassError(
      'RECORDING_WRITE_FAILED',
      `cannot create recording ${path}: ${(err as Error).message}`,
      {
        cause: err,
      },
    );
  }
}

/**
 * A recording written by the recording thread (thread-host.ts): this side checks the
 * arguments (bad ones throw here, at the caller), stamps each chunk with the clock and
 * hands it over; encoding, hashing and file writes happen on the thread.
 */
class ThreadRecording implements RecordingWriter {
  private failure: BreakglassError | undefined;
  private closing: Promise<RecordingSeal> | undefined;
  private readonly listeners = new Set<(line: string) => void>();
  /** Session bytes handed over since the last completed flush. */
  private unflushed = 0;
  private readonly maxPending: number;
  private readonly id: number;
  private sealed: RecordingSeal | undefined;
  private readonly headerText: string;
  readonly path: string;

  /**
   * Registers with the thread and sends it the OPEN frame: the thread writes to `fd` until
   * its reply to CLOSE, then this side closes it.
   */
  constructor(
    private readonly thread: RecordingThread,
    private readonly opts: RecordingWriterOptions,
    private readonly fd: number,
    startMs: number,
  ) {
    this.path = opts.path;
    this.maxPending = opts.maxPendingBytes ?? 8 * 1024 * 1024;
    this.headerText = headerLine(opts, startMs).toString('utf8');
    this.id = thread.register({
      failed: (error) => this.fail(error),
      lines: (lines) => this.publish(lines),
    });

    const encoder: OpenSpec['encoder'] = {
      kind: opts.kind,
      width: opts.width,
      height: opts.height,
      recordInput: opts.recordInput,
      ...(opts.term !== undefined ? { term: opts.term } : {}),
      ...(opts.shell !== undefined ? { shell: opts.shell } : {}),
      ...(opts.title !== undefined ? { title: opts.title } : {}),
      ...(opts.command !== undefined ? { command: opts.command } : {}),
      ...(opts.info !== undefined ? { info: opts.info } : {}),
    };
    const spec: OpenSpec = {
      fd,
      path: this.path,
      encoder,
      header: this.headerText,
      flushIntervalMs: Math.min(Math.max(opts.flushIntervalMs ?? 1000, 1), 1000),
      batchBytes: opts.batchBytes ?? 256 * 1024,
    };
    this.thread.send(OP.OPEN, this.id, 0, 0, startMs, Buffer.from(JSON.stringify(spec), 'utf8'));
  }

  private fail(error: string): void {
    if (this.failure) return;
    this.failure = new BreakglassError('RECORDING_WRITE_FAILED', error);
    this.opts.onError?.(this.failure);
  }

  private publish(lines: string[]): void {
    for (const line of lines) {
      for (const listener of this.listeners) {
        try {
          listener(line);
        } catch {
          this.listeners.delete(listener); // a broken viewer must not break the recording
        }
      }
    }
  }

  private usable(): void {
    if (this.failure) throw this.failure;
    if (this.closing) throw new BreakglassError('RECORDING_CLOSED', `recording ${this.path} is closed`);
  }

  private data(op: number, chunk: Buffer): boolean {
    this.usable();
    if (chunk.length > 0) {
      this.thread.send(op, this.id, 0, 0, this.opts.clock.now(), chunk);
      this.unflushed += chunk.length;
    }
    return this.unflushed < this.maxPending && !this.thread.pressure();
  }

  output(chunk: Buffer): boolean {
    return this.data(OP.OUT, chunk);
  }

  errorOutput(chunk: Buffer): boolean {
    return this.data(OP.ERR, chunk);
  }

  input(chunk: Buffer): boolean {
    return this.data(OP.IN, chunk);
  }

  resize(cols: number, rows: number): void {
    this.usable();
    checkSize(cols, rows);
    this.thread.send(OP.RESIZE, this.id, cols, rows, this.opts.clock.now());
  }

  marker(label: string): void {
    this.usable();
    this.thread.send(
      OP.MARKER,
      this.id,
      0,
      0,
      this.opts.clock.now(),
      Buffer.from(label.slice(0, MAX_MARKER_CHARS)),
    );
  }

  exit(status: ExitStatus): void {
    this.usable();
    exitEventData(status); // throws for a status the format cannot carry
    this.thread.send(OP.EXIT, this.id, 0, 0, this.opts.clock.now(), Buffer.from(JSON.stringify(status)));
  }

  async checkpoint(): Promise<RecordingCheckpoint> {
    if (this.sealed) {
      const { sha256, size, events } = this.sealed;
      return { sha256, size, events };
    }
    let reply;
    try {
      reply = await this.thread.request(OP.CHECKPOINT, this.id, this.opts.clock.now());
    } catch {
      return checkpointOfFile(this.path); // the thread is gone: what the file holds is what was recorded
    }
    if (reply.kind !== 'checkpoint') throw new TypeError(`unexpected reply ${reply.kind}`);
    return reply.checkpoint;
  }

  flush(): Promise<void> {
    return this.written(0);
  }

  /** Resolves when all but the last `allowance` bytes recorded so far are in the file. */
  private async written(allowance: number): Promise<void> {
    if (this.failure) throw this.failure;
    if (this.sealed) return;
    const covered = this.unflushed;
    const reply = await this.thread.request(OP.FLUSH, this.id, this.opts.clock.now(), allowance);
    this.unflushed -= Math.max(0, covered - allowance);
    if (reply.kind === 'flushed' && reply.error) this.fail(reply.error);
    if (this.failure) throw this.failure;
  }

  async ready(): Promise<void> {
    if (this.failure) throw this.failure;
    // Half the limit may stay behind: the source goes on while the thread writes the rest.
    // (The thread counts the recording's bytes, which base64 makes larger than the
    // session's for exec output: what is left counts as more than it is, never less.)
    if (this.unflushed >= this.maxPending) await this.written(Math.floor(this.maxPending / 2));
    try {
      await this.thread.room();
    } catch (err) {
      this.fail((err as Error).message);
    }
    if (this.failure) throw this.failure;
  }

  subscribe(listener: (line: string) => void): () => void {
    listener(this.headerText);
    if (this.closing) return () => undefined;
    this.listeners.add(listener);
    if (this.listeners.size === 1) this.thread.send(OP.WATCH, this.id, 1, 0, this.opts.clock.now());
    return () => {
      if (this.listeners.delete(listener) && this.listeners.size === 0 && !this.closing)
        this.thread.send(OP.WATCH, this.id, 0, 0, this.opts.clock.now());
    };
  }

  close(): Promise<RecordingSeal> {
    this.closing ??= this.finish();
    return this.closing;
  }

  private async finish(): Promise<RecordingSeal> {
    try {
      let reply;
      try {
        reply = await this.thread.request(OP.CLOSE, this.id, this.opts.clock.now());
        if (reply.kind !== 'closed') throw new TypeError(`unexpected reply ${reply.kind}`);
        this.sealed = reply.seal;
        const error = reply.error ?? (await syncFile(this.fd, this.path));
        if (error) this.fail(error);
      } finally {
        await closeFd(this.fd);
      }
      if (this.failure) throw this.failure;
      return reply.seal;
    } finally {
      this.listeners.clear();
      this.thread.unregister(this.id);
    }
  }
}

/**
 * Creates the recording file (mode 0600, refusing to overwrite), writes the asciicast
 * header and returns the writer. Lines are batched on the recording thread and written
 * at least every second, so a crash leaves a readable prefix at most one second short.
 */
export async function openRecording(
  opts: RecordingWriterOptions,
  thread: RecordingThread,
): Promise<RecordingWriter> {
  checkSize(opts.width, opts.height);
  const startMs = opts.clock.now();
  const fd = await createFile(opts.path);
  let rec: ThreadRecording;
  try {
    rec = new ThreadRecording(thread, opts, fd, startMs);
  } catch (err) {
    closeSync(fd);
    throw err;
  }
  try {
    await rec.flush();
  } catch (err) {
    await rec.close().catch(() => undefined);
    throw err;
  }
  return rec;
}
