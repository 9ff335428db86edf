import { parentPort } from 'node:worker_threads';
import { CHECKPOINT_TYPE } from './events';
import { checkLine } from './line-check';

/** A batch of lines to check on their own (see `checkLine`). */
export interface CheckRequest {
  id: number;
  lines: string[];
}

/**
 * Per line: `ok[i]` is 1 when the line passed and is not a checkpoint entry; then
 * `seqs[i]` and the i-th 64 characters of `hashes`/`prevs` are its seq, hash and prev.
 * Lines with `ok[i] = 0` are checked again (with messages) by the caller.
 */
export interface CheckResponse {
  id: number;
  ok: Uint8Array;
  seqs: Float64Array;
  hashes: string;
  prevs: string;
}

const PAD = ' '.repeat(64);

export function checkBatch(req: CheckRequest): CheckResponse {
  const n = req.lines.length;
  const ok = new Uint8Array(n);
  const seqs = new Float64Array(n);
  const hashes: string[] = new Array<string>(n);
  const prevs: string[] = new Array<string>(n);
  for (let i = 0; i < n; i++) {
    const c = checkLine(req.lines[i]!);
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
  return { id: req.id, ok, seqs, hashes: hashes.join(''), prevs: prevs.join('') };
}

if (parentPort) {
  const port = parentPort;
  port.on('message', (req: CheckRequest) => {
    const res = checkBatch(req);
    port.postMessage(res, [res.ok.buffer as ArrayBuffer, res.seqs.buffer as ArrayBuffer]);
  });
}
