import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { duration, formatDuration } from '../config';
import type { CompiledPolicy } from './compiled';
import { evaluate } from './evaluate';
import type { Inventory } from './inventory';
import type { PolicyProblem } from './problems';
import { permissionsOf } from './review';
import { PERMISSIONS, type AccessRequest, type Decision, type Subject } from './types';
import { readYamlSource } from './yaml-source';
import { issuesToProblems } from './zod-problems';

/**
 * Policy tests, like OPA's: a YAML table of requests and the decisions expected,
 * so users can check their policies in their own CI (`breakglass policy test --cases`).
 */

const DEFAULT_CASE_TIME = Date.UTC(2026, 0, 1);
const effectSchema = z.enum(['allow', 'deny', 'needs_approval', 'emergency_allowed']);
const expectSchema = z
  .strictObject({
    effect: effectSchema.optional(),
    matched_roles: z.array(z.string()).optional(),
    approvals: z.number().int().min(0).optional(),
    ttl: duration().optional(),
    max_ttl: duration().optional(),
    reason_contains: z
      .preprocess((v) => (typeof v === 'string' ? [v] : v), z.array(z.string().min(1)))
      .optional(),
    constraints: z.record(z.string(), z.unknown()).optional(),
    permissions: z.array(z.enum(PERMISSIONS)).optional(),
  })
  .refine((e) => Object.keys(e).length > 0, {
    message:
      'nothing expected (accepted: effect, matched_roles, approvals, ttl, max_ttl, reason_contains, constraints, permissions)',
  });

const caseSchema = z.strictObject({
  name: z.string().min(1),
  user: z.string().min(1),
  sub: z.string().min(1).optional(),
  groups: z.array(z.string()).default([]),
  amr: z.array(z.string()).default([]),
  claims: z.record(z.string(), z.unknown()).default({}),
  host: z.string().min(1).optional(),
  selector: z.record(z.string(), z.string()).optional(),
  login: z.string().min(1).optional(),
  ttl: duration().optional(),
  emergency: z.boolean().default(false),
  reason: z.string().optional(),
  ticket: z.string().optional(),
  at: z.iso
    .datetime({ offset: true })
    .transform((s) => Date.parse(s))
    .optional(),
  expect: expectSchema,
});

const casesFileSchema = z.strictObject({
  policies: z.string().min(1).optional(),
  cases: z.array(caseSchema).min(1),
});

export type PolicyCase = z.output<typeof caseSchema>;
export interface CasesFile {
  readonly file: string;
  /** `policies:` from the file (relative to it), if given. */
  readonly policies?: string;
  readonly cases: readonly PolicyCase[];
}

export type CasesRead = { ok: true; cases: CasesFile } | { ok: false; problems: PolicyProblem[] };

export async function readCasesFile(file: string, maxBytes: number, maxDepth: number): Promise<CasesRead> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? String(err);
    return {
      ok: false,
      problems: [
        {
          file,
          line: 0,
          col: 0,
          code: 'POLICY_CASES_INVALID',
          message: `cannot read (${code})`,
          severity: 'error',
        },
      ],
    };
  }
  if (bytes.length > maxBytes) {
    return {
      ok: false,
      problems: [
        {
          file,
          line: 0,
          col: 0,
          code: 'POLICY_CASES_INVALID',
          message: `larger than ${maxBytes} bytes`,
          severity: 'error',
        },
      ],
    };
  }
  const r = readYamlSource(file, bytes, maxDepth);
  if (!r.ok) return r;
  const parsed = casesFileSchema.safeParse(r.source.value);
  if (!parsed.success) {
    return {
      ok: false,
      problems: issuesToProblems(r.source, parsed.error.issues, casesFileSchema).map((p) => ({
        ...p,
        code: 'POLICY_CASES_INVALID',
      })),
    };
  }
  const problems: PolicyProblem[] = [];
  parsed.data.cases.forEach((c, i) => {
    const needsRequest =
      c.expect.effect !== undefined || c.expect.constraints !== undefined || c.expect.ttl !== undefined;
    if (needsRequest && (c.login === undefined || (c.host === undefined) === (c.selector === undefined))) {
      const { line, col } = r.source.locate(['cases', i]);
      problems.push({
        file,
        line,
        col,
        code: 'POLICY_CASES_INVALID',
        message: `case ${JSON.stringify(c.name)} needs login and one of host, selector`,
        severity: 'error',
      });
    }
  });
  if (problems.length > 0) return { ok: false, problems };
  return {
    ok: true,
    cases: {
      file,
      ...(parsed.data.policies ? { policies: parsed.data.policies } : {}),
      cases: parsed.data.cases,
    },
  };
}

