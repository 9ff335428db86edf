import {
  closeSync,
  fsyncSync,
  openSync,
  readFileSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { Random } from '../core';
import { caError } from './errors';

/** Reads a small input file (key, certificate, KRL), refusing what is absent, not a file, or larger than `max`. */
export function readInputFile(path: string, what: string, max = 1_048_576): Buffer {
  let size: number;
  try {
    const st = statSync(path);
    if (!st.isFile()) throw caError('CA_FILE_UNREADABLE', `${what} ${path}: not a regular file`, { path });
    size = st.size;
  } catch (err) {
    if ((err as { code?: string }).code?.startsWith('CA_')) throw err;
    throw caError(
      'CA_FILE_UNREADABLE',
      `${what} ${path}: cannot read (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
      { path },
    );
  }
  if (size > max) throw caError('CA_FILE_UNREADABLE', `${what} ${path}: larger than ${max} bytes`, { path });
  return readFileSync(path);
}

/**
 * Replaces `path` atomically: writes a temporary file next to it with `mode`,
 * fsyncs, then renames over the target, so readers (sshd reading a KRL) never see
 * a partial file and a failure leaves the old file untouched.
 */
export function writeFileAtomic(path: string, content: string | Buffer, mode: number, random: Random): void {
  const tmp = join(dirname(path), `.${basename(path)}.tmp-${random.bytes(6).toString('hex')}`);
  let fd: number;
  try {
    fd = openSync(tmp, 'wx', mode);
  } catch (err) {
    throw caError(
      'CA_FILE_UNREADABLE',
      `${path}: cannot write (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
      { path },
    );
  }
  try {
    try {
      writeSync(fd, typeof content === 'string' ? Buffer.from(content, 'utf8') : content);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (err) {
    try {
      unlinkSync(tmp);
    } catch {
      // already gone
    }
    throw caError(
      'CA_FILE_UNREADABLE',
      `${path}: cannot write (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
      { path },
    );
  }
}
