import { escapeHtml } from '../pages';

/** HTML that is already safe to send (built by `html` or deliberately by `raw`). */
export class SafeHtml {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

function render(value: unknown): string {
  if (value === null || value === undefined || value === false) return '';
  if (value instanceof SafeHtml) return value.value;
  if (Array.isArray(value)) return value.map(render).join('');
  return escapeHtml(String(value));
}

/**
 * Template tag for page fragments: every interpolated value is escaped unless it is
 * already SafeHtml; arrays are concatenated; null, undefined and false render nothing.
 */
export function html(strings: TemplateStringsArray, ...values: unknown[]): SafeHtml {
  let out = strings[0]!;
  for (let i = 0; i < values.length; i++) out += render(values[i]) + strings[i + 1]!;
  return new SafeHtml(out);
}

/** Marks trusted markup as safe (never use it with user input). */
export const raw = (markup: string): SafeHtml => new SafeHtml(markup);

/** Joins fragments. */
export const join = (parts: readonly SafeHtml[], sep = ''): SafeHtml =>
  new SafeHtml(parts.map((p) => p.value).join(sep));
