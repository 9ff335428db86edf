import type { EncoderOptions } from './encoder';
import type { RecordingCheckpoint, RecordingSeal } from './writer';

/** Frame ops from the event loop to the recording thread (see ring.ts). */
export const OP = {
  /** payload: JSON OpenSpec. */
  OPEN: 1,
  /** payload: session bytes. */
  OUT: 2,
  ERR: 3,
  IN: 4,
  /** a: cols, b: rows. */
  RESIZE: 5,
  /** payload: the label (UTF-8). */
  MARKER: 6,
  /** payload: JSON ExitStatus. */
  EXIT: 7,
  /** a: request id. */
  CHECKPOINT: 8,
  /** a: request id; b: bytes that may still wait for the file when it is answered (0: none). */
  FLUSH: 9,
  /** a: request id. */
  CLOSE: 10,
  /** a: 1 to receive the recording's lines (live viewers), 0 to stop. */
  WATCH: 11,
  /** The thread ends its loop. */
  STOP: 12,
} as const;

/** What the recording thread needs to take over a recording (the file is already open). */
export interface OpenSpec {
  readonly fd: number;
  readonly path: string;
  readonly encoder: Omit<EncoderOptions, 'clock'>;
  /** The header line, already made by the event loop (it also serves live viewers). */
  readonly header: string;
  readonly flushIntervalMs: number;
  readonly batchBytes: number;
}

/** Messages from the recording thread to the event loop. */
export type ThreadReply =
  | { readonly kind: 'checkpoint'; readonly req: number; readonly checkpoint: RecordingCheckpoint }
  | { readonly kind: 'flushed'; readonly req: number; readonly error?: string }
  | { readonly kind: 'closed'; readonly req: number; readonly seal: RecordingSeal; readonly error?: string }
  /** A request about a recording that is not open. */
  | { readonly kind: 'refused'; readonly req: number; readonly error: string }
  | { readonly kind: 'failed'; readonly rec: number; readonly error: string }
  | { readonly kind: 'lines'; readonly rec: number; readonly lines: string[] }
  /** The ring has room again (the event loop was waiting for it). */
  | { readonly kind: 'room' };
