import type { CompiledRule, HostSelector, SubjectMatcher } from './compiled';
import type { Pattern } from './patterns';
import type { Host, Subject } from './types';

/**
 * Matching of subjects and hosts. A rule matches when ANY of its matchers matches;
 * a matcher matches when ALL of its keys match; a key matches when ANY of its
 * patterns matches. `failClosed` (deny rules) treats a claim value too long to test
 * as a match, so an oversized input can never slip past a deny.
 * (Plain indexed loops: this is the evaluator's innermost code.)
 */

function anyMatch(patterns: readonly Pattern[], value: string): boolean {
  for (let i = 0; i < patterns.length; i++) if (patterns[i]!.test(value)) return true;
  return false;
}

function claimMatches(
  patterns: readonly Pattern[],
  value: unknown,
  maxInput: number,
  failClosed: boolean,
): boolean {
  const values = Array.isArray(value) ? (value as unknown[]) : [value];
  for (const v of values) {
    if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') continue;
    const text = String(v);
    if (text.length > maxInput) {
      if (failClosed) return true;
      continue;
    }
    if (anyMatch(patterns, text)) return true;
  }
  return false;
}

export function matcherMatches(
  m: SubjectMatcher,
  subject: Subject,
  maxInput: number,
  failClosed: boolean,
): boolean {
  if (m.groups) {
    let hit = false;
    for (let i = 0; i < subject.groups.length && !hit; i++) hit = anyMatch(m.groups, subject.groups[i]!);
    if (!hit) return false;
  }
  if (m.emails && !anyMatch(m.emails, subject.email)) return false;
  if (m.claims) {
    for (const c of m.claims) {
      const value = Object.prototype.hasOwnProperty.call(subject.claims, c.name)
        ? subject.claims[c.name]
        : undefined;
      if (!claimMatches(c.patterns, value, maxInput, failClosed)) return false;
    }
  }
  return true;
}

export function subjectMatches(
  rule: CompiledRule,
  subject: Subject,
  maxInput: number,
  failClosed = false,
): boolean {
  for (let i = 0; i < rule.subjects.length; i++)
    if (matcherMatches(rule.subjects[i]!, subject, maxInput, failClosed)) return true;
  return false;
}

export function selectorMatches(s: HostSelector, host: Host): boolean {
  if (s.names && !anyMatch(s.names, host.name)) return false;
  const labels = s.labels;
  if (labels) {
    for (let i = 0; i < labels.length; i++) {
      const l = labels[i]!;
      const value = host.labels[l.key];
      if (value === undefined || !anyMatch(l.patterns, value)) return false;
    }
  }
  return true;
}

/** Whether the rule covers the host; a rule without host selectors covers every host. */
export function hostMatches(rule: CompiledRule, host: Host): boolean {
  const hosts = rule.hosts;
  if (hosts === undefined) return true;
  for (let i = 0; i < hosts.length; i++) if (selectorMatches(hosts[i]!, host)) return true;
  return false;
}

export function isActive(rule: CompiledRule, now: number): boolean {
  return (
    (rule.validFrom === undefined || now >= rule.validFrom) &&
    (rule.validUntil === undefined || now < rule.validUntil)
  );
}
