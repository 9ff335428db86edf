import { createReadStream } from 'node:fs';
import { BreakglassError } from '../../errors';
import type { AsciicastEvent } from './format';
import { AsciicastParser, type EventPosition, type ParseOptions, type ParseSummary } from './parser';

/** Whether an fs error means "there is no such file". */
export function isMissingFile(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 'ENOENT';
}

/**
 * Streams an asciicast v2 file through the strict parser, calling `onEvent` for each
 * event in order. `onEvent` may return `false` to stop early (the summary then covers
 * what was read). Memory is bounded by one line.
 */
export async function readAsciicastFile(
  path: string,
  onEvent: (event: AsciicastEvent, pos: EventPosition) => boolean | void,
  opts: ParseOptions = {},
): Promise<ParseSummary & { stopped: boolean }> {
  let stopped = false;
  const parser = new AsciicastParser((event, pos) => {
    if (stopped) return;
    if (onEvent(event, pos) === false) stopped = true;
  }, opts);
  const stream = createReadStream(path, { highWaterMark: 64 * 1024 });
  try {
    for await (const chunk of stream) {
      parser.push(chunk as Buffer);
      if (stopped) break;
    }
  } catch (err) {
    if (isMissingFile(err))
      throw new BreakglassError('RECORDING_NOT_FOUND', `recording file ${path} does not exist`, {
        cause: err,
      });
    throw err;
  } finally {
    stream.destroy();
  }
  if (stopped) {
    const header = parser.header;
    if (!header) throw new TypeError('stopped before the header'); // onEvent never runs before the header
    return { header, ...parser.progress(), stopped };
  }
  return { ...parser.end(), stopped };
}
