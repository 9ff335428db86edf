import { closeSync, constants, fstatSync, openSync, write as fsWrite } from 'node:fs';

/** Direct I/O moves whole blocks from block-aligned memory to block-aligned file offsets. */
export const DIRECT_BLOCK = 4096;

/** Size of one staging buffer: the most one write takes (a multiple of DIRECT_BLOCK). */
export const STAGE_BYTES = 1024 * 1024;

/** Staging buffers per recording thread: how many recordings can have a write under way at once. */
const STAGES = 8;

/** The system calls a RecordingFile makes (tests replace them). */
export interface FileOps {
  /** A second descriptor of the same file for direct I/O (O_DIRECT), or a throw when there is none. */
  openDirect(fd: number): number;
  /** pwrite(2) in libuv's pool (the calling thread goes on): bytes written. */
  write(fd: number, buf: Uint8Array, offset: number, length: number, position: number): Promise<number>;
  close(fd: number): void;
}

export const systemFileOps: FileOps = {
  openDirect(fd) {
    if (!fstatSync(fd).isFile()) throw new Error('not a regular file');
    // The same open file, not the path again: a renamed or replaced path changes nothing.
    return openSync(`/proc/self/fd/${fd}`, constants.O_WRONLY | constants.O_DIRECT);
  },
  write: (fd, buf, offset, length, position) =>
    new Promise((resolve, reject) =>
      fsWrite(fd, buf, offset, length, position, (err, n) => (err ? reject(err) : resolve(n))),
    ),
  close: (fd) => closeSync(fd),
};

/** WebAssembly as far as it is used here (the compiler's lib has no DOM or WebAssembly types). */
declare const WebAssembly: { Memory: new (d: { initial: number }) => { buffer: ArrayBuffer } };

/**
 * The staging buffers writes go out from, shared by a thread's recordings: a write copies
 * its lines into one, so the lines can be reused as soon as it starts, and holds it until
 * the disk is done. They are slices of one WebAssembly memory, which starts on a page
 * boundary as direct I/O needs (a Buffer's address is not known, nor aligned); when there
 * is no such memory they are plain buffers and recordings go through the page cache.
 */
export class StagePool {
  private readonly free: Buffer[] = [];
  /** Whether the buffers are page-aligned (direct I/O is possible). */
  readonly aligned: boolean;
  /** Called when a buffer is given back (recordings may be waiting for one). */
  onFree: () => void = () => undefined;

  constructor(count = STAGES, size = STAGE_BYTES) {
    if (size % DIRECT_BLOCK !== 0 || count < 1) throw new TypeError(`bad stage pool: ${count} × ${size}`);
    let memory: Buffer | undefined;
    try {
      memory = Buffer.from(new WebAssembly.Memory({ initial: Math.ceil((count * size) / 65_536) }).buffer);
    } catch {
      memory = undefined;
    }
    this.aligned = memory !== undefined;
    for (let i = 0; i < count; i++)
      this.free.push(memory ? memory.subarray(i * size, (i + 1) * size) : Buffer.allocUnsafeSlow(size));
  }

  /** Buffers not in use. */
  get available(): number {
    return this.free.length;
  }

  /** A free buffer, or undefined when all are in use. */
  take(): Buffer | undefined {
    return this.free.pop();
  }

  give(stage: Buffer): void {
    this.free.push(stage);
    this.onFree();
  }
}

/** A write under way: how many bytes it took from the queue, and its end. */
export interface StartedWrite {
  readonly bytes: number;
  /** Resolves once the bytes are in the file (or held, see `waiting`); rejects with the system error. */
  readonly done: Promise<void>;
}

