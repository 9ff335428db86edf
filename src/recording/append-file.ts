import { closeSync, constants, fstatSync, openSync, writeSync, writevSync } from 'node:fs';

/** Direct I/O moves whole blocks from block-aligned memory to block-aligned file offsets. */
export const DIRECT_BLOCK = 4096;

/** Most buffers handed to one writev (IOV_MAX is 1024 on Linux). */
const IOV_MAX = 1024;

/** Size of the recording thread's aligned staging buffer (one for every recording: writes are synchronous). */
const STAGE_BYTES = 4 * 1024 * 1024;

/** The system calls a RecordingFile makes (tests replace them). */
export interface FileOps {
  /** A second descriptor of the same file for direct I/O (O_DIRECT), or a throw when there is none. */
  openDirect(fd: number): number;
  /** pwrite(2): bytes written. */
  write(fd: number, buf: Uint8Array, offset: number, length: number, position: number): number;
  /** pwritev(2): bytes written. */
  writev(fd: number, bufs: Buffer[], position: number): number;
  close(fd: number): void;
}

export const systemFileOps: FileOps = {
  openDirect(fd) {
    if (!fstatSync(fd).isFile()) throw new Error('not a regular file');
    // The same open file, not the path again: a renamed or replaced path changes nothing.
    return openSync(`/proc/self/fd/${fd}`, constants.O_WRONLY | constants.O_DIRECT);
  },
  write: (fd, buf, offset, length, position) => writeSync(fd, buf, offset, length, position),
  writev: (fd, bufs, position) => writevSync(fd, bufs, position),
  close: (fd) => closeSync(fd),
};

/** WebAssembly as far as it is used here (the compiler's lib has no DOM or WebAssembly types). */
declare const WebAssembly: { Memory: new (d: { initial: number }) => { buffer: ArrayBuffer } };

let stage: Buffer | null | undefined;

/**
 * The staging buffer direct writes go out from. WebAssembly memory starts on a page
 * boundary, which direct I/O needs (a Buffer's address is not known, nor aligned). null
 * when it cannot be had: recordings then go through the page cache.
 */
function stagingBuffer(): Buffer | null {
  if (stage === undefined) {
    try {
      stage = Buffer.from(new WebAssembly.Memory({ initial: STAGE_BYTES / 65_536 }).buffer);
    } catch {
      stage = null;
    }
  }
  return stage;
}

/**
 * Appends a recording's bytes to its file, on the recording thread.
 *
 * Whole 4 KiB blocks go straight to the disk with direct I/O (a second descriptor opened
 * with O_DIRECT): a recording is written once and read rarely, so copying it into the page
 * cache would only cost CPU (the biggest cost of a fast session's recording, more on a VM
 * whose host takes freed memory back) and evict pages worth keeping. The part of a block
 * at the end is held until a complete write, which puts it through the page cache at the
 * end of the file; the next direct write covers that block again with the same bytes
 * (the kernel writes back and drops the cached page first). The file's bytes are the same
 * either way.
 *
 * Falls back to the page cache for good when direct I/O is not possible: not a regular
 * file, a filesystem without O_DIRECT (EINVAL at open or on a write), no aligned memory,
 * or a short direct write.
 */
export class RecordingFile {
  private direct: number | undefined;
  /** Bytes on file from direct writes (a multiple of DIRECT_BLOCK) or, once buffered, all of them. */
  private base = 0;
  /** Bytes after `base`, kept for the next direct write; the first `tailOnFile` are on file too. */
  private tail = Buffer.alloc(0);
  private tailLength = 0;
  private tailOnFile = 0;

  constructor(
    private readonly fd: number,
    private readonly ops: FileOps = systemFileOps,
  ) {
    if (!stagingBuffer()) return;
    try {
      this.direct = ops.openDirect(fd);
      this.tail = Buffer.allocUnsafe(DIRECT_BLOCK);
    } catch {
      this.direct = undefined;
    }
  }

  /** Whether whole blocks go to the disk directly. */
  get isDirect(): boolean {
    return this.direct !== undefined;
  }

