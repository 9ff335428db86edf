import { StringDecoder } from 'node:string_decoder';
import type { Clock } from '../core';
import { BreakglassError } from '../errors';
import {
  encodeEvent,
  encodeHeader,
  encodeTime,
  EXIT_RE,
  MAX_EVENT_BYTES,
  MAX_EVENT_CHARS,
  MAX_TERMINAL_SIZE,
  type AsciicastHeader,
  type BreakglassHeaderInfo,
  type EventType,
} from './asciicast/format';
import { InputLineTracker } from './input-line';

export interface EncoderOptions {
  clock: Clock;
  /** `pty`: terminal text ("o"/"i"/"e"); `exec`: exact bytes, base64 ("ob"/"ib"/"eb"). */
  kind: 'pty' | 'exec';
  width: number;
  height: number;
  /** Whether input is kept ("i"/"ib" events and command text in markers); from policy. */
  recordInput: boolean;
  term?: string;
  shell?: string;
  title?: string;
  /** The command of an exec session. */
  command?: string;
  /** Ids naming the session (no secrets). */
  info?: Omit<BreakglassHeaderInfo, 'kind'>;
}

/** Size of the buffers exec event lines are carved from. */
const SLAB_BYTES = 1024 * 1024;

/** How an exec session or shell ended. */
export type ExitStatus = { code: number } | { signal: string };

/** Longest marker label kept. */
export const MAX_MARKER_CHARS = 200;

/** Throws RECORDING_INVALID_ARGUMENT unless both are integers 1..MAX_TERMINAL_SIZE. */
export function checkSize(cols: number, rows: number): void {
  for (const [name, n] of [
    ['width', cols],
    ['height', rows],
  ] as const) {
    if (!Number.isInteger(n) || n < 1 || n > MAX_TERMINAL_SIZE) {
      throw new BreakglassError(
        'RECORDING_INVALID_ARGUMENT',
        `terminal ${name} ${n} is not an integer 1..${MAX_TERMINAL_SIZE}`,
      );
    }
  }
}

/** The asciicast header line of a recording started at `startMs` (Unix ms). */
export function headerLine(o: Omit<EncoderOptions, 'clock'>, startMs: number): Buffer {
  const env: Record<string, string> = {};
  if (o.term !== undefined) env.TERM = o.term;
  if (o.shell !== undefined) env.SHELL = o.shell;
  const h: AsciicastHeader = {
    version: 2,
    width: o.width,
    height: o.height,
    timestamp: Math.floor(startMs / 1000),
    env,
    breakglass: { kind: o.kind, ...o.info },
  };
  if (o.command !== undefined) h.command = o.command;
  if (o.title !== undefined) h.title = o.title;
  return Buffer.from(encodeHeader(h), 'utf8');
}

/** The data of an "x" event; throws RECORDING_INVALID_ARGUMENT for a status the format cannot carry. */
export function exitEventData(status: ExitStatus): string {
  const data = 'code' in status ? String(status.code) : `signal ${status.signal}`;
  if (!EXIT_RE.test(data)) {
    throw new BreakglassError(
      'RECORDING_INVALID_ARGUMENT',
      `exit ${JSON.stringify(data)} is not a status 0..999 or a signal name`,
    );
  }
  return data;
}

/** Splits text into pieces of at most MAX_EVENT_CHARS without cutting a surrogate pair. */
function pieces(text: string): string[] {
  if (text.length <= MAX_EVENT_CHARS) return [text];
  const out: string[] = [];
  for (let i = 0; i < text.length;) {
    let end = Math.min(i + MAX_EVENT_CHARS, text.length);
    const last = text.charCodeAt(end - 1);
    if (end < text.length && last >= 0xd800 && last <= 0xdbff) end--;
    out.push(text.slice(i, end));
    i = end;
  }
  return out;
}

/** The three streams of a session and their event types: text (pty) and bytes (exec). */
const STREAMS = {
  out: { text: 'o', bytes: 'ob' },
  err: { text: 'e', bytes: 'eb' },
  in: { text: 'i', bytes: 'ib' },
} as const;
type Stream = keyof typeof STREAMS;

/**
 * Turns session bytes into asciicast v2 lines (pure: no I/O; lines go to `emit` as UTF-8
 * bytes). Times come from the injected clock and never go backwards.
 *
 * pty sessions are terminal text: each stream has a streaming UTF-8 decoder, so a
 * character split across chunks is joined, never replaced by U+FFFD. exec sessions carry
 * arbitrary bytes (scp, rsync, tar): they are kept exactly, base64-encoded, which is also
 * several times cheaper than JSON-escaping text on the data path.
 */
