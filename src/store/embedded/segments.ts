import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import type { LogEntry, LogHead } from '../types';
import {
  DecodeError,
  Writer,
  decodeHeader,
  encodeHeader,
  peekEntries,
  readEntries,
  writeEntries,
} from './codec';
import type { Journal } from './commit';
import { FRAME_HEADER_BYTES, encodeFrame, frameAt, scanFrames } from './frame';
import { AppendFile, DIR_MODE, fsyncDir } from './files';
import { checkScanEnd, corrupt, type MutableReport } from './recovery';

const SEGMENT_MAGIC = 'breakglass-log-segment-1';
const SEGMENT_RE = /^(\d{16})\.seg$/;
/** Keep one index point per this many bytes of segment (bounds memory for huge logs). */
const INDEX_EVERY_BYTES = 64 * 1024;
const READ_CHUNK_BYTES = 256 * 1024;

export const segmentName = (firstSeq: number) => `${String(firstSeq).padStart(16, '0')}.seg`;
/** Log names may hold `/`, `:`, `@` and be 200 characters: the directory is named by a hash. */
export const logDirName = (name: string) => createHash('sha256').update(name).digest('hex').slice(0, 32);

interface Segment {
  readonly path: string;
  readonly firstSeq: number;
  /** Durable bytes (reads never go past this). */
  size: number;
  /** Sparse index: first seq of a frame and its offset, every INDEX_EVERY_BYTES or so. */
  readonly seqs: number[];
  readonly offsets: number[];
}

export interface SegmentOptions {
  sync: boolean;
  segmentBytes: number;
}

/**
 * One append-only log: segment files `<firstSeq>.seg` in its own directory, each a
 * header frame then one frame per group commit holding a batch of consecutive
 * entries. Appends are numbered in memory at once (so builders see the true head)
 * and become readable once their frame is durable.
 */
export class LogJournal implements Journal {
  private readonly segments: Segment[] = [];
  private file: AppendFile | null = null;
  private pending: Array<{ hash: string; data: string }> = [];
  private pendingFirstSeq = 0;
  /** Head including entries not yet durable (what the next builder sees). */
  private headSeq = 0;
  private headHash: string | null = null;
  /** Last entry that is durable and readable. */
  private durable = 0;

  constructor(
    readonly name: string,
    private readonly dir: string,
    private readonly logsDir: string,
    private readonly opts: SegmentOptions,
  ) {}

  get head(): LogHead {
    return { seq: this.headSeq, hash: this.headHash };
  }

  get durableSeq(): number {
    return this.durable;
  }

  /** Numbers the entry and queues it for the next group commit. */
  add(hash: string, data: string): LogEntry {
    const seq = this.headSeq + 1;
    if (this.pending.length === 0) this.pendingFirstSeq = seq;
    this.pending.push({ hash, data });
    this.headSeq = seq;
    this.headHash = hash;
    return { seq, hash, data };
  }

  async flush(): Promise<void> {
    if (this.pending.length === 0) return;
    const entries = this.pending;
    const firstSeq = this.pendingFirstSeq;
    this.pending = [];
    if (!this.file) await this.startSegment(firstSeq, true);
    else if (this.file.size >= this.opts.segmentBytes) await this.startSegment(firstSeq, false);
    const w = new Writer(64 * 1024);
    writeEntries(w, firstSeq, entries);
    const file = this.file!;
    const seg = this.segments[this.segments.length - 1]!;
    const offset = file.size;
    await file.append(encodeFrame([w.finish()]), this.opts.sync);
    const lastIndexed = seg.offsets[seg.offsets.length - 1];
    if (lastIndexed === undefined || offset - lastIndexed >= INDEX_EVERY_BYTES) {
      seg.seqs.push(firstSeq);
      seg.offsets.push(offset);
    }
    seg.size = file.size;
    this.durable = firstSeq + entries.length - 1;
  }

  private async startSegment(firstSeq: number, newLog: boolean): Promise<void> {
    if (newLog && this.segments.length === 0) {
      await fs.mkdir(this.dir, { recursive: true, mode: DIR_MODE });
      if (this.opts.sync) await fsyncDir(this.logsDir);
    }
    const path = join(this.dir, segmentName(firstSeq));
    const next = await AppendFile.create(
      path,
      encodeHeader(SEGMENT_MAGIC, { log: this.name, firstSeq }),
      this.opts.sync,
    );
    const old = this.file;
    this.file = next;
    if (old) await old.close();
    this.segments.push({ path, firstSeq, size: next.size, seqs: [], offsets: [] });
  }

  /** Durable entries with seq in [fromSeq, fromSeq + limit). */
  async read(fromSeq: number, limit: number): Promise<LogEntry[]> {
    const upTo = Math.min(this.durable, fromSeq + limit - 1);
    const out: LogEntry[] = [];
    if (fromSeq > upTo) return out;
    const first = lastIndexWhere(
      this.segments.map((x) => x.firstSeq),
      fromSeq,
    );
    for (let s = Math.max(0, first); s < this.segments.length; s++) {
      const seg = this.segments[s]!;
      if (seg.firstSeq > upTo) break;
      const p = lastIndexWhere(seg.seqs, Math.max(fromSeq, seg.firstSeq));
      const start = p < 0 ? seg.offsets[0] : seg.offsets[p];
      if (start === undefined) continue; // a segment with no entries yet
      const done = await readSegment(seg, start, fromSeq, upTo, out);
      if (done) break;
    }
    return out;
  }

