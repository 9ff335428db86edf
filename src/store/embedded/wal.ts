import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../../logging';
import { DecodeError, Writer, decodeHeader, decodeOps, encodeHeader, writeOp, type Op } from './codec';
import type { Journal } from './commit';
import { encodeFrame, scanFrames } from './frame';
import { AppendFile, fsyncDir, readIfExists, writeFileAtomic } from './files';
import { checkScanEnd, corrupt, type MutableReport } from './recovery';
import type { MemoryState } from './state';

export const SNAPSHOT_FILE = 'snapshot';
const WAL_MAGIC = 'breakglass-wal-1';
const SNAP_MAGIC = 'breakglass-snapshot-1';
const SNAP_END_MAGIC = 'breakglass-snapshot-end';
const WAL_RE = /^wal-(\d{10})\.log$/;
const SNAPSHOT_CHUNK_BYTES = 1 << 20;

export const walName = (gen: number) => `wal-${String(gen).padStart(10, '0')}.log`;

export interface WalOptions {
  dir: string;
  sync: boolean;
  compactAfterBytes: number;
  logger: Logger;
  now: () => number;
  /** Hands a journal to the group committer (so compaction never races a write). */
  commit: (journal: Journal) => Promise<void>;
}

/**
 * The write-ahead log of records and counters, and its snapshot. Files:
 * `snapshot` (the state up to WAL generation G) and `wal-<gen>.log` for gen >= G.
 * Compaction starts a new WAL generation, writes the state captured at that moment
 * as the new snapshot (temp file, fsync, rename, fsync directory) and then removes
 * the older WAL files. WAL operations are absolute, so replaying the new generation
 * over a snapshot that already contains some of it gives the same state.
 */
export class Wal implements Journal {
  private pending = new Writer(4096);
  private compacting: Promise<void> | null = null;
  private compactionRequested = false;

  private constructor(
    private readonly opts: WalOptions,
    private readonly state: MemoryState,
    private file: AppendFile,
    private gen: number,
  ) {}

  /** Loads the snapshot, replays the WAL into `state`, cuts a torn tail, and opens the WAL for appending. */
  static async open(opts: WalOptions, state: MemoryState, report: MutableReport): Promise<Wal> {
    const { dir, sync } = opts;
    await fs.rm(join(dir, `${SNAPSHOT_FILE}.tmp`), { force: true });
    const snapGen = await loadSnapshot(join(dir, SNAPSHOT_FILE), state, report);
    const gens = (await fs.readdir(dir))
      .map((name) => WAL_RE.exec(name))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => Number(m[1]))
      .sort((a, b) => a - b);
    for (const g of gens.filter((g) => g < snapGen)) await fs.rm(join(dir, walName(g)), { force: true });
    const live = gens.filter((g) => g >= snapGen);
    const first = snapGen === 0 ? 1 : snapGen;
    if (live.length > 0 && live[0] !== first) {
      throw corrupt(
        join(dir, walName(live[0]!)),
        0,
        `the write-ahead log starts at generation ${live[0]} but ${snapGen === 0 ? 'there is no snapshot' : `the snapshot covers up to generation ${snapGen}`}`,
      );
    }
    live.forEach((g, i) => {
      if (g !== first + i)
        throw corrupt(join(dir, walName(first + i)), 0, 'this write-ahead log file is missing');
    });
    if (live.length === 0) {
      if (snapGen !== 0)
        throw corrupt(join(dir, walName(snapGen)), 0, 'this write-ahead log file is missing');
      const file = await AppendFile.create(
        join(dir, walName(first)),
        encodeHeader(WAL_MAGIC, { gen: first }),
        sync,
      );
      return new Wal(opts, state, file, first);
    }
    let file: AppendFile | null = null;
    for (const [i, g] of live.entries()) {
      const path = join(dir, walName(g));
      const isLast = i === live.length - 1;
      const validEnd = await replayWal(path, g, isLast, state, report);
      if (isLast) {
        if (validEnd === 0) {
          // The header itself was torn: the file never held an acknowledged write.
          await fs.rm(path);
          file = await AppendFile.create(path, encodeHeader(WAL_MAGIC, { gen: g }), sync);
        } else {
          file = await AppendFile.open(path, validEnd, sync);
        }
      }
    }
    return new Wal(opts, state, file!, live[live.length - 1]!);
  }

  /** Queues an operation for the next group commit (the caller then commits this journal). */
  queue(op: Op): void {
    writeOp(this.pending, op);
  }

  get size(): number {
    return this.file.size;
  }

  async flush(): Promise<void> {
    const payload = this.pending.length > 0 ? this.pending.finish() : null;
    if (payload) this.pending = new Writer(Math.min(Math.max(4096, payload.length), 1 << 20));
    if (
      this.compacting === null &&
      (this.compactionRequested || this.file.size >= this.opts.compactAfterBytes)
    ) {
      this.compactionRequested = false;
      await this.startCompaction();
    }
    if (payload) await this.file.append(encodeFrame([payload]), this.opts.sync);
  }

  /** Starts a new WAL generation and writes a snapshot; resolves once the snapshot is in place. */
  async compact(): Promise<void> {
    await this.compacting;
    this.compactionRequested = true;
    await this.opts.commit(this);
    await this.compacting;
  }

  private async startCompaction(): Promise<void> {
    const gen = this.gen + 1;
    const next = await AppendFile.create(
      join(this.opts.dir, walName(gen)),
      encodeHeader(WAL_MAGIC, { gen }),
      this.opts.sync,
    );
    const old = this.file;
    this.file = next;
    this.gen = gen;
    await old.close();
    const frames = captureSnapshot(this.state, gen, this.opts.now());
    this.compacting = this.finishCompaction(gen, frames).finally(() => {
      this.compacting = null;
    });
  }

  private async finishCompaction(gen: number, frames: Buffer[]): Promise<void> {
    try {
      await writeFileAtomic(join(this.opts.dir, SNAPSHOT_FILE), frames, this.opts.sync);
      for (const name of await fs.readdir(this.opts.dir)) {
        const m = WAL_RE.exec(name);
        if (m && Number(m[1]) < gen) await fs.rm(join(this.opts.dir, name), { force: true });
      }
      if (this.opts.sync) await fsyncDir(this.opts.dir);
      this.opts.logger.debug('store: compacted the write-ahead log into a snapshot', { generation: gen });
    } catch (err) {
      // The older WAL files stay; recovery still has everything. Try again at the next threshold.
      this.opts.logger.error('store: writing the snapshot failed; keeping the write-ahead log', {
        error: String(err),
      });
    }
  }

  async close(): Promise<void> {
    await this.compacting;
    await this.file.close();
  }
}

