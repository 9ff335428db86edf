import { z } from 'zod';
import { BreakglassError } from '../../errors';

/** Parses one part of a request (body, params, query) or throws BAD_REQUEST naming every problem. */
export function parseInput<T>(schema: z.ZodType<T>, value: unknown, where: 'body' | 'params' | 'query'): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const problems = result.error.issues.slice(0, 20).map((issue) => describe(issue, where));
  throw new BreakglassError('BAD_REQUEST', problems.map((p) => `${p.path}: ${p.message}`).join('; '), {
    details: { problems },
  });
}

function describe(issue: z.core.$ZodIssue, where: string): { path: string; message: string } {
  const path = [where, ...issue.path.map(String)].join('.');
  switch (issue.code) {
    case 'unrecognized_keys':
      return {
        path,
        message: `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => JSON.stringify(k.slice(0, 64))).join(', ')} (remove ${issue.keys.length > 1 ? 'them' : 'it'})`,
      };
    case 'invalid_type':
      return {
        path,
        message: `expected ${issue.expected}${issue.input === undefined ? ', got nothing' : ''}`,
      };
    case 'too_small':
      return {
        path,
        message: `too small (accepted: ${issue.inclusive === false ? '>' : '>='} ${String(issue.minimum)}${issue.origin === 'string' ? ' characters' : ''})`,
      };
    case 'too_big':
      return {
        path,
        message: `too large (accepted: ${issue.inclusive === false ? '<' : '<='} ${String(issue.maximum)}${issue.origin === 'string' ? ' characters' : ''})`,
      };
    case 'invalid_format':
      return {
        path,
        message: `malformed (accepted: ${issue.format === 'regex' ? `text matching ${(issue as { pattern?: string }).pattern}` : issue.format})`,
      };
    case 'invalid_value':
      return {
        path,
        message: `not an accepted value (accepted: ${issue.values.map((v) => JSON.stringify(v)).join(', ')})`,
      };
    default:
      return { path, message: issue.message };
  }
}