  async close(): Promise<void> {
    await this.file?.close();
    this.file = null;
  }

  /** Rebuilds a log from its directory (index, head), cutting a torn tail of its newest segment. */
  static async recover(
    dir: string,
    logsDir: string,
    opts: SegmentOptions,
    report: MutableReport,
  ): Promise<LogJournal | null> {
    const files = (await fs.readdir(dir))
      .map((n) => SEGMENT_RE.exec(n))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => ({ firstSeq: Number(m[1]), path: join(dir, m[0]) }))
      .sort((a, b) => a.firstSeq - b.firstSeq);
    let log: LogJournal | null = null;
    let expectSeq = 1;
    for (const [i, f] of files.entries()) {
      const isLast = i === files.length - 1;
      const buf = await fs.readFile(f.path);
      const scan = scanFrames(buf);
      checkScanEnd(f.path, scan, buf.length, isLast, report);
      const [head, ...frames] = scan.frames;
      if (!head) {
        await fs.rm(f.path); // torn header: the segment never held an acknowledged entry
        if (opts.sync) await fsyncDir(dir);
        continue;
      }
      let name: string;
      try {
        const meta = decodeHeader(head.payload, SEGMENT_MAGIC);
        name = String(meta.log);
        if (meta.firstSeq !== f.firstSeq || logDirName(name) !== dir.slice(-32))
          throw new DecodeError('header does not match the file name');
      } catch (err) {
        throw corrupt(f.path, 0, (err as Error).message);
      }
      if (f.firstSeq !== expectSeq)
        throw corrupt(f.path, 0, `segment starts at entry ${f.firstSeq}, expected ${expectSeq}`);
      log ??= new LogJournal(name, dir, logsDir, opts);
      if (log.name !== name) throw corrupt(f.path, 0, `segment belongs to log ${name}, not ${log.name}`);
      const seg: Segment = { path: f.path, firstSeq: f.firstSeq, size: scan.validEnd, seqs: [], offsets: [] };
      for (const frame of frames) {
        let batch: { firstSeq: number; count: number };
        try {
          batch = peekEntries(frame.payload);
        } catch (err) {
          throw corrupt(f.path, frame.offset, (err as Error).message);
        }
        if (batch.firstSeq !== expectSeq || batch.count < 1) {
          throw corrupt(
            f.path,
            frame.offset,
            `entries ${batch.firstSeq}+${batch.count} do not follow entry ${expectSeq - 1}`,
          );
        }
        const lastIndexed = seg.offsets[seg.offsets.length - 1];
        if (lastIndexed === undefined || frame.offset - lastIndexed >= INDEX_EVERY_BYTES) {
          seg.seqs.push(batch.firstSeq);
          seg.offsets.push(frame.offset);
        }
        expectSeq += batch.count;
      }
      const last = frames[frames.length - 1];
      if (last) {
        try {
          const entries = readEntries(last.payload);
          log.headHash = entries[entries.length - 1]!.hash;
        } catch (err) {
          throw corrupt(f.path, last.offset, (err as Error).message);
        }
      }
      log.segments.push(seg);
      if (isLast) log.file = await AppendFile.open(f.path, scan.validEnd, opts.sync);
    }
    if (!log) return null;
    log.headSeq = log.durable = expectSeq - 1;
    report.logs[log.name] = log.headSeq;
    return log;
  }
}

/** Index of the last element <= target in an ascending array, or -1. */
function lastIndexWhere(sorted: number[], target: number): number {
  let lo = 0;
  let hi = sorted.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid]! <= target) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}

/** Reads frames of one segment from `start`, collecting entries in [fromSeq, upTo]; true when done. */
async function readSegment(
  seg: Segment,
  start: number,
  fromSeq: number,
  upTo: number,
  out: LogEntry[],
): Promise<boolean> {
  const fh = await fs.open(seg.path, 'r');
  try {
    let offset = start;
    const end = seg.size;
    while (offset < end) {
      const want = Math.min(end - offset, READ_CHUNK_BYTES);
      let buf = await readAt(fh, offset, want);
      let pos = 0;
      while (pos + FRAME_HEADER_BYTES <= buf.length) {
        const frameLen = FRAME_HEADER_BYTES + buf.readUInt32LE(pos);
        if (pos + frameLen > buf.length) {
          if (pos > 0) break; // read the rest of this frame with the next chunk
          buf = await readAt(fh, offset, Math.min(frameLen, end - offset));
        }
        const f = frameAt(buf, pos);
        if (f.kind === 'bad') throw corrupt(seg.path, offset + pos, f.reason);
        const payload = buf.subarray(f.payloadStart, f.end);
        const { firstSeq, count } = peekEntries(payload);
        if (firstSeq + count - 1 >= fromSeq) {
          for (const e of readEntries(payload)) {
            if (e.seq > upTo) return true;
            if (e.seq >= fromSeq) out.push(e);
          }
        }
        if (firstSeq + count - 1 >= upTo) return true;
        pos = f.end;
      }
      if (pos === 0) throw corrupt(seg.path, offset, 'frame runs past the durable end of the segment');
      offset += pos;
    }
    return false;
  } finally {
    await fh.close();
  }
}

async function readAt(fh: fs.FileHandle, position: number, length: number): Promise<Buffer> {
  const buf = Buffer.allocUnsafe(length);
  let got = 0;
  while (got < length) {
    const { bytesRead } = await fh.read(buf, got, length - got, position + got);
    if (bytesRead === 0) break;
    got += bytesRead;
  }
  return buf.subarray(0, got);
}
