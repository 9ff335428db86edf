import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { BreakglassError } from '../errors';
import { isMissingFile } from './asciicast/reader';

/** A running hash the audit log holds for a prefix of the recording. */
export interface SealPoint {
  /** SHA-256 (hex) of the first `size` bytes. */
  sha256: string;
  size: number;
}

/** What the audit log says about a recording: the final seal and/or the periodic checkpoints. */
export interface SealedRecording {
  /** Final hash at session end; absent when the session never ended cleanly (crash). */
  sha256?: string;
  size?: number;
  checkpoints?: readonly SealPoint[];
}

export interface ByteRange {
  /** First byte that may differ (inclusive). */
  start: number;
  /** End of the region (exclusive). */
  end: number;
  /** File lines the region touches (1-based, the header is line 1), when the file has those bytes. */
  lines?: { from: number; to: number };
}

export type VerifyProblem =
  /** The bytes of `range` differ from what was sealed; everything before `range.start` matches. */
  | { kind: 'modified'; range: ByteRange; point: string; message: string }
  /** The file ends at `range.start`, before the sealed size `range.end`. */
  | { kind: 'truncated'; range: ByteRange; point: string; message: string }
  /** The sealed bytes all match, but the file continues past the sealed size. */
  | { kind: 'extended'; range: ByteRange; point: string; message: string };

export interface VerifyResult {
  ok: boolean;
  /** The file's actual size and SHA-256. */
  size: number;
  sha256: string;
  /** Seal points (checkpoints, then the final seal) that matched before the first problem. */
  verified: number;
  /** Whether a final seal was given (false: only checkpoints, e.g. after a crash). */
  sealed: boolean;
  problem?: VerifyProblem;
}

const HEX64 = /^[0-9a-f]{64}$/;

function checkPoint(p: SealPoint, what: string): void {
  if (typeof p.sha256 !== 'string' || !HEX64.test(p.sha256) || !Number.isSafeInteger(p.size) || p.size < 0) {
    throw new BreakglassError(
      'RECORDING_INVALID_ARGUMENT',
      `${what} must be { sha256: 64 lowercase hex digits, size: a non-negative integer }`,
    );
  }
}

/** Seal points in file order, named for messages; the final seal last. */
function sealPoints(sealed: SealedRecording): { point: SealPoint; name: string }[] {
  const points = (sealed.checkpoints ?? []).map((point, i) => ({ point, name: `checkpoint #${i + 1}` }));
  const hasSeal = sealed.sha256 !== undefined || sealed.size !== undefined;
  if (hasSeal)
    points.push({
      point: { sha256: sealed.sha256 as string, size: sealed.size as number },
      name: 'the final seal',
    });
  if (points.length === 0)
    throw new BreakglassError(
      'RECORDING_INVALID_ARGUMENT',
      'nothing to verify against: give the final sha256 and size, or checkpoints',
    );
  points.forEach(({ point, name }, i) => {
    checkPoint(point, name);
    if (i > 0 && point.size < points[i - 1]!.point.size) {
      throw new BreakglassError(
        'RECORDING_INVALID_ARGUMENT',
        `${name} (size ${point.size}) comes before ${points[i - 1]!.name} (size ${points[i - 1]!.point.size}); seal points must not shrink`,
      );
    }
  });
  return points;
}

function describe(range: ByteRange): string {
  const lines = range.lines
    ? range.lines.from === range.lines.to
      ? ` (line ${range.lines.from})`
      : ` (lines ${range.lines.from}-${range.lines.to})`
    : '';
  return `bytes ${range.start}-${range.end - 1}${lines}`;
}

/**
 * Checks a recording file against the hashes the audit log sealed: each checkpoint's running
 * hash at its size, then the final hash and size. Names the first place it differs: the
 * byte range (and lines) between the last seal point that matches and the first that does
 * not; a file cut short; or bytes appended after the sealed end. Reads the file once.
 */
