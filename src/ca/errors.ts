import { BreakglassError, type ErrorCode } from '../errors';

/** Shorthand for the CA's coded errors; `details` never carries key material. */
export function caError(
  code: ErrorCode,
  message: string,
  details?: Record<string, unknown>,
): BreakglassError {
  return new BreakglassError(code, message, details ? { details } : {});
}

/** A CA_MALFORMED error naming what was being read. */
export function malformed(what: string, problem: string): BreakglassError {
  return caError('CA_MALFORMED', `${what}: ${problem}`, { field: what });
}
