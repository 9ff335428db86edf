import { isBreakglassError } from '../errors';
import { formatDuration } from '../config';
import { combineRoles } from './combine';
import type { CompiledDeny, CompiledPolicy, CompiledRole } from './compiled';
import type { Inventory } from './inventory';
import { isSafeLogin, SAFE_LOGIN_RE } from './logins';
import { hostMatches, isActive } from './match';
import type { AccessRequest, Constraints, Decision, Effect, Host, Reason, Subject } from './types';

/** The constraints of a deny decision: nothing is granted. */
export const DENIED_CONSTRAINTS: Constraints = Object.freeze({
  maxTtlMs: 0,
  ttlMs: 0,
  logins: [],
  principals: [],
  pty: false,
  exec: false,
  sftp: false,
  portForwarding: false,
  agentForwarding: false,
  x11Forwarding: false,
  recordInput: false,
  approvals: { required: 0, reviewers: [] },
  reasonRequired: false,
  emergency: { allowed: false, maxTtlMs: 0, notify: [], postReview: false },
  mfaRequired: false,
  immutable: false,
});

const reason = (rule: string, effect: Effect, message: string): Reason => ({ rule, effect, message });
const sortReasons = (reasons: Reason[]) =>
  reasons.sort((a, b) =>
    a.rule < b.rule ? -1 : a.rule > b.rule ? 1 : a.message < b.message ? -1 : a.message > b.message ? 1 : 0,
  );

/**
 * The policy decision: pure, deterministic, deny by default, deny always wins.
 * Order of evaluation: request sanity → target hosts → deny rules → roles granting
 * host and login → combined limits (TTL, MFA, reason, ticket, emergency). Every
 * failed condition adds a reason; any deny reason makes the effect `deny`.
 */