  /** Bytes accepted but not in the file yet (under one block, direct I/O only). */
  get waiting(): number {
    return this.tailLength - this.tailOnFile;
  }

  /**
   * Writes `lines` after what came before, in order. `complete`: everything is in the file
   * afterwards; otherwise the part of a block at the end may wait for the next write. Throws
   * the system error of a failed write.
   */
  write(lines: readonly Buffer[], complete: boolean): void {
    if (this.direct === undefined) return this.writeBuffered(lines);
    const stage = stagingBuffer()!;
    this.tail.copy(stage, 0, 0, this.tailLength);
    let used = this.tailLength;
    let onFile = this.tailOnFile; // staged bytes already in the file
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!;
      for (let at = 0; at < line.length;) {
        const n = line.copy(stage, used, at);
        used += n;
        at += n;
        if (used === stage.length) {
          used = this.writeBlocks(stage, used);
          onFile = 0;
          if (this.direct === undefined)
            return this.fallBack(stage, used, [line.subarray(at), ...lines.slice(i + 1)]);
        }
      }
    }
    if (used >= DIRECT_BLOCK) {
      used = this.writeBlocks(stage, used);
      onFile = 0;
      if (this.direct === undefined) return this.fallBack(stage, used, []);
    }
    if (complete && used > onFile) {
      this.writeAll(this.fd, stage, onFile, used - onFile, this.base + onFile);
      onFile = used;
    }
    stage.copy(this.tail, 0, 0, used);
    this.tailLength = used;
    this.tailOnFile = onFile;
  }

  /**
   * Writes the whole blocks at the start of `stage` directly and moves the rest to its
   * start; returns the bytes left. On a filesystem that refuses direct I/O, or after a
   * short direct write, the descriptor is dropped (the caller goes on buffered).
   */
  private writeBlocks(stage: Buffer, used: number): number {
    const blocks = used - (used % DIRECT_BLOCK);
    let done = 0;
    try {
      while (done < blocks) {
        const n = this.ops.write(this.direct!, stage, done, blocks - done, this.base + done);
        if (n <= 0 || n % DIRECT_BLOCK !== 0) {
          done += Math.max(n, 0);
          throw Object.assign(new Error('short direct write'), { code: 'EINVAL' });
        }
        done += n;
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EINVAL') throw err;
      this.dropDirect();
    }
    this.base += done;
    stage.copy(stage, 0, done, used);
    return used - done;
  }

  /** Direct I/O was dropped: the staged bytes (from `base`) and the rest go through the page cache. */
  private fallBack(stage: Buffer, used: number, more: Buffer[]): void {
    this.tailLength = this.tailOnFile = 0;
    this.writeBuffered([stage.subarray(0, used), ...more]);
  }

  private dropDirect(): void {
    const fd = this.direct;
    this.direct = undefined;
    if (fd !== undefined) this.ops.close(fd);
  }

  /** Through the page cache, at the end of what is on file. */
  private writeBuffered(lines: readonly Buffer[]): void {
    for (let i = 0; i < lines.length; i += IOV_MAX) {
      const batch = lines.slice(i, i + IOV_MAX);
      let bytes = 0;
      for (const b of batch) bytes += b.length;
      const written = this.ops.writev(this.fd, batch, this.base);
      if (written < bytes) {
        // A short write: finish the rest in order before anything else.
        const all = Buffer.concat(batch, bytes);
        this.writeAll(this.fd, all, written, bytes - written, this.base + written);
      }
      this.base += bytes;
    }
  }

  private writeAll(fd: number, buf: Buffer, offset: number, length: number, position: number): void {
    for (let done = 0; done < length;) {
      const n = this.ops.write(fd, buf, offset + done, length - done, position + done);
      if (n <= 0) throw Object.assign(new Error(`write made no progress (${n})`), { code: 'EIO' });
      done += n;
    }
  }

  /** Closes the direct descriptor (the caller owns `fd`); call after the last complete write. */
  close(): void {
    this.dropDirect();
  }
}
