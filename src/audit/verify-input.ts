import { LONE_SURROGATE } from './canonical';
import { createVerifier, type Verifier, type VerifyOptions, type VerifyResult } from './verify';

/*
 * Feeding a verifier (verify.ts) from what a log arrives as: a whole text, lines read
 * from the store, or chunks of a file's bytes.
 */

/** Verifies a whole text (a file's contents); a last line without newline may be torn. */
export function verifyText(text: string, options: VerifyOptions = {}): VerifyResult {
  const v = createVerifier(options);
  if (!LONE_SURROGATE.test(text)) {
    pushLines(v, Buffer.from(text, 'utf8'));
    return v.end();
  }
  let start = 0;
  while (start < text.length) {
    const nl = text.indexOf('\n', start);
    if (nl < 0) {
      v.push(text.slice(start), true);
      break;
    }
    v.push(text.slice(start, nl));
    start = nl + 1;
  }
  return v.end();
}

/** Verifies complete lines (e.g. read from the store). */
export function verifyLines(lines: Iterable<string>, options: VerifyOptions = {}): VerifyResult {
  const v = createVerifier(options);
  for (const line of lines) v.push(line);
  return v.end();
}

/**
 * Feeds every line of `buf` (UTF-8 bytes, split on the newline byte, which never occurs
 * inside a UTF-8 sequence); a last line without a newline is passed on as possibly torn.
 */
export function pushLines(v: Verifier, buf: Buffer): void {
  let start = 0;
  for (let nl = buf.indexOf(0x0a); nl >= 0; nl = buf.indexOf(0x0a, start)) {
    v.pushBytes(buf, start, nl);
    start = nl + 1;
  }
  if (start < buf.length) v.pushBytes(buf, start, buf.length, true);
}