function captureSnapshot(state: MemoryState, gen: number, now: number): Buffer[] {
  const out: Buffer[] = [...encodeFrame([encodeHeader(SNAP_MAGIC, { gen })])];
  let w = new Writer(64 * 1024);
  let count = 0;
  for (const op of state.snapshotOps(now)) {
    writeOp(w, op);
    count++;
    if (w.length >= SNAPSHOT_CHUNK_BYTES) {
      out.push(...encodeFrame([w.finish()]));
      w = new Writer(64 * 1024);
    }
  }
  if (w.length > 0) out.push(...encodeFrame([w.finish()]));
  out.push(...encodeFrame([encodeHeader(SNAP_END_MAGIC, { ops: count })]));
  return out;
}

/** Applies the snapshot to `state`; returns its generation, 0 when there is none. */
async function loadSnapshot(path: string, state: MemoryState, report: MutableReport): Promise<number> {
  const buf = await readIfExists(path);
  if (buf === null) return 0;
  const scan = scanFrames(buf);
  if (scan.end.kind !== 'clean') throw corrupt(path, scan.end.offset, scan.end.reason);
  const [head, ...rest] = scan.frames;
  const tail = rest.pop();
  if (!head || !tail) throw corrupt(path, 0, 'the snapshot is incomplete');
  let gen: number;
  let count = 0;
  try {
    gen = Number(decodeHeader(head.payload, SNAP_MAGIC).gen);
    if (!Number.isSafeInteger(gen) || gen < 1) throw new DecodeError('bad generation');
    for (const frame of rest) {
      try {
        for (const op of decodeOps(frame.payload)) {
          state.apply(op);
          count++;
        }
      } catch (err) {
        throw corrupt(path, frame.offset, String((err as Error).message));
      }
    }
    const expected = Number(decodeHeader(tail.payload, SNAP_END_MAGIC).ops);
    if (expected !== count) throw new DecodeError(`the snapshot says ${expected} operations, found ${count}`);
  } catch (err) {
    if (err instanceof DecodeError || err instanceof SyntaxError) throw corrupt(path, 0, err.message);
    throw err;
  }
  report.snapshotLoaded = true;
  return gen;
}

/** Replays one WAL file; returns where its valid data ends. */
async function replayWal(
  path: string,
  gen: number,
  isLast: boolean,
  state: MemoryState,
  report: MutableReport,
): Promise<number> {
  const buf = (await readIfExists(path)) ?? Buffer.alloc(0);
  const scan = scanFrames(buf);
  checkScanEnd(path, scan, buf.length, isLast, report);
  const [head, ...rest] = scan.frames;
  if (!head) return 0;
  try {
    if (Number(decodeHeader(head.payload, WAL_MAGIC).gen) !== gen)
      throw new DecodeError(`header names another generation than ${gen}`);
  } catch (err) {
    throw corrupt(path, 0, (err as Error).message);
  }
  for (const frame of rest) {
    let ops: Op[];
    try {
      ops = decodeOps(frame.payload);
    } catch (err) {
      throw corrupt(path, frame.offset, (err as Error).message);
    }
    for (const op of ops) state.apply(op);
    report.replayedOps += ops.length;
  }
  return scan.validEnd;
}
