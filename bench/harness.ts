/**
 * Benchmark harness. Each benchmark measures Breakglass and a baseline in the same
 * run and prints both with their ratio, so figures from a noisy machine can still
 * be compared. Benchmarks are registered in bench/registry.ts.
 */
export interface BenchContext {
  /** Arguments after the benchmark's name (e.g. `--entries 100000`). */
  args: string[];
  /** Prints one measured figure. */
  figure(label: string, value: number, unit: string): void;
  /** Prints `label: ratio` of ours to the baseline, with the target when there is one. */
  ratio(label: string, ours: number, baseline: number, target?: { min?: number; max?: number }): void;
  /** Free-form line (setup details, versions). */
  note(text: string): void;
}

export type Benchmark = (ctx: BenchContext) => Promise<void>;

/** Reads `--name value` from the benchmark's arguments. */
export function argValue(args: string[], name: string): string | undefined {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
}

export function argNumber(args: string[], name: string, fallback: number): number {
  const raw = argValue(args, name);
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new TypeError(`--${name} must be a positive number, got ${raw}`);
  return n;
}

/** Runs `fn` repeatedly for about `ms` milliseconds (bounded by `maxIterations`); returns operations per second. */
export async function opsPerSecond(
  fn: () => Promise<unknown> | unknown,
  ms: number,
  maxIterations = 10_000_000,
): Promise<{ ops: number; perSecond: number }> {
  const start = process.hrtime.bigint();
  const deadline = start + BigInt(ms) * 1_000_000n;
  let ops = 0;
  while (ops < maxIterations) {
    await fn();
    ops++;
    if ((ops & 15) === 0 && process.hrtime.bigint() > deadline) break;
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  return { ops, perSecond: ops / seconds };
}

/** Percentile (0–100) of a list of numbers (nearest rank). */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

export function consoleContext(name: string, args: string[]): BenchContext {
  const fmt = (n: number) =>
    Math.abs(n) >= 100 ? n.toFixed(0) : Math.abs(n) >= 1 ? n.toFixed(2) : n.toPrecision(3);
  return {
    args,
    figure: (label, value, unit) => console.log(`[${name}] ${label}: ${fmt(value)} ${unit}`),
    ratio: (label, ours, baseline, target) => {
      const r = ours / baseline;
      const goal = target
        ? ` (target ${target.min !== undefined ? `>= ${target.min}` : ''}${target.max !== undefined ? `<= ${target.max}` : ''}: ${(target.min === undefined || r >= target.min) && (target.max === undefined || r <= target.max) ? 'met' : 'NOT met'})`
        : '';
      console.log(`[${name}] ratio ${label}: ${r.toFixed(3)}x${goal}`);
    },
    note: (text) => console.log(`[${name}] ${text}`),
  };
}
