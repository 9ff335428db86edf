import { BreakglassError } from '../../errors';
import {
  DEFAULT_MAX_LINE_BYTES,
  BASE64_RE,
  BYTE_EVENT_TYPES,
  EVENT_TYPES,
  EXIT_RE,
  MAX_TERMINAL_SIZE,
  RESIZE_RE,
  type AsciicastEvent,
  type AsciicastHeader,
  type EventType,
} from './format';

export interface ParseOptions {
  /** Longest accepted line in bytes, newline excluded (default 1 MiB). */
  maxLineBytes?: number;
  /** Whether a last line without its newline (a crash mid-write) is reported rather than refused (default true). */
  tolerateTornTail?: boolean;
}

/** Where an event sits in the file. */
export interface EventPosition {
  /** 1-based line number (the header is line 1). */
  line: number;
  /** Byte offset of the start of the line. */
  offset: number;
}

export interface ParseSummary {
  header: AsciicastHeader;
  /** Number of events (header excluded). */
  events: number;
  /** Time of the last event in seconds (0 when none). */
  lastTime: number;
  /** Bytes of complete lines. */
  bytes: number;
  /** A final line cut short by a crash: where it starts and how many bytes it has. */
  torn?: { offset: number; bytes: number; line: number };
}

const EVENT_TYPE_SET: ReadonlySet<string> = new Set(EVENT_TYPES);
const HEADER_KEYS = new Set([
  'version',
  'width',
  'height',
  'timestamp',
  'duration',
  'idle_time_limit',
  'command',
  'title',
  'env',
  'theme',
  'breakglass',
]);
const BREAKGLASS_KEYS = new Set(['kind', 'session', 'user', 'host', 'login', 'grant']);
const MAX_HEADER_STRING = 65_536;

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Strict, bounded, incremental asciicast v2 reader: feed bytes in any chunking, get
 * events back in order. Memory is bounded by one line. Refuses (RECORDING_MALFORMED with
 * line and offset): invalid UTF-8 or JSON, a missing or wrong header, unknown event types,
 * non-string data, decreasing times, blank lines and anything after a bad line. Reports a
 * torn last line (no newline) instead of refusing it, unless told otherwise.
 */
export class AsciicastParser {
  private readonly maxLine: number;
  private readonly tolerateTorn: boolean;
  private readonly decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  private carry: Buffer[] = [];
  private carryLen = 0;
  private offset = 0;
  private lineNo = 0;
  private eventCount = 0;
  private last = 0;
  private head: AsciicastHeader | undefined;

  constructor(
    private readonly onEvent: (event: AsciicastEvent, pos: EventPosition) => void,
    opts: ParseOptions = {},
  ) {
    this.maxLine = opts.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
    this.tolerateTorn = opts.tolerateTornTail ?? true;
  }

  get header(): AsciicastHeader | undefined {
    return this.head;
  }

  /** Counts so far (for a reader that stops early). */
  progress(): { events: number; lastTime: number; bytes: number } {
    return { events: this.eventCount, lastTime: this.last, bytes: this.offset };
  }

  push(chunk: Buffer): void {
    let pos = 0;
    while (pos < chunk.length) {
      const nl = chunk.indexOf(10, pos);
      if (nl === -1) {
        this.carry.push(chunk.subarray(pos));
        this.carryLen += chunk.length - pos;
        if (this.carryLen > this.maxLine) this.tooLong();
        return;
      }
      let line = chunk.subarray(pos, nl);
      if (this.carryLen > 0) {
        line = Buffer.concat([...this.carry, line]);
        this.carry = [];
        this.carryLen = 0;
      }
      if (line.length > this.maxLine) this.tooLong();
      this.line(line);
      this.offset += line.length + 1;
      pos = nl + 1;
    }
  }

  end(): ParseSummary {
    let torn: ParseSummary['torn'];
    if (this.carryLen > 0) {
      torn = { offset: this.offset, bytes: this.carryLen, line: this.lineNo + 1 };
      if (!this.tolerateTorn) this.fail('the last line has no newline (torn write)', this.lineNo + 1);
    }
    if (!this.head)
      this.fail(torn ? 'the header line is incomplete' : 'the file is empty (no header line)', 1);
    const summary: ParseSummary = {
      header: this.head!,
      events: this.eventCount,
      lastTime: this.last,
      bytes: this.offset,
    };
    if (torn) summary.torn = torn;
    return summary;
  }

  private tooLong(): never {
    throw new BreakglassError(
      'RECORDING_TOO_LARGE',
      `line ${this.lineNo + 1} (byte offset ${this.offset}) is longer than ${this.maxLine} bytes`,
      {
        details: { line: this.lineNo + 1, offset: this.offset, maxLineBytes: this.maxLine },
      },
    );
  }

