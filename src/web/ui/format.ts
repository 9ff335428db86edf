import { html, type SafeHtml } from './html';

/** A span of time for people: `3h 59m`, `12m 5s`, `45s` (rounded down; 0 and less: `0s`). */
export function formatSpan(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const d = Math.floor(total / 86_400);
  const h = Math.floor((total % 86_400) / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  if (d > 0) return h > 0 ? `${d}d ${h}h` : `${d}d`;
  if (h > 0) return m > 0 ? `${h}h ${m}m` : `${h}h`;
  if (m > 0) return s > 0 && m < 10 ? `${m}m ${s}s` : `${m}m`;
  return `${s}s`;
}

/** `2026-01-01 12:00 UTC` (seconds with `seconds: true`); the page script shows it in local time. */
export function formatUtc(time: number | string, opts: { seconds?: boolean } = {}): string {
  const iso = new Date(time).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, opts.seconds ? 19 : 16)} UTC`;
}

/** A `<time>` element the page script turns into local time. */
export function timeEl(time: number | string | null | undefined, opts: { seconds?: boolean } = {}): SafeHtml {
  if (time === null || time === undefined) return html`<span class="muted">—</span>`;
  const iso = new Date(time).toISOString();
  return html`<time datetime="${iso}" data-local${opts.seconds ? html`="seconds"` : ''}
    >${formatUtc(iso, opts)}</time
  >`;
}

/** Time left until `end`, kept current by the page script (`data-countdown`). */
export function countdownEl(end: number | string, now: number): SafeHtml {
  const endMs = new Date(end).getTime();
  const left = endMs - now;
  return html`<time class="countdown" datetime="${new Date(endMs).toISOString()}" data-countdown
    >${left > 0 ? `${formatSpan(left)} left` : 'ended'}</time
  >`;
}

/** Seconds into a recording as `m:ss` or `h:mm:ss`. */
export function formatOffset(seconds: number): string {
  const t = Math.max(0, Math.floor(seconds));
  const h = Math.floor(t / 3600);
  const m = Math.floor((t % 3600) / 60);
  const s = String(t % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}

/** Durations offered in the request form, up to `maxMs`. */
export function durationChoices(maxMs: number): Array<{ value: string; label: string }> {
  const steps: Array<[string, number]> = [
    ['15m', 900_000],
    ['30m', 1_800_000],
    ['1h', 3_600_000],
    ['2h', 7_200_000],
    ['4h', 14_400_000],
    ['8h', 28_800_000],
    ['12h', 43_200_000],
    ['1d', 86_400_000],
    ['2d', 172_800_000],
    ['7d', 604_800_000],
  ];
  return steps.filter(([, ms]) => ms <= maxMs).map(([value, ms]) => ({ value, label: formatSpan(ms) }));
}
