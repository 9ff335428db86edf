import { basename } from 'node:path';
import type { CompiledDeny, CompiledRole, HostSelector, SubjectMatcher } from './compiled';
import { parseCidr } from './cidr';
import type { Inventory } from './inventory';
import type { PolicyLimits } from './limits';
import { parseLogin, type LoginTemplate } from './logins';
import { compilePattern, PatternError, type Pattern } from './patterns';
import type { PolicyProblem } from './problems';
import type { DenyDoc, HostSelectorDoc, RoleDoc, SubjectMatcherDoc } from './schema';
import type { YamlSource } from './yaml-source';

/** Compilation of one role or deny rule: patterns, logins, references, semantic checks. */

export type Path = readonly PropertyKey[];

export interface Entry<D> {
  readonly source: YamlSource;
  readonly path: Path;
  readonly doc: D;
}

export interface Ctx {
  readonly limits: PolicyLimits;
  readonly inventory: Inventory;
  at(
    source: YamlSource,
    path: Path,
    code: PolicyProblem['code'],
    message: string,
    severity?: PolicyProblem['severity'],
    key?: boolean,
  ): void;
}

function compilePatterns(
  e: Entry<unknown>,
  path: Path,
  sources: readonly string[],
  ctx: Ctx,
  ignoreCase = false,
): Pattern[] {
  const out: Pattern[] = [];
  sources.forEach((s, i) => {
    try {
      out.push(
        compilePattern(s, {
          maxRegexLength: ctx.limits.maxRegexLength,
          maxInput: ctx.limits.maxInputLength,
          ignoreCase,
        }),
      );
    } catch (err) {
      if (!(err instanceof PatternError)) throw err;
      ctx.at(e.source, [...path, i], err.code, err.message);
    }
  });
  return out;
}

/**
 * The engine's shared copy of a string. Keys read from YAML are slices of the file
 * text; used as property keys in every evaluation (`host.labels[key]`), a shared copy
 * spares a string-table lookup per access (about 4x faster host matching).
 */
const intern = (s: string): string => Object.keys({ [s]: 0 })[0]!;

function compileOne(e: Entry<unknown>, path: Path, source: string, ctx: Ctx): Pattern | undefined {
  try {
    return compilePattern(source, {
      maxRegexLength: ctx.limits.maxRegexLength,
      maxInput: ctx.limits.maxInputLength,
    });
  } catch (err) {
    if (!(err instanceof PatternError)) throw err;
    ctx.at(e.source, path, err.code, err.message);
    return undefined;
  }
}

function compileSubjects(e: Entry<{ subjects: SubjectMatcherDoc[] }>, ctx: Ctx): SubjectMatcher[] {
  return e.doc.subjects.map((m, i) => {
    const base = [...e.path, 'subjects', i];
    return {
      ...(m.groups ? { groups: compilePatterns(e, [...base, 'groups'], m.groups, ctx) } : {}),
      ...(m.emails ? { emails: compilePatterns(e, [...base, 'emails'], m.emails, ctx, true) } : {}),
      ...(m.claims
        ? {
            claims: Object.entries(m.claims).map(([name, ps]) => ({
              name: intern(name),
              patterns: compilePatterns(e, [...base, 'claims', name], ps, ctx),
            })),
          }
        : {}),
    };
  });
}

