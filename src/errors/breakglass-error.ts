import { ERROR_CODES, type ErrorCode } from './codes';

export interface ErrorOptions {
  /** Structured, non-secret details (e.g. the offending field) shown with exposed errors. */
  details?: Record<string, unknown>;
  cause?: unknown;
}

/**
 * Base of every error Breakglass raises on purpose. `code` comes from the one table
 * in `codes/`; `status` and `expose` follow from it. Programmer and configuration
 * bugs at start-up throw `TypeError` instead.
 */
export class BreakglassError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly expose: boolean;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, options: ErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    const spec = ERROR_CODES[code];
    if (!spec) throw new TypeError(`unknown error code ${String(code)}`);
    this.name = new.target.name;
    this.code = code;
    this.status = spec.status;
    this.expose = spec.expose;
    this.details = options.details;
  }

  /** What may be shown to a caller: the message when exposed, a generic text otherwise. */
  toPublic(): { code: ErrorCode; message: string; details?: Record<string, unknown> } {
    if (!this.expose) return { code: this.code, message: 'internal error' };
    return this.details
      ? { code: this.code, message: this.message, details: this.details }
      : { code: this.code, message: this.message };
  }
}

export function isBreakglassError(err: unknown): err is BreakglassError {
  return err instanceof BreakglassError;
}

/** Whether `err` carries the given code (works across module copies in tests). */
export function hasCode(err: unknown, code: ErrorCode): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === code;
}
