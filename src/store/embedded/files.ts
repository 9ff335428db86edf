import { constants, promises as fs } from 'node:fs';
import { dirname } from 'node:path';
import { BreakglassError } from '../../errors';
import { encodeFrame } from './frame';

export const DIR_MODE = 0o700;
export const FILE_MODE = 0o600;

/** fsync of a directory, so that a created, renamed or removed entry in it is durable. */
export async function fsyncDir(path: string): Promise<void> {
  const fh = await fs.open(path, constants.O_RDONLY | constants.O_DIRECTORY);
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

function dataDirError(path: string, what: string, err: unknown): BreakglassError {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return new BreakglassError(
    'STORE_DATA_DIR',
    `data directory ${path}: ${what}${code ? ` (${code})` : ''}; it must be a directory this process can create files in`,
    { details: { path, errno: code }, cause: err },
  );
}

/** Creates `path` (mode 0700, parents too) when missing; checks it is a writable directory. */
export async function ensureDir(path: string): Promise<{ created: boolean; mode: number }> {
  let created = false;
  try {
    created = (await fs.mkdir(path, { recursive: true, mode: DIR_MODE })) !== undefined;
  } catch (err) {
    throw dataDirError(path, 'cannot be created', err);
  }
  let mode: number;
  try {
    const st = await fs.stat(path);
    if (!st.isDirectory()) throw dataDirError(path, 'is not a directory', undefined);
    mode = st.mode & 0o777;
    await fs.access(path, constants.W_OK | constants.X_OK);
  } catch (err) {
    if (err instanceof BreakglassError) throw err;
    throw dataDirError(path, 'is not writable', err);
  }
  if (created) await fsyncDir(dirname(path)).catch(() => undefined);
  return { created, mode };
}

/** Reads a whole file, or null when it does not exist. */
export async function readIfExists(path: string): Promise<Buffer | null> {
  try {
    return await fs.readFile(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

/**
 * A file written only at its end, one frame per group commit, at positions this
 * process tracks (so a torn tail that recovery cut off is overwritten cleanly).
 */
export class AppendFile {
  private constructor(
    readonly path: string,
    private readonly fh: fs.FileHandle,
    private bytes: number,
  ) {}

  /** Creates a new file holding one header frame, durable (file and directory entry). */
  static async create(path: string, header: Buffer, sync: boolean): Promise<AppendFile> {
    const fh = await fs.open(path, constants.O_RDWR | constants.O_CREAT | constants.O_EXCL, FILE_MODE);
    const file = new AppendFile(path, fh, 0);
    try {
      await file.append(encodeFrame([header]), sync);
      if (sync) await fsyncDir(dirname(path));
    } catch (err) {
      await fh.close().catch(() => undefined);
      throw err;
    }
    return file;
  }

  /** Opens an existing file to append at `size` (cutting off anything after it: a torn tail). */
  static async open(path: string, size: number, sync: boolean): Promise<AppendFile> {
    const fh = await fs.open(path, constants.O_RDWR);
    try {
      await fh.chmod(FILE_MODE);
      const st = await fh.stat();
      if (st.size !== size) {
        await fh.truncate(size);
        if (sync) await fh.sync();
      }
    } catch (err) {
      await fh.close().catch(() => undefined);
      throw err;
    }
    return new AppendFile(path, fh, size);
  }

  get size(): number {
    return this.bytes;
  }

  /** Writes `buffers` at the end and (when `sync`) waits for fdatasync. */
  async append(buffers: Buffer[], sync: boolean): Promise<void> {
    let total = 0;
    for (const b of buffers) total += b.length;
    let written = 0;
    // writev may write less than asked (e.g. at 2 GiB per call); continue where it stopped.
    while (written < total) {
      const rest = written === 0 ? buffers : sliceFrom(buffers, written);
      const { bytesWritten } = await this.fh.writev(rest, this.bytes + written);
      if (bytesWritten <= 0) throw new Error(`no progress writing ${this.path}`);
      written += bytesWritten;
    }
    if (sync) await this.fh.datasync();
    this.bytes += total;
  }

  /** Reads `length` bytes at `position` (only from data already written). */
  async read(position: number, length: number): Promise<Buffer> {
    const buf = Buffer.allocUnsafe(length);
    let got = 0;
    while (got < length) {
      const { bytesRead } = await this.fh.read(buf, got, length - got, position + got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    return got === length ? buf : buf.subarray(0, got);
  }

  async close(): Promise<void> {
    await this.fh.close();
  }
}

function sliceFrom(buffers: Buffer[], skip: number): Buffer[] {
  const out: Buffer[] = [];
  for (const b of buffers) {
    if (skip >= b.length) {
      skip -= b.length;
      continue;
    }
    out.push(skip > 0 ? b.subarray(skip) : b);
    skip = 0;
  }
  return out;
}

/** Writes a whole file atomically and durably: temp file, fsync, rename, fsync directory. */
export async function writeFileAtomic(path: string, buffers: Buffer[], sync: boolean): Promise<void> {
  const tmp = `${path}.tmp`;
  await fs.rm(tmp, { force: true });
  const fh = await fs.open(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, FILE_MODE);
  try {
    let position = 0;
    for (const b of buffers) {
      let done = 0;
      while (done < b.length) {
        const { bytesWritten } = await fh.write(b, done, b.length - done, position);
        done += bytesWritten;
        position += bytesWritten;
      }
    }
    if (sync) await fh.sync();
  } finally {
    await fh.close();
  }
  await fs.rename(tmp, path);
  if (sync) await fsyncDir(dirname(path));
}