export function evaluate(
  policy: CompiledPolicy,
  subject: Subject,
  request: AccessRequest,
  inventory: Inventory,
  now: number,
): Decision {
  const deny = (reasons: Reason[], matchedRoles: string[] = [], hosts: string[] = []): Decision => ({
    effect: 'deny',
    constraints: DENIED_CONSTRAINTS,
    reasons: sortReasons(reasons),
    policyVersion: policy.version,
    matchedRoles,
    hosts,
  });
  const invalid = checkRequest(subject, request, policy.limits.maxInputLength);
  if (invalid) return deny([reason('request', 'deny', invalid)]);

  // Target hosts
  let hosts: Host[];
  if (request.host !== undefined) {
    const host = inventory.get(request.host);
    if (!host) return deny([reason('inventory', 'deny', `unknown host ${JSON.stringify(request.host)}`)]);
    hosts = [host];
  } else {
    let names: string[];
    try {
      names = inventory.select(request.selector!, {
        maxRegexLength: policy.limits.maxRegexLength,
        maxInput: policy.limits.maxInputLength,
      });
    } catch (err) {
      if (isBreakglassError(err)) return deny([reason('request', 'deny', err.message)]);
      throw err;
    }
    if (names.length === 0) return deny([reason('inventory', 'deny', 'no host matches the label selector')]);
    if (names.length > policy.limits.maxSelectorHosts) {
      return deny([
        reason(
          'request',
          'deny',
          `the selector matches ${names.length} hosts (accepted: at most ${policy.limits.maxSelectorHosts}; narrow it)`,
        ),
      ]);
    }
    hosts = names.map((n) => inventory.get(n)!);
  }
  const hostNames = hosts.map((h) => h.name).sort();
  const emergency = request.emergency === true;
  const login = request.login;
  const maxInput = policy.limits.maxInputLength;

  // Deny rules, then the roles that grant this login on each host
  const denyRules = policy.denyIndex
    .matching(subject, maxInput, true)
    .filter((d) => isActive(d, now) && (emergency ? d.appliesTo.emergency : d.appliesTo.normal));
  const roles = policy.roleIndex
    .matching(subject, maxInput, false)
    .filter((r) => r.hosts !== undefined && isActive(r, now));
  const denyReasons: Reason[] = [];
  const applying = new Map<string, CompiledRole>();
  let hostImmutable = false;
  for (const host of hosts) {
    for (const d of denyRules)
      if (denyMatches(d, host, login)) denyReasons.push(denyReason(d, subject, host, login));
    const onHost = roles.filter((r) => hostMatches(r, host));
    const granting = onHost.filter((r) => r.logins.some((t) => t.render(subject) === login));
    if (granting.length === 0) denyReasons.push(noGrantReason(onHost, subject, host, login));
    for (const r of granting) applying.set(r.name, r);
    hostImmutable ||= host.immutable;
  }
  const matched = [...applying.values()].sort((a, b) => a.order - b.order);
  const matchedRoles = matched.map((r) => r.name);
  if (denyReasons.length > 0) return deny(denyReasons, matchedRoles, hostNames);

  // Combined limits
  const c = combineRoles(matched, emergency);
  const problems: Reason[] = [];
  const ttlWord = emergency ? 'emergency max_ttl' : 'max_ttl';
  const ttlMs = request.ttlMs ?? c.maxTtlMs;
  if (ttlMs > c.maxTtlMs) {
    problems.push(
      reason(
        c.ttlRole.id,
        'deny',
        `requested TTL ${formatDuration(ttlMs)} exceeds ${ttlWord} ${formatDuration(c.maxTtlMs)} (accepted: at most ${formatDuration(c.maxTtlMs)})`,
      ),
    );
  }
  if (emergency) {
    for (const r of matched) {
      if (!r.emergency.allowed)
        problems.push(reason(r.id, 'deny', `emergency access is not allowed by role ${r.name}`));
    }
  }
  for (const r of matched) {
    if (r.mfa.required && !subject.amr.some((m) => r.mfa.methods.includes(m))) {
      problems.push(
        reason(
          r.id,
          'deny',
          `MFA required (amr one of: ${r.mfa.methods.join(', ')}; the login had: ${subject.amr.join(', ') || 'none'})`,
        ),
      );
    }
    const pattern = r.approval.ticketPattern;
    if (pattern && !(request.ticket !== undefined && pattern.test(request.ticket))) {
      problems.push(
        reason(
          r.id,
          'deny',
          `a ticket matching ${pattern.source} is required${request.ticket !== undefined ? ` (got ${JSON.stringify(request.ticket)})` : ''}`,
        ),
      );
    }
  }
  if (c.reasonRequired && (request.reason ?? '').trim() === '') {
    const by = emergency
      ? 'emergency access'
      : matched
          .filter((r) => r.approval.reasonRequired)
          .map((r) => r.name)
          .join(', ');
    problems.push(
      reason(
        emergency ? 'request' : matched.find((r) => r.approval.reasonRequired)!.id,
        'deny',
        `a reason is required (by ${by})`,
      ),
    );
  }
  if (c.forceCommandConflict) {
    problems.push(
      reason(
        matched
          .filter((r) => r.ssh.forceCommand !== undefined)
          .map((r) => r.id)
          .join(' + '),
        'deny',
        'roles force different commands; no single grant satisfies them',
      ),
    );
  }
  if (c.sourceAddress !== undefined && c.sourceAddress.length === 0) {
    problems.push(
      reason(
        matched
          .filter((r) => r.ssh.sourceAddress)
          .map((r) => r.id)
          .join(' + '),
        'deny',
        'the source_address lists of the roles have no address in common',
      ),
    );
  }
  if (problems.length > 0) return deny(problems, matchedRoles, hostNames);

  const effect: Effect = emergency
    ? 'emergency_allowed'
    : c.approvals.required > 0
      ? 'needs_approval'
      : 'allow';
  const constraints: Constraints = {
    maxTtlMs: c.maxTtlMs,
    ttlMs,
    logins: [login],
    principals: [login],
    pty: c.pty,
    exec: c.exec,
    sftp: c.sftp,
    portForwarding: c.portForwarding,
    agentForwarding: c.agentForwarding,
    x11Forwarding: c.x11Forwarding,
    ...(c.forceCommand !== undefined ? { forceCommand: c.forceCommand } : {}),
    ...(c.sourceAddress !== undefined ? { sourceAddress: c.sourceAddress } : {}),
    ...(c.idleTimeoutMs !== undefined ? { idleTimeoutMs: c.idleTimeoutMs } : {}),
    recordInput: c.recordInput,
    approvals: c.approvals,
    reasonRequired: c.reasonRequired,
    ...(c.ticketPattern !== undefined ? { ticketPattern: c.ticketPattern } : {}),
    emergency: c.emergency,
    mfaRequired: c.mfaRequired,
    immutable: c.immutable || hostImmutable,
  };
  const reasons = matched.map((r) => reason(r.id, effect, grantMessage(r, emergency, login, hostNames)));
  return {
    effect,
    constraints,
    reasons: sortReasons(reasons),
    policyVersion: policy.version,
    matchedRoles,
    hosts: hostNames,
  };
}

