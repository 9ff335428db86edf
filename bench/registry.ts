import { benchmark as audit } from './audit';
import { benchmark as ca } from './ca';
import type { Benchmark } from './harness';
import { benchmark as issue } from './issue';
import { benchmark as policy } from './policy';
import { benchmark as proxy } from './proxy';
import { benchmark as store } from './store';

/** Every benchmark, by the name `npm run bench -- NAME` takes. Each lives in bench/<name>.ts. */
export const BENCHMARKS: Record<string, Benchmark> = { store, ca, policy, audit, issue, proxy };