function compileHosts(e: Entry<unknown>, docs: readonly HostSelectorDoc[], ctx: Ctx): HostSelector[] {
  return docs.map((s, i) => {
    const base = [...e.path, 'hosts', i];
    const labels = Object.entries(s.labels ?? {}).map(([key, ps]) => {
      if (!ctx.inventory.labelKeys.has(key)) {
        const known =
          [...ctx.inventory.labelKeys].sort().join(', ') || 'none; declare label_keys in hosts.yaml';
        ctx.at(
          e.source,
          [...base, 'labels', key],
          'POLICY_UNKNOWN_REFERENCE',
          `unknown label key ${JSON.stringify(key)} (known: ${known})`,
          'error',
          true,
        );
      }
      const patterns = compilePatterns(e, [...base, 'labels', key], ps, ctx);
      patterns.forEach((p, j) => {
        if (
          p.kind === 'literal' &&
          ctx.inventory.labelKeys.has(key) &&
          !ctx.inventory.hasLabelValue(key, p.source)
        ) {
          ctx.at(
            e.source,
            [...base, 'labels', key, j],
            'POLICY_UNKNOWN_REFERENCE',
            `no host has label ${key}=${p.source} yet`,
            'warning',
          );
        }
      });
      return { key: intern(key), patterns };
    });
    return {
      ...(s.names ? { names: compilePatterns(e, [...base, 'names'], s.names, ctx, true) } : {}),
      ...(s.labels ? { labels } : {}),
    };
  });
}

function ruleBase(e: Entry<RoleDoc | DenyDoc>) {
  return {
    id: `${basename(e.source.file)}:${e.doc.name}`,
    name: e.doc.name,
    file: basename(e.source.file),
    order: 0,
    ...(e.doc.valid_from !== undefined ? { validFrom: e.doc.valid_from } : {}),
    ...(e.doc.valid_until !== undefined ? { validUntil: e.doc.valid_until } : {}),
  };
}

