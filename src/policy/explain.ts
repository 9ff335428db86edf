import { formatDuration } from '../config';
import type { Decision, ReviewerSpec } from './types';

function reviewers(specs: readonly ReviewerSpec[]): string {
  const one = (s: ReviewerSpec) =>
    [...s.roles.map((r) => `role ${r}`), ...s.groups.map((g) => `group ${g}`), ...s.emails].join(' or ');
  return specs.map(one).join('; and ');
}

/** A decision as lines a person reads (the CLI's `policy test`). */
export function describeDecision(d: Decision): string {
  const c = d.constraints;
  const lines = [
    `effect: ${d.effect}`,
    `hosts: ${d.hosts.join(', ') || '-'}`,
    `matched roles: ${d.matchedRoles.join(', ') || '-'}`,
  ];
  if (d.effect !== 'deny') {
    lines.push(`login: ${c.logins.join(', ')}`);
    lines.push(`ttl: ${formatDuration(c.ttlMs)} (max ${formatDuration(c.maxTtlMs)})`);
    if (c.approvals.required > 0)
      lines.push(`approvals: ${c.approvals.required} from ${reviewers(c.approvals.reviewers)}`);
    const on = (
      ['pty', 'exec', 'sftp', 'portForwarding', 'agentForwarding', 'x11Forwarding'] as const
    ).filter((k) => c[k]);
    lines.push(`ssh features: ${on.join(', ') || 'none'}`);
    if (c.forceCommand !== undefined) lines.push(`force command: ${c.forceCommand}`);
    if (c.sourceAddress !== undefined) lines.push(`source address: ${c.sourceAddress.join(', ')}`);
    if (c.idleTimeoutMs !== undefined) lines.push(`idle timeout: ${formatDuration(c.idleTimeoutMs)}`);
    const flags = [
      c.recordInput && 'input recorded',
      c.reasonRequired && 'reason required',
      c.mfaRequired && 'MFA required',
      c.immutable && 'host is immutable (marked drifted after use)',
    ];
    const shown = flags.filter((f): f is string => typeof f === 'string');
    if (shown.length > 0) lines.push(`notes: ${shown.join('; ')}`);
    if (c.ticketPattern !== undefined) lines.push(`ticket pattern: ${c.ticketPattern}`);
    if (c.emergency.allowed) {
      lines.push(
        `emergency: allowed up to ${formatDuration(c.emergency.maxTtlMs)}${c.emergency.notify.length ? `, notifies ${c.emergency.notify.join(', ')}` : ''}${c.emergency.postReview ? ', post-hoc review' : ''}`,
      );
    }
  }
  lines.push('reasons:');
  for (const r of d.reasons) lines.push(`  ${r.rule} [${r.effect}] ${r.message}`);
  lines.push(`policy version: ${d.policyVersion}`);
  return `${lines.join('\n')}\n`;
}
