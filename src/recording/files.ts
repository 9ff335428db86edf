import { access, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { BreakglassError } from '../errors';
import { readAsciicastFile } from './asciicast/reader';
import type { ParseOptions, ParseSummary } from './asciicast/parser';
import { searchRecording, type SearchOptions, type SearchResult } from './search';
import { verifyRecording, type SealedRecording, type VerifyResult } from './verify';
import { RecordingThread } from './thread-host';
import { openRecording, type RecordingWriter, type RecordingWriterOptions } from './writer';

const ID_RE = /^(?!\.)[A-Za-z0-9._-]{1,128}$/;

export interface RecordingFiles {
  /** The file of a recording id (`<dir>/<id>.cast`); refuses ids that could leave the directory. */
  pathFor(id: string): string;
  /** Starts recording `id` (creates the directory with mode 0700 when needed). */
  open(id: string, opts: Omit<RecordingWriterOptions, 'path'>): Promise<RecordingWriter>;
  /** Checks recording `id` against what the audit log sealed (for `breakglass recordings verify ID`). */
  verify(id: string, sealed: SealedRecording): Promise<VerifyResult>;
  search(id: string, query: string, opts?: SearchOptions): Promise<SearchResult>;
  /** Parses the whole file strictly and summarises it (header, events, duration, torn tail). */
  inspect(id: string, opts?: ParseOptions): Promise<ParseSummary>;
  /** Stops the recording thread (started by the first `open`); close the recordings first. */
  close(): Promise<void>;
}

/** Recordings kept as `<dir>/<id>.cast`, where `dir` is normally `<data_dir>/recordings`. */
export function createRecordingFiles({ dir }: { dir: string }): RecordingFiles {
  let thread: RecordingThread | undefined;
  const pathFor = (id: string): string => {
    if (typeof id !== 'string' || !ID_RE.test(id)) {
      throw new BreakglassError(
        'RECORDING_INVALID_ID',
        `recording id ${JSON.stringify(String(id).slice(0, 140))} is not 1-128 letters, digits, ".", "-" or "_" (not starting with ".")`,
      );
    }
    return join(dir, `${id}.cast`);
  };
  const existing = async (id: string): Promise<string> => {
    const path = pathFor(id);
    try {
      await access(path);
    } catch (err) {
      throw new BreakglassError('RECORDING_NOT_FOUND', `no recording ${id} in ${dir}`, { cause: err });
    }
    return path;
  };
  return {
    pathFor,
    async open(id, opts) {
      const path = pathFor(id);
      await mkdir(dir, { recursive: true, mode: 0o700 });
      thread ??= new RecordingThread();
      return openRecording({ ...opts, path }, thread);
    },
    async verify(id, sealed) {
      return verifyRecording(await existing(id), sealed);
    },
    async search(id, query, opts) {
      return searchRecording(await existing(id), query, opts);
    },
    async inspect(id, opts) {
      return readAsciicastFile(await existing(id), () => true, opts);
    },
    async close() {
      const t = thread;
      thread = undefined;
      await t?.close();
    },
  };
}
