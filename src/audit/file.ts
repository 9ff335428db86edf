import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import { BreakglassError } from '../errors';
import { createVerifier, type VerifyOptions, type VerifyResult } from './verify';
import { pushLines } from './verify-input';

const CHUNK = 1 << 20;
const NL = 0x0a;

/**
 * Verifies a JSON-lines log file in constant memory (1 MiB chunks, plus the longest
 * line); lines are checked on their bytes, never decoded on the fast path. A last
 * line without a newline is passed on as possibly torn.
 */
export function verifyFile(path: string, options: VerifyOptions = {}): VerifyResult {
  const fd = openLog(path);
  const verifier = createVerifier(options);
  try {
    for (const chunk of wholeLineChunks(fd)) pushLines(verifier, chunk);
  } catch (err) {
    throw unreadable(path, err);
  } finally {
    closeSync(fd);
  }
  return verifier.end();
}

/**
 * Reads a file in chunks of whole lines: each chunk ends just after a newline, except
 * the last one when the file does not end with a newline (a possibly torn line). A line
 * longer than a chunk is carried on until its newline. Every chunk is a fresh buffer
 * (the verifier keeps views of recent lines); a carried-over part is copied once.
 */
export function* wholeLineChunks(fd: number, size = CHUNK): Generator<Buffer> {
  let carry: Buffer | null = null;
  for (;;) {
    const buf = Buffer.allocUnsafe((carry?.length ?? 0) + size);
    const kept: number = carry ? carry.copy(buf) : 0;
    const n = readSync(fd, buf, kept, size, null);
    if (n === 0) {
      if (carry) yield carry;
      return;
    }
    const filled: number = kept + n;
    const last: number = buf.lastIndexOf(NL, filled - 1);
    if (last < kept) {
      // no newline in what was just read: the line goes on
      carry = buf.subarray(0, filled);
      continue;
    }
    carry = last + 1 < filled ? buf.subarray(last + 1, filled) : null;
    yield buf.subarray(0, last + 1);
  }
}

/** Opens a log file for reading; AUDIT_FILE_UNREADABLE when it cannot. */
export function openLog(path: string): number {
  try {
    return openSync(path, 'r');
  } catch (err) {
    throw unreadable(path, err);
  }
}

/** Reads a small file (key, checkpoint) for the CLI; AUDIT_FILE_UNREADABLE when it cannot. */
export function readSmallFile(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw unreadable(path, err, what);
  }
}

export function unreadable(path: string, err: unknown, what = 'audit log'): BreakglassError {
  const code = (err as NodeJS.ErrnoException).code ?? String(err);
  return new BreakglassError('AUDIT_FILE_UNREADABLE', `${what} ${path}: cannot read (${code})`, {
    cause: err,
  });
}
