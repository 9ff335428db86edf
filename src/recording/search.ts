import { StringDecoder } from 'node:string_decoder';
import { BreakglassError } from '../errors';
import { AnsiStripper } from './ansi';
import { readAsciicastFile } from './asciicast/reader';
import type { ParseOptions } from './asciicast/parser';

export interface SearchOptions extends ParseOptions {
  /** Stop after this many matches (default 100, at most 10,000). */
  maxMatches?: number;
  /** Match case exactly (default false). */
  caseSensitive?: boolean;
  /** Characters of context before and after a match in the snippet (default 40). */
  contextChars?: number;
}

export interface SearchMatch {
  /** Seconds into the recording where the match begins (to jump the player there). */
  time: number;
  /** File line of the event where the match begins. */
  line: number;
  /** The match with some surrounding output (control sequences removed). */
  snippet: string;
}

export interface SearchResult {
  matches: SearchMatch[];
  /** True when the search stopped at maxMatches. */
  truncated: boolean;
}

export const MAX_QUERY_CHARS = 1024;

/** Lower-cases one UTF-16 unit at a time, so offsets in the folded text match the original. */
function fold(text: string): string {
  let out = '';
  for (const ch of text) {
    const lower = ch.toLowerCase();
    out += lower.length === ch.length ? lower : ch;
  }
  return out;
}

interface Segment {
  /** Offset of the segment's first character in the whole output text. */
  start: number;
  time: number;
  line: number;
}

/**
 * Text search over a recording's output ("o" and "e" events), with control sequences
 * removed, matching across event boundaries (typed commands are echoed one character per
 * event). Streams the file; memory is bounded by the query and context sizes.
 */
export class OutputSearcher {
  private readonly needle: string;
  private readonly caseSensitive: boolean;
  private readonly context: number;
  private readonly max: number;
  private readonly stripper = new AnsiStripper();
  /** The tail of the output kept for matches that span events, starting at `windowStart`. */
  private window = '';
  /** `window` case-folded (same length) when the search ignores case. */
  private folded = '';
  private windowStart = 0;
  private segments: Segment[] = [];
  private nextFrom = 0;
  private pendingSnippets: { match: SearchMatch; end: number }[] = [];
  readonly matches: SearchMatch[] = [];

  constructor(query: string, opts: SearchOptions = {}) {
    if (query.length === 0 || query.length > MAX_QUERY_CHARS) {
      throw new BreakglassError(
        'RECORDING_INVALID_ARGUMENT',
        `search text must be 1..${MAX_QUERY_CHARS} characters`,
      );
    }
    const max = opts.maxMatches ?? 100;
    const context = opts.contextChars ?? 40;
    if (!Number.isInteger(max) || max < 1 || max > 10_000)
      throw new BreakglassError('RECORDING_INVALID_ARGUMENT', 'maxMatches must be an integer 1..10000');
    if (!Number.isInteger(context) || context < 0 || context > 1000)
      throw new BreakglassError('RECORDING_INVALID_ARGUMENT', 'contextChars must be an integer 0..1000');
    this.caseSensitive = opts.caseSensitive ?? false;
    this.needle = this.caseSensitive ? query : fold(query);
    this.context = context;
    this.max = max;
  }

  get full(): boolean {
    return this.matches.length >= this.max;
  }

  /** Feeds one output event; returns false once maxMatches is reached. */
  push(time: number, line: number, data: string): boolean {
    const text = this.stripper.push(data);
    if (text.length === 0) return !this.full;
    const end = this.windowStart + this.window.length;
    this.segments.push({ start: end, time, line });
    this.window += text;
    if (!this.caseSensitive) this.folded += fold(text);
    this.completeSnippets();
    const hay = this.caseSensitive ? this.window : this.folded;
    // Matches do not overlap; the search resumes after the previous match.
    for (
      let at = hay.indexOf(this.needle, this.nextFrom - this.windowStart);
      at !== -1 && !this.full;
      at = hay.indexOf(this.needle, at + this.needle.length)
    ) {
      const abs = this.windowStart + at;
      const seg = this.segmentAt(abs);
      const match: SearchMatch = { time: seg.time, line: seg.line, snippet: '' };
      this.matches.push(match);
      this.pendingSnippets.push({ match, end: abs + this.needle.length });
      this.nextFrom = abs + this.needle.length;
    }
    this.completeSnippets();
    this.trim();
    return !this.full;
  }

  /** Finishes the snippets still waiting for their after-context. */
  finish(): void {
    this.completeSnippets(true);
  }

  private segmentAt(abs: number): Segment {
    let lo = 0;
    let hi = this.segments.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.segments[mid]!.start <= abs) lo = mid;
      else hi = mid - 1;
    }
    return this.segments[lo]!;
  }

  private completeSnippets(force = false): void {
    const end = this.windowStart + this.window.length;
    this.pendingSnippets = this.pendingSnippets.filter(({ match, end: matchEnd }) => {
      if (!force && !this.full && end < matchEnd + this.context) return true;
      const from = Math.max(this.windowStart, matchEnd - this.needle.length - this.context);
      match.snippet = this.window.slice(
        from - this.windowStart,
        Math.min(end, matchEnd + this.context) - this.windowStart,
      );
      return false;
    });
  }

  /** Drops what no future match or snippet can need. */
  private trim(): void {
    const end = this.windowStart + this.window.length;
    let keepFrom = Math.max(this.nextFrom, end - this.needle.length + 1) - this.context;
    for (const p of this.pendingSnippets)
      keepFrom = Math.min(keepFrom, p.end - this.needle.length - this.context);
    keepFrom = Math.max(keepFrom, this.windowStart);
    if (keepFrom - this.windowStart < 4096) return; // trim in steps, not per event
    this.window = this.window.slice(keepFrom - this.windowStart);
    if (!this.caseSensitive) this.folded = this.folded.slice(keepFrom - this.windowStart);
    this.windowStart = keepFrom;
    let firstKept = 0;
    while (firstKept + 1 < this.segments.length && this.segments[firstKept + 1]!.start <= keepFrom)
      firstKept++;
    this.segments = this.segments.slice(firstKept);
  }
}

/**
 * Searches one recording file's output for `query` (see OutputSearcher): the text of "o"
 * and "e" events, and the decoded bytes of an exec session's "ob" and "eb" events.
 */
export async function searchRecording(
  path: string,
  query: string,
  opts: SearchOptions = {},
): Promise<SearchResult> {
  const searcher = new OutputSearcher(query, opts);
  const decoders = { ob: new StringDecoder('utf8'), eb: new StringDecoder('utf8') };
  await readAsciicastFile(
    path,
    (event, pos) => {
      if (event.type === 'o' || event.type === 'e') return searcher.push(event.time, pos.line, event.data);
      if (event.type === 'ob' || event.type === 'eb') {
        const text = decoders[event.type].write(Buffer.from(event.data, 'base64'));
        return searcher.push(event.time, pos.line, text);
      }
      return true;
    },
    opts,
  );
  searcher.finish();
  return { matches: searcher.matches, truncated: searcher.full };
}
