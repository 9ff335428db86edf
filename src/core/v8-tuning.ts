import { setFlagsFromString } from 'node:v8';

/**
 * V8 settings for a Breakglass process, applied first thing by `bin/breakglass.js` (the
 * gateway benchmark starts its gateway process with them on the command line), before the heap has grown enough for any
 * collection to have started: changing them later is unsafe.
 *
 * Concurrent marking off: the gateway's data path allocates buffers at line rate, which
 * starts a full collection every few tens of megabytes relayed; V8's background marking
 * threads then cost about a fifth of the gateway's CPU per byte streamed (measured with
 * `npm run bench -- proxy`: 0.53 → 0.43 CPU-seconds per 100 MB), for no shorter pauses on
 * a heap this small. Marking still runs incrementally on the main thread.
 */
export const V8_FLAGS: readonly string[] = ['--no-concurrent-marking'];

export function tuneV8(): void {
  for (const flag of V8_FLAGS) setFlagsFromString(flag);
}
