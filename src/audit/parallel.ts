import { closeSync, existsSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { openLog, verifyFile, wholeLineChunks } from './file';
import { createVerifier, type VerifyOptions, type VerifyResult } from './verify';
import type { CheckRequest, CheckResponse } from './verify-worker';

/** Bytes of whole lines sent to a worker at a time (about 600 entries). */
const BATCH_BYTES = 256 << 10;
const NL = 0x0a;
/** Below this size starting threads costs more than it saves. */
const MIN_PARALLEL_BYTES = 4 << 20;

/**
 * Verifies a log file with `threads` worker threads checking lines on their own
 * (parse, canonical form, hash) while this thread places them in the chain, in order.
 * The verdict is the same as `verifyFile`'s (failing lines are checked again here for
 * the message). Falls back to `verifyFile` with one thread, for files smaller than
 * `minBytes`, or when the worker script is not built (running from TypeScript sources).
 */
export async function verifyFileParallel(
  path: string,
  options: VerifyOptions = {},
  threads = defaultThreads(),
  minBytes = MIN_PARALLEL_BYTES,
): Promise<VerifyResult> {
  const script = join(__dirname, 'verify-worker.js');
  if (threads < 2 || !existsSync(script) || sizeOf(path) < minBytes) return verifyFile(path, options);
  const fd = openLog(path);
  const workers = Array.from({ length: threads }, () => new Worker(script));
  const waiting = new Map<number, (res: CheckResponse) => void>();
  let failure: Error | null = null;
  for (const w of workers) {
    w.on('message', (res: CheckResponse) => waiting.get(res.id)?.(res));
    w.on('error', (err) => (failure = err));
  }
  const verifier = createVerifier(options);
  const inflight: Array<{ buf: Buffer; start: number; result: Promise<CheckResponse> }> = [];
  let nextId = 0;
  /** Sends the whole lines buf[start, end) (a copy: the worker gets its own bytes). */
  const send = (buf: Buffer, start: number, end: number) => {
    const id = nextId++;
    const result = new Promise<CheckResponse>((resolve) => waiting.set(id, resolve));
    const bytes = new Uint8Array(buf.subarray(start, end));
    workers[id % workers.length]!.postMessage({ id, bytes } satisfies CheckRequest, [bytes.buffer]);
    inflight.push({ buf, start, result });
  };
  const settleOne = async () => {
    const { buf, start, result } = inflight.shift()!;
    const res = await result;
    waiting.delete(res.id);
    let s = start;
    for (let i = 0; i < res.ends.length; i++) {
      const e = start + res.ends[i]!;
      if (res.ok[i] === 1) {
        verifier.pushChecked(buf, s, e, {
          seq: res.seqs[i]!,
          hash: res.hashes.slice(i * 64, i * 64 + 64),
          prev: res.prevs.slice(i * 64, i * 64 + 64),
        });
      } else {
        verifier.pushBytes(buf, s, e);
      }
      s = e + 1;
    }
  };
  try {
    let tail: { buf: Buffer; start: number } | null = null;
    for (const chunk of wholeLineChunks(fd)) {
      const whole = chunk[chunk.length - 1] === NL ? chunk.length : chunk.lastIndexOf(NL) + 1;
      if (whole < chunk.length) tail = { buf: chunk, start: whole }; // the unterminated last line
      for (let start = 0; start < whole;) {
        const cut = start + BATCH_BYTES >= whole ? whole : chunk.lastIndexOf(NL, start + BATCH_BYTES) + 1;
        const end = cut > start ? cut : chunk.indexOf(NL, start) + 1; // a line longer than a batch
        send(chunk, start, end);
        start = end;
        while (inflight.length > threads * 2) await settleOne();
      }
      if (failure) throw failure;
    }
    while (inflight.length > 0) await settleOne();
    if (failure) throw failure;
    if (tail) verifier.pushBytes(tail.buf, tail.start, tail.buf.length, true);
    return verifier.end();
  } finally {
    closeSync(fd);
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

function sizeOf(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0; // verifyFile names the problem
  }
}

/**
 * Workers beside the main thread, which places lines in the chain: one core is left to
 * it (below 2, verifyFileParallel verifies on the calling thread alone).
 */
export function defaultThreads(): number {
  return Math.min(4, availableParallelism() - 1);
}
