import { parentPort } from 'node:worker_threads';
import { CHECKPOINT_TYPE } from './events';
import { LineChecker } from './line-check';

/** Whole lines to check on their own (see `LineChecker`): UTF-8 bytes, each line ending with a newline. */
export interface CheckRequest {
  id: number;
  bytes: Uint8Array;
}

/**
 * Per line i (in order): `ends[i]` is the offset of its newline in the request's bytes;
 * `ok[i]` is 1 when the line passed and is not a checkpoint entry; then `seqs[i]` and
 * the i-th 64 characters of `hashes`/`prevs` are its seq, hash and prev. Lines with
 * `ok[i] = 0` are checked again (with messages) by the caller.
 */
export interface CheckResponse {
  id: number;
  ends: Float64Array;
  ok: Uint8Array;
  seqs: Float64Array;
  hashes: string;
  prevs: string;
}

const PAD = ' '.repeat(64);

export function checkBatch(req: CheckRequest, checker = new LineChecker()): CheckResponse {
  const buf = Buffer.from(req.bytes.buffer, req.bytes.byteOffset, req.bytes.length);
  const ends: number[] = [];
  for (let nl = buf.indexOf(0x0a); nl >= 0; nl = buf.indexOf(0x0a, nl + 1)) ends.push(nl);
  const n = ends.length;
  const ok = new Uint8Array(n);
  const seqs = new Float64Array(n);
  const hashes: string[] = new Array<string>(n);
  const prevs: string[] = new Array<string>(n);
  let start = 0;
  for (let i = 0; i < n; i++) {
    const c = checker.check(buf, start, ends[i]!);
    start = ends[i]! + 1;
    if (c.ok && c.entry.type !== CHECKPOINT_TYPE) {
      ok[i] = 1;
      seqs[i] = c.entry.seq;
      hashes[i] = c.entry.hash;
      prevs[i] = c.entry.prev;
    } else {
      hashes[i] = PAD;
      prevs[i] = PAD;
    }
  }
  return {
    id: req.id,
    ends: Float64Array.from(ends),
    ok,
    seqs,
    hashes: hashes.join(''),
    prevs: prevs.join(''),
  };
}

if (parentPort) {
  const port = parentPort;
  const checker = new LineChecker();
  port.on('message', (req: CheckRequest) => {
    const res = checkBatch(req, checker);
    port.postMessage(res, [
      res.ends.buffer as ArrayBuffer,
      res.ok.buffer as ArrayBuffer,
      res.seqs.buffer as ArrayBuffer,
    ]);
  });
}
