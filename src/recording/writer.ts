import { createHash, type Hash } from 'node:crypto';
import { open, type FileHandle } from 'node:fs/promises';
import { BreakglassError } from '../errors';
import { AsciicastEncoder, type EncoderOptions, type ExitStatus } from './encoder';

export interface RecordingWriterOptions extends EncoderOptions {
  /** File to create (mode 0600); an existing file is never overwritten. */
  path: string;
  /** Longest time recorded bytes wait in memory before being written (default and maximum 1000 ms). */
  flushIntervalMs?: number;
  /** Pending bytes that trigger a write at once (default 256 KiB). */
  batchBytes?: number;
  /** Pending bytes above which the record calls return false: pause the source until `flush()` resolves (default 8 MiB). */
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
  /** Terminal output / exec stdout. Returns false when the source should pause (see maxPendingBytes). */
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
   * `verifyRecording` reports as truncated.
   */
  checkpoint(): RecordingCheckpoint;
  /** Resolves when every byte recorded so far has been handed to the file. */
  flush(): Promise<void>;
  /** Receives every line from now on (after the header line, sent at once): for live viewers. */
  subscribe(listener: (line: string) => void): () => void;
  /** Flushes, syncs and closes the file; idempotent. */
  close(): Promise<RecordingSeal>;
}

class FileRecording implements RecordingWriter {
  private readonly hash: Hash = createHash('sha256');
  private size = 0;
  private events = -1; // the header line is not an event
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private writing: Promise<void> | null = null;
  private failure: BreakglassError | undefined;
  private closing: Promise<RecordingSeal> | undefined;
  private readonly listeners = new Set<(line: string) => void>();
  private readonly timer: NodeJS.Timeout;
  private readonly encoder: AsciicastEncoder;
  private readonly headerLine: Buffer;
  private readonly batchBytes: number;
  private readonly maxPending: number;

  constructor(
    readonly path: string,
    private readonly fh: FileHandle,
    private readonly opts: RecordingWriterOptions,
  ) {
    this.batchBytes = opts.batchBytes ?? 256 * 1024;
    this.maxPending = opts.maxPendingBytes ?? 8 * 1024 * 1024;
    this.encoder = new AsciicastEncoder(opts, (line) => this.record(line));
    this.headerLine = this.encoder.header();
    this.record(this.headerLine);
    const interval = Math.min(Math.max(opts.flushIntervalMs ?? 1000, 1), 1000);
    this.timer = setInterval(() => void this.kick(), interval);
    this.timer.unref();
  }

  private record(buf: Buffer): void {
    this.hash.update(buf);
    this.size += buf.length;
    this.events++;
    this.pending.push(buf);
    this.pendingBytes += buf.length;
    if (this.pendingBytes >= this.batchBytes) void this.kick();
    if (this.listeners.size === 0) return;
    const line = buf.toString('utf8');
    for (const listener of this.listeners) {
      try {
        listener(line);
      } catch {
        this.listeners.delete(listener); // a broken viewer must not break the recording
      }
    }
  }

  private usable(): void {
    if (this.failure) throw this.failure;
    if (this.closing) throw new BreakglassError('RECORDING_CLOSED', `recording ${this.path} is closed`);
  }

  private kick(): Promise<void> {
    if (!this.writing && this.pending.length > 0 && !this.failure) {
      this.writing = this.drain().finally(() => {
        this.writing = null;
      });
    }
    return this.writing ?? Promise.resolve();
  }

  private async drain(): Promise<void> {
    while (this.pending.length > 0) {
      // One writev per batch: no copying the lines into one buffer (at most IOV_MAX of them).
      const batch = this.pending.splice(0, 1024);
      let bytes = 0;
      for (const b of batch) bytes += b.length;
      this.pendingBytes -= bytes;
      try {
        const { bytesWritten } = await this.fh.writev(batch);
        if (bytesWritten < bytes) {
          // A short write: finish the rest in order before anything else.
          const rest = Buffer.concat(batch, bytes);
          for (let off = bytesWritten; off < bytes;)
            off += (await this.fh.write(rest, off, bytes - off)).bytesWritten;
        }
      } catch (err) {
        this.failure = new BreakglassError(
          'RECORDING_WRITE_FAILED',
          `writing recording ${this.path} failed: ${(err as Error).message}`,
          {
            cause: err,
          },
        );
        this.opts.onError?.(this.failure);
        return;
      }
    }
  }

  output(chunk: Buffer): boolean {
    this.usable();
    this.encoder.output(chunk);
    return this.pendingBytes < this.maxPending;
  }

  errorOutput(chunk: Buffer): boolean {
    this.usable();
    this.encoder.errorOutput(chunk);
    return this.pendingBytes < this.maxPending;
  }

  input(chunk: Buffer): boolean {
    this.usable();
    this.encoder.input(chunk);
    return this.pendingBytes < this.maxPending;
  }

  resize(cols: number, rows: number): void {
    this.usable();
    this.encoder.resize(cols, rows);
  }

  marker(label: string): void {
    this.usable();
    this.encoder.marker(label);
  }

  exit(status: ExitStatus): void {
    this.usable();
    this.encoder.exit(status);
  }

  checkpoint(): RecordingCheckpoint {
    return { sha256: this.hash.copy().digest('hex'), size: this.size, events: this.events };
  }

  async flush(): Promise<void> {
    // A write in progress may have been started before the latest bytes arrived: loop.
    while (this.pending.length > 0 || this.writing) await this.kick();
    if (this.failure) throw this.failure;
  }

  subscribe(listener: (line: string) => void): () => void {
    listener(this.headerLine.toString('utf8'));
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  close(): Promise<RecordingSeal> {
    this.closing ??= this.finish();
    return this.closing;
  }

  private async finish(): Promise<RecordingSeal> {
    clearInterval(this.timer);
    if (!this.failure) this.encoder.end();
    this.listeners.clear();
    try {
      await this.flush();
      await this.fh.datasync();
    } finally {
      await this.fh.close();
    }
    return { ...this.checkpoint(), durationMs: this.encoder.elapsedMs };
  }
}

/**
 * Creates the recording file (mode 0600, refusing to overwrite), writes the asciicast
 * header and returns the writer. Bytes are batched in memory and written at least every
 * second, so a crash leaves a readable prefix at most one second short.
 */
export async function openRecording(opts: RecordingWriterOptions): Promise<RecordingWriter> {
  let fh: FileHandle;
  try {
    fh = await open(opts.path, 'wx', 0o600);
  } catch (err) {
    if ((err as { code?: string }).code === 'EEXIST') {
      throw new BreakglassError(
        'RECORDING_EXISTS',
        `recording file ${opts.path} already exists; recordings are never overwritten`,
        { cause: err },
      );
    }
    throw new BreakglassError(
      'RECORDING_WRITE_FAILED',
      `cannot create recording ${opts.path}: ${(err as Error).message}`,
      { cause: err },
    );
  }
  let rec: FileRecording;
  try {
    rec = new FileRecording(opts.path, fh, opts);
  } catch (err) {
    await fh.close();
    throw err;
  }
  await rec.flush();
  return rec;
}