export class AsciicastEncoder {
  readonly startMs: number;
  private lastMs = 0;
  private readonly decoders: Record<Stream, StringDecoder> = {
    out: new StringDecoder('utf8'),
    err: new StringDecoder('utf8'),
    in: new StringDecoder('utf8'),
  };
  private readonly typed = new InputLineTracker();
  private slab = Buffer.alloc(0);
  private slabPos = 0;

  constructor(
    private readonly opts: EncoderOptions,
    private readonly emit: (line: Buffer) => void,
  ) {
    checkSize(opts.width, opts.height);
    this.startMs = opts.clock.now();
  }

  /** The header line; emit it first. */
  header(): Buffer {
    return headerLine(this.opts, this.startMs);
  }

  /** Seconds since the start, never decreasing even when the clock steps back. */
  private now(): number {
    this.lastMs = Math.max(this.lastMs, this.opts.clock.now() - this.startMs);
    return encodeTime(this.lastMs);
  }

  private line(type: EventType, data: string): void {
    this.emit(Buffer.from(encodeEvent(this.now(), type, data), 'utf8'));
  }

  private text(stream: Stream, text: string): void {
    if (text.length === 0) return;
    const t = this.now();
    for (const piece of pieces(text))
      this.emit(Buffer.from(encodeEvent(t, STREAMS[stream].text, piece), 'utf8'));
  }

  /**
   * Carves `size` bytes out of a shared slab: one allocation per SLAB_BYTES of recording
   * instead of one per event (exec streams emit an event per network packet). After
   * `recycle()` the same slab is carved again from its start.
   */
  private alloc(size: number): Buffer {
    if (size > SLAB_BYTES / 4) return Buffer.allocUnsafe(size);
    if (this.slabPos + size > this.slab.length) {
      this.slab = Buffer.allocUnsafe(SLAB_BYTES);
      this.slabPos = 0;
    }
    const out = this.slab.subarray(this.slabPos, this.slabPos + size);
    this.slabPos += size;
    return out;
  }

  /**
   * Every line emitted so far has been consumed (hashed and written): their memory is
   * reused for the next lines. Lines must not be kept past this call. Reusing one warm
   * slab instead of touching fresh pages saves the recording thread a page fault per 4 KiB.
   */
  recycle(): void {
    this.slabPos = 0;
  }

  private bytes(stream: Stream, chunk: Buffer): void {
    if (chunk.length === 0) return;
    // base64 needs no JSON escaping: the line is written straight into a buffer (building
    // it as a JS string first and converting costs several times more on the data path).
    const prefix = `[${this.now()}, "${STREAMS[stream].bytes}", "`;
    for (let i = 0; i < chunk.length; i += MAX_EVENT_BYTES) {
      const end = Math.min(i + MAX_EVENT_BYTES, chunk.length);
      const b64 = chunk.toString('base64', i, end);
      const line = this.alloc(prefix.length + b64.length + 3);
      let at = line.write(prefix, 0, 'latin1');
      at += line.write(b64, at, 'latin1');
      line.write('"]\n', at, 'latin1');
      this.emit(line);
    }
  }

  private stream(stream: Stream, chunk: Buffer): void {
    if (this.opts.kind === 'exec') this.bytes(stream, chunk);
    else this.text(stream, this.decoders[stream].write(chunk));
  }

  /** Terminal output, or an exec session's stdout. */
  output(chunk: Buffer): void {
    this.stream('out', chunk);
  }

  /** An exec session's stderr. */
  errorOutput(chunk: Buffer): void {
    this.stream('err', chunk);
  }

  /**
   * Input: recorded only when policy says so. In a pty each Enter that ends a typed
   * command adds a marker, labelled with the command only when input is recorded.
   */
  input(chunk: Buffer): void {
    if (this.opts.kind === 'exec') {
      if (this.opts.recordInput) this.bytes('in', chunk);
      return;
    }
    const text = this.decoders.in.write(chunk);
    if (text.length === 0) return;
    if (this.opts.recordInput) this.text('in', text);
    for (const command of this.typed.feed(text)) this.marker(this.opts.recordInput ? command : '');
  }

  resize(cols: number, rows: number): void {
    checkSize(cols, rows);
    this.line('r', `${cols}x${rows}`);
  }

  marker(label: string): void {
    this.line('m', label.slice(0, MAX_MARKER_CHARS));
  }

  exit(status: ExitStatus): void {
    this.line('x', exitEventData(status));
  }

  /** Emits what the text decoders still hold (an incomplete character at the very end becomes U+FFFD). */
  end(): void {
    if (this.opts.kind === 'exec') return;
    this.text('out', this.decoders.out.end());
    this.text('err', this.decoders.err.end());
    const rest = this.decoders.in.end();
    if (this.opts.recordInput) this.text('in', rest);
  }

  /** Milliseconds from the start to the latest event. */
  get elapsedMs(): number {
    return Math.max(this.lastMs, this.opts.clock.now() - this.startMs);
  }
}
