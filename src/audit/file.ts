import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import { BreakglassError } from '../errors';
import { createVerifier, type VerifyOptions, type VerifyResult } from './verify';

const CHUNK = 1 << 20;
const NL = 0x0a;

/**
 * Verifies a JSON-lines log file in constant memory (1 MiB chunks; lines are split on
 * the newline byte, which never occurs inside a UTF-8 sequence). A last line without
 * a newline is passed on as possibly torn.
 */
export function verifyFile(path: string, options: VerifyOptions = {}): VerifyResult {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    throw unreadable(path, err);
  }
  const verifier = createVerifier(options);
  const buf = Buffer.allocUnsafe(CHUNK);
  let carry: Buffer | null = null;
  try {
    for (;;) {
      const n = readSync(fd, buf, 0, CHUNK, null);
      if (n === 0) break;
      let chunk = buf.subarray(0, n);
      if (carry) {
        chunk = Buffer.concat([carry, chunk]);
        carry = null;
      }
      let start = 0;
      for (let nl = chunk.indexOf(NL, start); nl >= 0; nl = chunk.indexOf(NL, start)) {
        verifier.push(chunk.toString('utf8', start, nl));
        start = nl + 1;
      }
      if (start < chunk.length) carry = Buffer.from(chunk.subarray(start));
    }
  } catch (err) {
    throw unreadable(path, err);
  } finally {
    closeSync(fd);
  }
  if (carry) verifier.push(carry.toString('utf8'), true);
  return verifier.end();
}

/** Reads a small file (key, checkpoint) for the CLI; AUDIT_FILE_UNREADABLE when it cannot. */
export function readSmallFile(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw unreadable(path, err, what);
  }
}

function unreadable(path: string, err: unknown, what = 'audit log'): BreakglassError {
  const code = (err as NodeJS.ErrnoException).code ?? String(err);
  return new BreakglassError('AUDIT_FILE_UNREADABLE', `${what} ${path}: cannot read (${code})`, {
    cause: err,
  });
}
