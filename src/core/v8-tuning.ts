import { setFlagsFromString } from 'node:v8';

/**
 * V8 settings for a Breakglass process, applied first thing by `bin/breakglass.js` (the
 * gateway benchmark starts its gateway process with them on the command line), before
 * the heap has grown enough for any collection to have started: changing them later is
 * unsafe.
 *
 * Garbage collection on the calling thread, without V8's background helpers (what
 * `--single-threaded-gc` does, less parallel marking, which cannot be switched at run
 * time). The gateway's data path allocates buffers at line rate. That starts a full
 * collection every few tens of megabytes relayed, and on a heap this small the helper
 * threads cost more CPU than they save. Measured with `npm run bench -- proxy` on
 * 2 cores: 0.53 → 0.42 gateway CPU-seconds per 100 MB, throughput 0.68× → 0.77× of
 * OpenSSH direct, keystroke latency unchanged.
 */
export const V8_FLAGS: readonly string[] = [
  '--no-concurrent-marking',
  '--no-concurrent-sweeping',
  '--no-concurrent-array-buffer-sweeping',
  '--no-parallel-scavenge',
  '--no-parallel-compaction',
  '--no-parallel-pointer-update',
];

export function tuneV8(): void {
  for (const flag of V8_FLAGS) setFlagsFromString(flag);
}
