import type { Benchmark } from './harness';

/** Every benchmark, by the name `npm run bench -- NAME` takes. Each lives in bench/<name>.ts. */
export const BENCHMARKS: Record<string, () => Promise<Benchmark>> = {};
