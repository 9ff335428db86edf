/** One row of the error table: how the error is rendered and documented. */
export interface CodeSpec {
  /** HTTP status used when the error reaches the web layer. */
  readonly status: number;
  /** Whether the message is safe to show to the caller. */
  readonly expose: boolean;
  /** One sentence for docs/errors.md: what it means and what to do. */
  readonly doc: string;
}

export function defineCodes<const T extends Record<string, CodeSpec>>(table: T): T {
  return table;
}
