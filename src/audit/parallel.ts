import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { BreakglassError } from '../errors';
import { verifyFile } from './file';
import { createVerifier, type VerifyOptions, type VerifyResult } from './verify';
import type { CheckRequest, CheckResponse } from './verify-worker';

const BATCH = 4096;
const CHUNK = 1 << 20;
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
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    throw new BreakglassError(
      'AUDIT_FILE_UNREADABLE',
      `audit log ${path}: cannot read (${(err as NodeJS.ErrnoException).code ?? String(err)})`,
      { cause: err },
    );
  }
  const workers = Array.from({ length: threads }, () => new Worker(script));
  const waiting = new Map<number, (res: CheckResponse) => void>();
  let failure: Error | null = null;
  for (const w of workers) {
    w.on('message', (res: CheckResponse) => waiting.get(res.id)?.(res));
    w.on('error', (err) => (failure = err));
  }
  const verifier = createVerifier(options);
  const inflight: Array<{ lines: string[]; result: Promise<CheckResponse> }> = [];
  let nextId = 0;
  const send = (lines: string[]) => {
    const id = nextId++;
    const result = new Promise<CheckResponse>((resolve) => waiting.set(id, resolve));
    workers[id % workers.length]!.postMessage({ id, lines } satisfies CheckRequest);
    inflight.push({ lines, result });
  };
  const settleOne = async () => {
    const { lines, result } = inflight.shift()!;
    const res = await result;
    waiting.delete(res.id);
    for (let i = 0; i < lines.length; i++) {
      if (res.ok[i] === 1) {
        verifier.pushChecked(lines[i]!, {
          seq: res.seqs[i]!,
          hash: res.hashes.slice(i * 64, i * 64 + 64),
          prev: res.prevs.slice(i * 64, i * 64 + 64),
        });
      } else {
        verifier.push(lines[i]!);
      }
    }
  };
  try {
    const buf = Buffer.allocUnsafe(CHUNK);
    let carry: Buffer | null = null;
    let batch: string[] = [];
    for (;;) {
      const n = readSync(fd, buf, 0, CHUNK, null);
      if (n === 0) break;
      let chunk = buf.subarray(0, n);
      if (carry) {
        chunk = Buffer.concat([carry, chunk]);
        carry = null;
      }
      let start = 0;
      for (let nl = chunk.indexOf(0x0a, start); nl >= 0; nl = chunk.indexOf(0x0a, start)) {
        batch.push(chunk.toString('utf8', start, nl));
        start = nl + 1;
        if (batch.length === BATCH) {
          send(batch);
          batch = [];
          while (inflight.length > threads * 2) await settleOne();
        }
      }
      if (start < chunk.length) carry = Buffer.from(chunk.subarray(start));
      if (failure) throw failure;
    }
    if (batch.length > 0) send(batch);
    while (inflight.length > 0) await settleOne();
    if (failure) throw failure;
    if (carry) verifier.push(carry.toString('utf8'), true);
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

/** Workers beside the main thread, which places lines in the chain: one core is left to it. */
function defaultThreads(): number {
  return Math.min(4, availableParallelism() - 1);
}
