import { z } from 'zod';

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const DURATION_RE = /^(\d{1,9})(ms|s|m|h|d)$/;

/** Parses `90s`, `15m`, `12h`, `7d`, `250ms` into milliseconds; returns null when malformed. */
export function parseDuration(text: string): number | null {
  const m = DURATION_RE.exec(text.trim());
  if (!m) return null;
  return Number(m[1]) * (UNITS[m[2]!] ?? NaN);
}

/** Formats milliseconds back into the largest exact unit (`3600000` → `1h`). */
export function formatDuration(ms: number): string {
  for (const unit of ['d', 'h', 'm', 's'] as const) {
    const size = UNITS[unit]!;
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}

/**
 * A duration given as `<integer><unit>` (ms, s, m, h, d), parsed to milliseconds.
 * `min`/`max` bound the parsed value.
 */
export function duration(opts: { min?: number; max?: number } = {}) {
  return z
    .string()
    .regex(DURATION_RE, {
      message: 'not a duration (accepted: an integer with a unit ms, s, m, h or d, e.g. 90s, 15m, 12h)',
    })
    .transform((text, ctx) => {
      const ms = parseDuration(text)!;
      if (opts.min !== undefined && ms < opts.min) {
        ctx.addIssue({
          code: 'custom',
          message: `too short (accepted: at least ${formatDuration(opts.min)})`,
        });
        return z.NEVER;
      }
      if (opts.max !== undefined && ms > opts.max) {
        ctx.addIssue({ code: 'custom', message: `too long (accepted: at most ${formatDuration(opts.max)})` });
        return z.NEVER;
      }
      return ms;
    });
}

/** A string that must never be logged; the logger redacts its value everywhere. */
export function secret() {
  return z.string().meta({ secret: true });
}

export const port = () => z.number().int().min(0).max(65535);