/** Returns what is wrong with the request, or null. Inputs are length-bounded before any matching. */
function checkRequest(subject: Subject, request: AccessRequest, maxInput: number): string | null {
  if ((request.host === undefined) === (request.selector === undefined))
    return 'give exactly one of host and selector';
  if (typeof request.login !== 'string' || !isSafeLogin(request.login)) {
    return `login ${JSON.stringify(request.login)} is not a safe account name (accepted: ${SAFE_LOGIN_RE.source})`;
  }
  if (request.ttlMs !== undefined && (!Number.isSafeInteger(request.ttlMs) || request.ttlMs <= 0)) {
    return 'ttl must be a positive whole number of milliseconds';
  }
  const long = (s: unknown) => typeof s !== 'string' || s.length > maxInput;
  if (long(subject.email) || long(subject.sub))
    return `subject email or sub missing or longer than ${maxInput} characters`;
  if (subject.groups.some(long)) return `a group name is longer than ${maxInput} characters`;
  if (subject.amr.some(long)) return `an amr value is longer than ${maxInput} characters`;
  if (request.host !== undefined && long(request.host)) return `host name longer than ${maxInput} characters`;
  if (request.selector && Object.entries(request.selector).some(([k, v]) => long(k) || long(v)))
    return `selector longer than ${maxInput} characters`;
  if (request.ticket !== undefined && long(request.ticket))
    return `ticket longer than ${maxInput} characters`;
  return null;
}

function denyMatches(d: CompiledDeny, host: Host, login: string): boolean {
  return hostMatches(d, host) && (d.logins === undefined || d.logins.some((p) => p.test(login)));
}

function denyReason(d: CompiledDeny, subject: Subject, host: Host, login: string): Reason {
  const base = `deny rule matches ${subject.email} on ${host.name} as ${login}`;
  return reason(d.id, 'deny', d.message ? `${base}: ${d.message}` : base);
}

function noGrantReason(onHost: readonly CompiledRole[], subject: Subject, host: Host, login: string): Reason {
  if (onHost.length === 0)
    return reason(
      'default',
      'deny',
      `no role grants ${subject.email} access to ${host.name} (deny by default)`,
    );
  const offered = [
    ...new Set(
      onHost.flatMap((r) =>
        r.logins.map((t) => t.render(subject) ?? `${t.source} (unusable for this subject)`),
      ),
    ),
  ];
  return reason(
    onHost.map((r) => r.id).join(' + '),
    'deny',
    `login ${login} is not granted on ${host.name} (granted logins: ${offered.join(', ')})`,
  );
}

function grantMessage(r: CompiledRole, emergency: boolean, login: string, hosts: readonly string[]): string {
  const target = hosts.length === 1 ? hosts[0]! : `${hosts.length} hosts`;
  const ttl = formatDuration(emergency ? r.emergency.maxTtlMs : r.maxTtlMs);
  if (emergency) {
    const notify = r.emergency.notify.length ? `; notifies ${r.emergency.notify.join(', ')}` : '';
    return `emergency access as ${login} on ${target} up to ${ttl}${notify}${r.emergency.postReview ? '; post-hoc review required' : ''}`;
  }
  const a = r.approval;
  if (a.required === 0) return `grants ${login} on ${target} up to ${ttl} without approval`;
  const who = [
    ...a.reviewers.roles.map((x) => `role ${x}`),
    ...a.reviewers.groups.map((x) => `group ${x}`),
    ...a.reviewers.emails,
  ].join(', ');
  return `grants ${login} on ${target} up to ${ttl} after ${a.required} approval${a.required === 1 ? '' : 's'} from ${who}`;
}