/**
 * Appends a recording's bytes to its file, from the recording thread, one write at a
 * time; the thread goes on encoding while the disk works (libuv's pool makes the calls).
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
  private busy = false;

  constructor(
    private readonly fd: number,
    private readonly stages: StagePool,
    private readonly ops: FileOps = systemFileOps,
  ) {
    if (!stages.aligned) return;
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

  /** Bytes accepted but not in the file yet (under one block, direct I/O only; 0 while a write is under way). */
  get waiting(): number {
    return this.tailLength - this.tailOnFile;
  }

  /** Whether a write is under way (the next one may start when it is done). */
  get writing(): boolean {
    return this.busy;
  }

  /**
   * Starts the next write: takes from the front of `queue` what fits one staging buffer (a
   * line cut there leaves its rest at the front) and copies it, so the caller may reuse
   * those buffers at once. `complete`: when that empties the queue, everything is in the
   * file once the write is done; otherwise the part of a block at the end may wait for the
   * next write. Returns undefined when every staging buffer is in use (try again on the
   * pool's `onFree`). One write at a time.
   */
  start(queue: Buffer[], complete: boolean): StartedWrite | undefined {
    if (this.busy) throw new Error('a write to this recording is already under way');
    const stage = this.stages.take();
    if (!stage) return undefined;
    let used = 0;
    if (this.direct !== undefined) used = this.tail.copy(stage, 0, 0, this.tailLength);
    const onFile = this.direct !== undefined ? this.tailOnFile : 0;
    const first = used;
    let taken = 0;
    while (taken < queue.length && used < stage.length) {
      const line = queue[taken]!;
      const n = line.copy(stage, used);
      used += n;
      if (n < line.length) {
        queue[taken] = line.subarray(n);
        break;
      }
      taken++;
    }
    queue.splice(0, taken);
    this.busy = true;
    const done = this.finish(stage, used, onFile, complete && queue.length === 0).finally(() => {
      this.busy = false;
      this.stages.give(stage);
    });
    return { bytes: used - first, done };
  }

  /** Puts `stage[0, used)` in the file after `base`; its first `onFile` bytes are there already. */
  private async finish(stage: Buffer, used: number, onFile: number, complete: boolean): Promise<void> {
    if (this.direct === undefined) {
      await this.writeAll(stage, 0, used);
      return;
    }
    const done = await this.writeBlocks(stage, used - (used % DIRECT_BLOCK));
    if (this.direct === undefined) {
      // Direct I/O was dropped: the rest goes through the page cache, from the end of the direct writes.
      this.tailLength = this.tailOnFile = 0;
      await this.writeAll(stage, done, used - done);
      return;
    }
    let held = done > 0 ? 0 : onFile;
    const rest = used - done;
    if (complete && rest > held) {
      await this.writeAll(stage, done + held, rest - held, this.base + held);
      held = rest;
    }
    stage.copy(this.tail, 0, done, used);
    this.tailLength = rest;
    this.tailOnFile = held;
  }

  /**
   * Writes `stage[0, blocks)` directly at `base` and moves `base` on; returns the bytes
   * written. On a filesystem that refuses direct I/O, or after a short direct write, the
   * descriptor is dropped (the caller goes on buffered).
   */
  private async writeBlocks(stage: Buffer, blocks: number): Promise<number> {
    let done = 0;
    try {
      while (done < blocks) {
        const n = await this.ops.write(this.direct!, stage, done, blocks - done, this.base + done);
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
    return done;
  }

  private dropDirect(): void {
    const fd = this.direct;
    this.direct = undefined;
    if (fd !== undefined) this.ops.close(fd);
  }

  /**
   * Writes `buf[offset, offset + length)` through the page cache at `position` (default:
   * the end of what is on file, which then moves past it).
   */
  private async writeAll(buf: Buffer, offset: number, length: number, position?: number): Promise<void> {
    const at = position ?? this.base;
    for (let done = 0; done < length;) {
      const n = await this.ops.write(this.fd, buf, offset + done, length - done, at + done);
      if (n <= 0) throw Object.assign(new Error(`write made no progress (${n})`), { code: 'EIO' });
      done += n;
    }
    if (position === undefined) this.base += length;
  }

  /** Closes the direct descriptor (the caller owns `fd`); call after the last write is done. */
  close(): void {
    if (this.busy) throw new Error('a write to this recording is still under way');
    this.dropDirect();
  }
}