export async function verifyRecording(path: string, sealed: SealedRecording): Promise<VerifyResult> {
  const points = sealPoints(sealed);
  const hash = createHash('sha256');
  /** Line numbers at each seal point's offset (1 + newlines before it). */
  const linesAt: number[] = [];
  let offset = 0;
  let newlines = 0;
  /** Whether the byte before `offset` is a newline (then it belongs to line `newlines`). */
  let endsLine = false;
  /** Line of the byte before `offset`. */
  const lastLine = () => (endsLine ? newlines : newlines + 1);
  let next = 0;
  let lastGood = { size: 0, lines: 1, name: 'the start of the file' };
  let problem: VerifyProblem | undefined;

  const reach = () => {
    // Called with the hash covering exactly `offset` bytes: settle every point at this offset.
    while (!problem && next < points.length && points[next]!.point.size === offset) {
      const { point, name } = points[next]!;
      linesAt[next] = newlines + 1;
      if (hash.copy().digest('hex') === point.sha256) {
        lastGood = { size: offset, lines: newlines + 1, name };
        next++;
      } else {
        const range: ByteRange = {
          start: lastGood.size,
          end: offset,
          lines: { from: lastGood.lines, to: lastLine() },
        };
        if (range.end <= range.start) delete range.lines;
        const message =
          range.end > range.start
            ? `${describe(range)} differ from what was sealed: ${name} (at byte ${offset}) does not match, ${lastGood.name} does`
            : `${name} does not match at byte ${offset}`;
        problem = { kind: 'modified', range, point: name, message };
      }
    }
  };

  const stream = createReadStream(path, { highWaterMark: 64 * 1024 });
  try {
    reach();
    for await (const raw of stream) {
      let chunk = raw as Buffer;
      while (chunk.length > 0) {
        // Cut the chunk at the next seal point so its hash is taken at exactly that offset.
        const limit = !problem && next < points.length ? points[next]!.point.size - offset : chunk.length;
        const part = limit < chunk.length ? chunk.subarray(0, limit) : chunk;
        hash.update(part);
        for (let i = part.indexOf(10); i !== -1; i = part.indexOf(10, i + 1)) newlines++;
        offset += part.length;
        if (part.length > 0) endsLine = part[part.length - 1] === 10;
        chunk = chunk.subarray(part.length);
        reach();
      }
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

  if (!problem && next < points.length) {
    const { point, name } = points[next]!;
    problem = {
      kind: 'truncated',
      range: { start: offset, end: point.size },
      point: name,
      message: `the file ends at byte ${offset} but ${name} covers ${point.size} bytes; bytes before ${lastGood.size} match ${lastGood.name}`,
    };
  }
  const sealedSize = sealed.size;
  if (!problem && sealedSize !== undefined && offset > sealedSize) {
    const range: ByteRange = {
      start: sealedSize,
      end: offset,
      lines: { from: linesAt[points.length - 1]!, to: lastLine() },
    };
    problem = {
      kind: 'extended',
      range,
      point: 'the final seal',
      message: `${describe(range)} were added after the sealed end (${sealedSize} bytes)`,
    };
  }
  const result: VerifyResult = {
    ok: !problem,
    size: offset,
    sha256: hash.digest('hex'),
    verified: next,
    sealed: sealedSize !== undefined,
  };
  if (problem) result.problem = problem;
  return result;
}

/** Like verifyRecording, but throws RECORDING_VERIFY_FAILED naming the first difference (for the CLI). */
export async function assertRecordingIntact(path: string, sealed: SealedRecording): Promise<VerifyResult> {
  const result = await verifyRecording(path, sealed);
  if (result.problem) {
    throw new BreakglassError('RECORDING_VERIFY_FAILED', `recording ${path}: ${result.problem.message}`, {
      details: {
        kind: result.problem.kind,
        start: result.problem.range.start,
        end: result.problem.range.end,
        lines: result.problem.range.lines,
        point: result.problem.point,
      },
    });
  }
  return result;
}