export interface CaseResult {
  readonly name: string;
  readonly passed: boolean;
  /** One line per unmet expectation: `what: expected X, got Y`. */
  readonly failures: readonly string[];
  readonly decision?: Decision;
}

export function caseSubject(c: PolicyCase): Subject {
  return { sub: c.sub ?? c.user, email: c.user, groups: c.groups, amr: c.amr, claims: c.claims };
}

export function caseRequest(c: PolicyCase): AccessRequest {
  return {
    ...(c.host !== undefined ? { host: c.host } : {}),
    ...(c.selector !== undefined ? { selector: c.selector } : {}),
    login: c.login ?? '',
    ...(c.ttl !== undefined ? { ttlMs: c.ttl } : {}),
    ...(c.reason !== undefined ? { reason: c.reason } : {}),
    ...(c.ticket !== undefined ? { ticket: c.ticket } : {}),
    emergency: c.emergency,
  };
}

export function runPolicyCases(
  policy: CompiledPolicy,
  inventory: Inventory,
  cases: readonly PolicyCase[],
): CaseResult[] {
  return cases.map((c) => {
    const now = c.at ?? DEFAULT_CASE_TIME;
    const subject = caseSubject(c);
    const failures: string[] = [];
    const e = c.expect;
    const check = (what: string, expected: unknown, actual: unknown) => {
      if (JSON.stringify(expected) !== JSON.stringify(actual))
        failures.push(`${what}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
    };
    let decision: Decision | undefined;
    if (c.login !== undefined) {
      decision = evaluate(policy, subject, caseRequest(c), inventory, now);
      if (e.effect !== undefined) check('effect', e.effect, decision.effect);
      if (e.matched_roles !== undefined)
        check('matched_roles', [...e.matched_roles].sort(), decision.matchedRoles);
      if (e.approvals !== undefined) check('approvals', e.approvals, decision.constraints.approvals.required);
      if (e.ttl !== undefined)
        check('ttl', formatDuration(e.ttl), formatDuration(decision.constraints.ttlMs));
      if (e.max_ttl !== undefined)
        check('max_ttl', formatDuration(e.max_ttl), formatDuration(decision.constraints.maxTtlMs));
      for (const text of e.reason_contains ?? []) {
        if (!decision.reasons.some((r) => r.message.includes(text)))
          failures.push(`reasons: expected one containing ${JSON.stringify(text)}`);
      }
      if (e.constraints !== undefined)
        compareSubset('constraints', e.constraints, decision.constraints, failures);
    }
    if (e.permissions !== undefined) {
      const have = permissionsOf(policy, subject, now);
      const missing = e.permissions.filter((p) => !have.includes(p));
      if (missing.length > 0)
        failures.push(`permissions: expected ${JSON.stringify(e.permissions)}, got ${JSON.stringify(have)}`);
    }
    return { name: c.name, passed: failures.length === 0, failures, ...(decision ? { decision } : {}) };
  });
}

/** Every key given in `expected` must equal the same key of `actual` (nested objects compared the same way). */
function compareSubset(path: string, expected: unknown, actual: unknown, failures: string[]): void {
  if (expected !== null && typeof expected === 'object' && !Array.isArray(expected)) {
    if (actual === null || typeof actual !== 'object' || Array.isArray(actual)) {
      failures.push(`${path}: expected an object, got ${JSON.stringify(actual)}`);
      return;
    }
    for (const [k, v] of Object.entries(expected)) {
      if (!Object.prototype.hasOwnProperty.call(actual, k) && v !== undefined) {
        failures.push(`${path}.${k}: expected ${JSON.stringify(v)}, got nothing`);
        continue;
      }
      compareSubset(`${path}.${k}`, v, (actual as Record<string, unknown>)[k], failures);
    }
    return;
  }
  if (JSON.stringify(expected) !== JSON.stringify(actual))
    failures.push(`${path}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
}
