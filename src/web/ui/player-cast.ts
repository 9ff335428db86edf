import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { StringDecoder } from 'node:string_decoder';

/**
 * Breakglass recordings use asciicast v2 plus event types of their own: "e" (stderr
 * text), "ob"/"eb"/"ib" (exact bytes of exec sessions, base64) and "x" (exit status).
 * The player knows "o", "i", "r" and "m" only; this turns a recording into what it
 * plays: stderr and bytes become output, the exit status a marker. Exec output gets
 * CR before LF (a terminal needs it; the program wrote to a pipe).
 */
export class PlayerCastConverter {
  private readonly decoders = new Map<string, StringDecoder>();
  private lastCr = false;
  constructor(private readonly exec: boolean) {}

  private text(stream: string, data: string): string {
    let d = this.decoders.get(stream);
    if (!d) this.decoders.set(stream, (d = new StringDecoder('utf8')));
    return d.write(Buffer.from(data, 'base64'));
  }

  private crlf(text: string): string {
    if (!this.exec || text.length === 0) return text;
    let out = '';
    for (const ch of text) {
      if (ch === '\n' && !this.lastCr) out += '\r';
      out += ch;
      this.lastCr = ch === '\r';
    }
    return out;
  }

  /** Converts one event (parsed line); null drops it. */
  event(e: [number, string, string]): [number, string, string] | null {
    const [t, type, data] = e;
    switch (type) {
      case 'o':
      case 'e':
        return [t, 'o', this.crlf(data)];
      case 'ob':
      case 'eb': {
        const text = this.crlf(this.text(type, data));
        return text ? [t, 'o', text] : null;
      }
      case 'i':
        return [t, 'i', data];
      case 'ib': {
        const text = this.text(type, data);
        return text ? [t, 'i', text] : null;
      }
      case 'r':
      case 'm':
        return [t, type, data];
      case 'x':
        return [t, 'm', `exit ${data}`];
      default:
        return null;
    }
  }
}

export interface CastLine {
  readonly header?: Record<string, unknown>;
  readonly event?: [number, string, string];
}

/** The lines of a recording file, parsed (stops quietly at a torn or malformed line). */
export async function* readCastLines(path: string): AsyncGenerator<CastLine> {
  const rl = createInterface({ input: createReadStream(path), crlfDelay: Infinity });
  let first = true;
  try {
    for await (const line of rl) {
      if (line.length === 0) continue;
      let v: unknown;
      try {
        v = JSON.parse(line);
      } catch {
        return;
      }
      if (first) {
        first = false;
        if (!v || typeof v !== 'object' || Array.isArray(v)) return;
        yield { header: v as Record<string, unknown> };
        continue;
      }
      if (
        !Array.isArray(v) ||
        typeof v[0] !== 'number' ||
        typeof v[1] !== 'string' ||
        typeof v[2] !== 'string'
      )
        return;
      yield { event: v as [number, string, string] };
    }
  } finally {
    rl.close();
  }
}

/** The header the player needs (size, start, title; nothing else). */
export function playerHeader(h: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { version: 2, width: h.width, height: h.height };
  for (const k of ['timestamp', 'title', 'idle_time_limit'] as const) if (h[k] !== undefined) out[k] = h[k];
  return out;
}

export interface RecordingDigest {
  readonly header: Record<string, unknown> | null;
  readonly duration: number;
  /** Markers: typed commands (pty), sftp operations, the exit status. */
  readonly markers: Array<{ time: number; label: string }>;
  /** Exec sessions: the first bytes of stdout and stderr as text. */
  readonly stdout: string;
  readonly stderr: string;
  readonly truncated: boolean;
  readonly exit?: string;
}

/** Reads a recording once for the session page: duration, markers, exec output (first `maxOutput` characters). */
export async function digestRecording(
  path: string,
  maxOutput = 64 * 1024,
  maxMarkers = 500,
): Promise<RecordingDigest> {
  let header: Record<string, unknown> | null = null;
  let duration = 0;
  const markers: Array<{ time: number; label: string }> = [];
  let stdout = '';
  let stderr = '';
  let truncated = false;
  let exit: string | undefined;
  const out = new StringDecoder('utf8');
  const err = new StringDecoder('utf8');
  for await (const l of readCastLines(path)) {
    if (l.header) {
      header = l.header;
      continue;
    }
    const [t, type, data] = l.event!;
    duration = Math.max(duration, t);
    if (type === 'm' && markers.length < maxMarkers) markers.push({ time: t, label: data });
    else if (type === 'x') {
      exit = data;
      if (markers.length < maxMarkers) markers.push({ time: t, label: `exit ${data}` });
    } else if (type === 'ob' || type === 'eb') {
      const full = stdout.length + stderr.length >= maxOutput;
      if (full) truncated = true;
      else if (type === 'ob') stdout += out.write(Buffer.from(data, 'base64'));
      else stderr += err.write(Buffer.from(data, 'base64'));
    }
  }
  return {
    header,
    duration,
    markers,
    stdout: stdout.slice(0, maxOutput),
    stderr: stderr.slice(0, maxOutput),
    truncated,
    ...(exit !== undefined ? { exit } : {}),
  };
}
