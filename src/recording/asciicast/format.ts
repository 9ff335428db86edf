/**
 * asciicast v2 as Breakglass writes and reads it (https://docs.asciinema.org/manual/asciicast/v2/):
 * a JSON header line, then one `[time, type, data]` array per line, `time` in seconds
 * since the start, never decreasing. Event types:
 *   "o" output, "i" input (only when policy records input), "r" resize "COLSxROWS",
 *   "m" marker (label: the typed command when input is recorded), and extensions the v2
 *   spec allows ("the list is open to extension"; players skip them):
 *   "e" standard error as text, "x" exit ("0", "137", "signal KILL"), and for exec
 *   sessions the exact bytes, base64: "ob" stdout, "eb" stderr, "ib" stdin.
 */

export const EVENT_TYPES = ['o', 'i', 'r', 'm', 'e', 'x', 'ob', 'eb', 'ib'] as const;
/** Event types whose data is base64 bytes rather than text. */
export const BYTE_EVENT_TYPES: ReadonlySet<string> = new Set(['ob', 'eb', 'ib']);
export type EventType = (typeof EVENT_TYPES)[number];

export interface AsciicastEvent {
  /** Seconds since the start of the recording. */
  readonly time: number;
  readonly type: EventType;
  readonly data: string;
}

/** Breakglass' own header block: what the recording is of (ids only, no secrets). */
export interface BreakglassHeaderInfo {
  kind: 'pty' | 'exec';
  session?: string;
  user?: string;
  host?: string;
  login?: string;
  grant?: string;
}

export interface AsciicastHeader {
  version: 2;
  width: number;
  height: number;
  /** Unix time (seconds) of the start. */
  timestamp?: number;
  duration?: number;
  idle_time_limit?: number;
  /** The command of an exec session (asciicast's own header field). */
  command?: string;
  title?: string;
  env?: Record<string, string>;
  theme?: Record<string, unknown>;
  breakglass?: BreakglassHeaderInfo;
}

export const MAX_TERMINAL_SIZE = 10_000;
/** Longest text one event carries; longer output is split so lines stay far below the reader's limit. */
export const MAX_EVENT_CHARS = 65_536;
/** Largest byte chunk in one base64 event (64 KiB of base64 text). */
export const MAX_EVENT_BYTES = 49_152;
/** Longest line the reader accepts by default. */
export const DEFAULT_MAX_LINE_BYTES = 1024 * 1024;

export const RESIZE_RE = /^[1-9][0-9]{0,4}x[1-9][0-9]{0,4}$/;
/** Data of an "x" event: an exit status 0..999 or `signal NAME`. */
export const EXIT_RE = /^(0|[1-9][0-9]{0,2}|signal [A-Za-z0-9_+-]{1,32})$/;
/** Canonical padded base64, as Buffer#toString('base64') writes it. */
export const BASE64_RE = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Encodes seconds the way asciinema does: at most microsecond precision. */
export function encodeTime(ms: number): number {
  return Math.round(ms * 1000) / 1e6;
}

/** One event as a file line (with its newline). */
export function encodeEvent(time: number, type: EventType, data: string): string {
  return `[${time}, ${JSON.stringify(type)}, ${JSON.stringify(data)}]\n`;
}

/** The header as a file line, keys in a fixed order. */
export function encodeHeader(h: AsciicastHeader): string {
  const ordered: Record<string, unknown> = { version: 2, width: h.width, height: h.height };
  for (const key of [
    'timestamp',
    'duration',
    'idle_time_limit',
    'command',
    'title',
    'env',
    'theme',
    'breakglass',
  ] as const) {
    if (h[key] !== undefined) ordered[key] = h[key];
  }
  return `${JSON.stringify(ordered)}\n`;
}