  private fail(reason: string, line = this.lineNo): never {
    throw new BreakglassError('RECORDING_MALFORMED', `line ${line} (byte offset ${this.offset}): ${reason}`, {
      details: { line, offset: this.offset, reason },
    });
  }

  private line(bytes: Buffer): void {
    this.lineNo++;
    if (bytes.length === 0) this.fail('blank line');
    let text: string;
    try {
      text = this.decoder.decode(bytes);
    } catch {
      this.fail('not valid UTF-8');
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      this.fail(this.head ? 'not a JSON event array' : 'not a JSON header object');
    }
    if (!this.head) this.head = this.checkHeader(value);
    else this.event(value);
  }

  private checkHeader(v: unknown): AsciicastHeader {
    if (!isPlainObject(v)) this.fail('the header is not a JSON object');
    if (v.version !== 2)
      this.fail(`asciicast version ${JSON.stringify(v.version)} is not supported (accepted: 2)`);
    for (const key of Object.keys(v))
      if (!HEADER_KEYS.has(key)) this.fail(`unknown header key ${JSON.stringify(key.slice(0, 64))}`);
    for (const key of ['width', 'height'] as const) {
      const n = v[key];
      if (!Number.isInteger(n) || (n as number) < 1 || (n as number) > MAX_TERMINAL_SIZE)
        this.fail(`header ${key} must be an integer 1..${MAX_TERMINAL_SIZE}`);
    }
    for (const key of ['timestamp', 'duration', 'idle_time_limit'] as const) {
      const n = v[key];
      if (n !== undefined && (typeof n !== 'number' || !Number.isFinite(n) || n < 0))
        this.fail(`header ${key} must be a non-negative number`);
    }
    for (const key of ['command', 'title'] as const) {
      const s = v[key];
      if (s !== undefined && (typeof s !== 'string' || s.length > MAX_HEADER_STRING))
        this.fail(`header ${key} must be a string of at most ${MAX_HEADER_STRING} characters`);
    }
    if (
      v.env !== undefined &&
      (!isPlainObject(v.env) || Object.values(v.env).some((x) => typeof x !== 'string'))
    )
      this.fail('header env must map names to strings');
    if (v.theme !== undefined && !isPlainObject(v.theme)) this.fail('header theme must be an object');
    if (v.breakglass !== undefined) {
      const b = v.breakglass;
      if (!isPlainObject(b) || (b.kind !== 'pty' && b.kind !== 'exec'))
        this.fail('header breakglass must be an object with kind "pty" or "exec"');
      for (const [key, value] of Object.entries(b)) {
        if (!BREAKGLASS_KEYS.has(key) || typeof value !== 'string' || value.length > 256)
          this.fail(`header breakglass.${key.slice(0, 64)} is unknown or not a short string`);
      }
    }
    return v as unknown as AsciicastHeader;
  }

  private event(v: unknown): void {
    if (!Array.isArray(v) || v.length !== 3) this.fail('an event must be a [time, type, data] array');
    const [time, type, data] = v as [unknown, unknown, unknown];
    if (typeof time !== 'number' || !Number.isFinite(time) || time < 0)
      this.fail('event time must be a non-negative number of seconds');
    if (time < this.last) this.fail(`event time ${time} is before the previous event (${this.last})`);
    if (typeof type !== 'string' || !EVENT_TYPE_SET.has(type))
      this.fail(`event type ${JSON.stringify(type)?.slice(0, 32)} is not one of ${EVENT_TYPES.join(', ')}`);
    if (typeof data !== 'string') this.fail('event data must be a string');
    if (type === 'r' && !RESIZE_RE.test(data))
      this.fail(`resize data ${JSON.stringify(data.slice(0, 32))} is not COLSxROWS`);
    if (type === 'x' && !EXIT_RE.test(data))
      this.fail(`exit data ${JSON.stringify(data.slice(0, 32))} is not a status or "signal NAME"`);
    const exec = this.head!.breakglass?.kind === 'exec';
    if (BYTE_EVENT_TYPES.has(type)) {
      if (!exec) this.fail(`${type} events belong to exec recordings only`);
      if (!BASE64_RE.test(data)) this.fail(`${type} data is not canonical base64`);
    } else if (exec && (type === 'o' || type === 'e' || type === 'i')) {
      this.fail(`exec recordings carry output as bytes ("${type}b"), not "${type}" text`);
    }
    this.last = time;
    this.eventCount++;
    this.onEvent({ time, type: type as EventType, data }, { line: this.lineNo, offset: this.offset });
  }
}