export function compileRole(e: Entry<RoleDoc>, ctx: Ctx, roleNames: ReadonlySet<string>): CompiledRole {
  const d = e.doc;
  const p = (...rest: PropertyKey[]) => [...e.path, ...rest];
  const hosts = d.hosts ? compileHosts(e, d.hosts, ctx) : undefined;
  if (d.hosts && (d.logins === undefined || d.max_ttl === undefined)) {
    ctx.at(
      e.source,
      p(d.logins === undefined ? 'hosts' : 'logins'),
      'POLICY_SCHEMA',
      `role ${d.name} grants hosts, so it needs logins and max_ttl (accepted: both)`,
      'error',
      true,
    );
  }
  if (
    !d.hosts &&
    (d.logins !== undefined ||
      d.max_ttl !== undefined ||
      d.emergency !== undefined ||
      d.approval !== undefined)
  ) {
    ctx.at(
      e.source,
      p('name'),
      'POLICY_SCHEMA',
      `role ${d.name} has logins, max_ttl, approval or emergency but no hosts (accepted: hosts with them, or a permission-only role with just can:)`,
    );
  }
  if (d.valid_from !== undefined && d.valid_until !== undefined && d.valid_until <= d.valid_from) {
    ctx.at(e.source, p('valid_until'), 'POLICY_SCHEMA', 'valid_until is not after valid_from');
  }
  const logins: LoginTemplate[] = [];
  (d.logins ?? []).forEach((l, i) => {
    try {
      logins.push(parseLogin(l));
    } catch (err) {
      ctx.at(e.source, p('logins', i), 'POLICY_UNSAFE_LOGIN', (err as Error).message);
    }
  });
  const maxTtlMs = d.max_ttl ?? 0;
  const approval = d.approval ?? {
    required: 0,
    reviewers: { roles: [], groups: [], emails: [] },
    reason_required: false,
  };
  approval.reviewers.roles.forEach((r, i) => {
    if (!roleNames.has(r)) {
      ctx.at(
        e.source,
        p('approval', 'reviewers', 'roles', i),
        'POLICY_UNKNOWN_REFERENCE',
        `unknown role ${JSON.stringify(r)} (known: ${[...roleNames].sort().join(', ')})`,
      );
    }
  });
  const { roles: rr, groups: rg, emails: re } = approval.reviewers;
  if (approval.required > 0 && rr.length + rg.length + re.length === 0) {
    ctx.at(
      e.source,
      p('approval', 'required'),
      'POLICY_SCHEMA',
      'approvals are required but no reviewers are named (accepted: reviewers.roles, groups or emails)',
    );
  }
  compilePatterns(e, p('approval', 'reviewers', 'groups'), rg, ctx);
  compilePatterns(e, p('approval', 'reviewers', 'emails'), re, ctx, true);
  let ticketPattern: Pattern | undefined;
  if (approval.ticket_pattern !== undefined) {
    if (!approval.ticket_pattern.startsWith('^')) {
      ctx.at(
        e.source,
        p('approval', 'ticket_pattern'),
        'POLICY_BAD_PATTERN',
        'ticket_pattern must be a regex ^…$ (accepted: e.g. ^OPS-[0-9]+$)',
      );
    } else {
      ticketPattern = compileOne(e, p('approval', 'ticket_pattern'), approval.ticket_pattern, ctx);
    }
  }
  const emergencyDoc = d.emergency ?? { allowed: false, notify: [], post_review: true };
  const emergencyTtl = emergencyDoc.max_ttl ?? maxTtlMs;
  if (emergencyDoc.max_ttl !== undefined && d.max_ttl !== undefined && emergencyDoc.max_ttl > d.max_ttl) {
    ctx.at(
      e.source,
      p('emergency', 'max_ttl'),
      'POLICY_SCHEMA',
      'emergency max_ttl is longer than the role max_ttl (accepted: at most max_ttl)',
    );
  }
  const ssh = d.ssh;
  (ssh.source_address ?? []).forEach((a, i) => {
    if (!parseCidr(a))
      ctx.at(
        e.source,
        p('ssh', 'source_address', i),
        'POLICY_SCHEMA',
        `${JSON.stringify(a)} is not an address or CIDR block (accepted: e.g. 10.0.0.0/8, 192.0.2.7, 2001:db8::/32)`,
      );
  });
  return {
    ...ruleBase(e),
    kind: 'role',
    subjects: compileSubjects(e, ctx),
    ...(hosts ? { hosts } : {}),
    logins,
    maxTtlMs,
    approval: {
      required: approval.required,
      reviewers: {
        roles: [...rr].sort(),
        groups: [...rg].sort(),
        emails: re.map((x) => x.toLowerCase()).sort(),
      },
      reasonRequired: approval.reason_required,
      ...(ticketPattern ? { ticketPattern } : {}),
    },
    emergency: {
      allowed: emergencyDoc.allowed,
      maxTtlMs: emergencyTtl,
      notify: [...emergencyDoc.notify].sort(),
      postReview: emergencyDoc.post_review,
    },
    mfa: { required: d.mfa?.required ?? false, methods: d.mfa?.methods ?? ['mfa'] },
    ssh: {
      pty: ssh.pty,
      exec: ssh.exec,
      sftp: ssh.sftp,
      portForwarding: ssh.port_forwarding,
      agentForwarding: ssh.agent_forwarding,
      x11Forwarding: ssh.x11_forwarding,
      ...(ssh.force_command !== undefined ? { forceCommand: ssh.force_command } : {}),
      ...(ssh.source_address !== undefined ? { sourceAddress: [...ssh.source_address] } : {}),
      ...(ssh.idle_timeout !== undefined ? { idleTimeoutMs: ssh.idle_timeout } : {}),
      recordInput: ssh.record_input,
    },
    can: [...new Set(d.can)].sort(),
    immutable: d.immutable,
  };
}

export function compileDeny(e: Entry<DenyDoc>, ctx: Ctx): CompiledDeny {
  const d = e.doc;
  if (d.valid_from !== undefined && d.valid_until !== undefined && d.valid_until <= d.valid_from) {
    ctx.at(e.source, [...e.path, 'valid_until'], 'POLICY_SCHEMA', 'valid_until is not after valid_from');
  }
  return {
    ...ruleBase(e),
    kind: 'deny',
    subjects: compileSubjects(e, ctx),
    ...(d.hosts ? { hosts: compileHosts(e, d.hosts, ctx) } : {}),
    ...(d.logins ? { logins: compilePatterns(e, [...e.path, 'logins'], d.logins, ctx) } : {}),
    ...(d.message !== undefined ? { message: d.message } : {}),
    appliesTo: { normal: d.applies_to.includes('normal'), emergency: d.applies_to.includes('emergency') },
  };
}
