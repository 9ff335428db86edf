import type { CompiledRule } from './compiled';
import type { Subject } from './types';

/**
 * Narrows the rules worth matching against a subject. A rule whose every subject
 * matcher names literal groups (or, failing that, literal emails) is filed under
 * those; the rest are always candidates. Candidates are a superset of the matching
 * rules, returned in name order.
 */
export interface RuleIndex<R extends CompiledRule> {
  candidates(subject: Subject): R[];
  readonly size: number;
}

export function createRuleIndex<R extends CompiledRule>(rules: readonly R[]): RuleIndex<R> {
  const byGroup = new Map<string, R[]>();
  const byEmail = new Map<string, R[]>();
  const always: R[] = [];
  const file = (map: Map<string, R[]>, key: string, rule: R) => {
    const list = map.get(key);
    if (!list) map.set(key, [rule]);
    else if (list[list.length - 1] !== rule) list.push(rule);
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
      if (m.groups?.every((p) => p.kind === 'literal'))
        for (const p of m.groups) file(byGroup, p.literal!, rule);
      else for (const p of m.emails!) file(byEmail, p.literal!, rule);
    }
  }
  // Dedupe by position with an epoch stamp instead of a Set: evaluation is synchronous, so one array serves every call.
  const position = new Map(rules.map((r, i) => [r, i]));
  const stamp = new Uint32Array(rules.length);
  let epoch = 0;
  return {
    size: rules.length,
    candidates(subject) {
      epoch = epoch === 0xffffffff ? 1 : epoch + 1;
      if (epoch === 1) stamp.fill(0);
      const out: R[] = [];
      const add = (list: readonly R[] | undefined) => {
        if (!list) return;
        for (const r of list) {
          const i = position.get(r)!;
          if (stamp[i] !== epoch) {
            stamp[i] = epoch;
            out.push(r);
          }
        }
      };
      add(always);
      for (const g of subject.groups) add(byGroup.get(g));
      add(byEmail.get(subject.email.toLowerCase()));
      return out.sort((a, b) => position.get(a)! - position.get(b)!);
    },
  };
}
