import type { CompiledRule, SubjectMatcher } from './compiled';
import { subjectMatches } from './match';
import type { Subject } from './types';

/**
 * Finds the rules whose subjects match a person without testing every rule.
 *
 * A rule whose every subject matcher names literal groups (or, failing that, literal
 * emails) is filed under those keys; the rest are always tested. A hit through a
 * matcher that has nothing but literal groups (or literal emails) is a match by
 * itself; any other candidate is confirmed with the full matcher. The result is the
 * same set `subjectMatches` would select from all rules, in name order.
 */
export interface RuleIndex<R extends CompiledRule> {
  /** Rules whose subjects match (`failClosed`: oversized claims count as matching, for deny rules). */
  matching(subject: Subject, maxInput: number, failClosed: boolean): R[];
  readonly size: number;
}

interface Entry<R> {
  readonly rule: R;
  /** The hit alone proves the match (the matcher has no other condition). */
  readonly sure: boolean;
}

const onlyLiteralGroups = (m: SubjectMatcher) =>
  m.groups !== undefined &&
  m.groups.every((p) => p.kind === 'literal') &&
  m.emails === undefined &&
  m.claims === undefined;
const onlyLiteralEmails = (m: SubjectMatcher) =>
  m.emails !== undefined &&
  m.emails.every((p) => p.kind === 'literal') &&
  m.groups === undefined &&
  m.claims === undefined;

export function createRuleIndex<R extends CompiledRule>(rules: readonly R[]): RuleIndex<R> {
  const byGroup = new Map<string, Entry<R>[]>();
  const byEmail = new Map<string, Entry<R>[]>();
  const always: R[] = [];
  const file = (map: Map<string, Entry<R>[]>, key: string, entry: Entry<R>) => {
    const list = map.get(key);
    if (list) list.push(entry);
    else map.set(key, [entry]);
  };
  for (const rule of rules) {
    const keyed = rule.subjects.every(
      (m) =>
        (m.groups?.every((p) => p.kind === 'literal') ?? false) ||
        (m.emails?.every((p) => p.kind === 'literal') ?? false),
    );
    if (!keyed) {
      always.push(rule);
      continue;
    }
    for (const m of rule.subjects) {
      if (m.groups?.every((p) => p.kind === 'literal')) {
        for (const p of m.groups) file(byGroup, p.literal!, { rule, sure: onlyLiteralGroups(m) });
      } else {
        for (const p of m.emails!) file(byEmail, p.literal!, { rule, sure: onlyLiteralEmails(m) });
      }
    }
  }
  // Dedupe by position with epoch stamps instead of Sets: evaluation is synchronous,
  // so one pair of arrays serves every call.
  const position = new Map(rules.map((r, i) => [r, i]));
  const seen = new Uint32Array(rules.length); // candidate already considered
  const decided = new Uint32Array(rules.length); // confirmed match
  let epoch = 0;
  return {
    size: rules.length,
    matching(subject, maxInput, failClosed) {
      epoch = epoch === 0xffffffff ? 1 : epoch + 1;
      if (epoch === 1) {
        seen.fill(0);
        decided.fill(0);
      }
      const out: R[] = [];
      const pending: R[] = [];
      const take = (entries: readonly Entry<R>[] | undefined) => {
        if (!entries) return;
        for (const e of entries) {
          const i = position.get(e.rule)!;
          if (e.sure) {
            if (decided[i] !== epoch) {
              decided[i] = epoch;
              out.push(e.rule);
            }
          } else if (seen[i] !== epoch) {
            seen[i] = epoch;
            pending.push(e.rule);
          }
        }
      };
      for (const g of subject.groups) take(byGroup.get(g));
      take(byEmail.get(subject.email.toLowerCase()));
      for (const r of [...pending, ...always]) {
        const i = position.get(r)!;
        if (decided[i] !== epoch && subjectMatches(r, subject, maxInput, failClosed)) {
          decided[i] = epoch;
          out.push(r);
        }
      }
      return out.sort((a, b) => position.get(a)! - position.get(b)!);
    },
  };
}
