import fc from 'fast-check';
import { stringify } from 'yaml';
import { subjectMatches } from '../../../src/policy/match';
import type { Subject } from '../../../src/policy';
import { load } from './helpers';

/** The index must select exactly the rules a full scan with subjectMatches selects. */
const pattern = fc.constantFrom('g0', 'g1', 'g2', 'g*', '^g[12]$');
const email = fc.constantFrom('u@a.example', 'U@A.example', '*@a.example', 'v@b.example');
const matcher = fc
  .record(
    {
      groups: fc.array(pattern, { minLength: 1, maxLength: 2 }),
      emails: fc.array(email, { minLength: 1, maxLength: 2 }),
      claims: fc.record({ dept: fc.constantFrom('ops', 'o*') }),
    },
    { requiredKeys: [] },
  )
  .filter((m) => Object.keys(m).length > 0);

test('indexed matching equals a full scan, for roles and for fail-closed deny rules', () => {
  fc.assert(
    fc.property(
      fc.array(fc.array(matcher, { minLength: 1, maxLength: 3 }), { minLength: 1, maxLength: 8 }),
      fc.record({
        sub: fc.constant('s'),
        email: fc.constantFrom('u@a.example', 'v@b.example', 'w@c.example'),
        groups: fc.subarray(['g0', 'g1', 'g2', 'g3']),
        amr: fc.constant([]),
        claims: fc.oneof(
          fc.constant({}),
          fc.constant({ dept: 'ops' }),
          fc.constant({ dept: 'x'.repeat(300) }),
        ),
      }),
      (subjectsPerRule, subject: Subject) => {
        const roles = subjectsPerRule.map((subjects, i) => ({
          name: `r${i}`,
          subjects,
          can: ['view_audit'],
        }));
        const deny = subjectsPerRule.map((subjects, i) => ({ name: `d${i}`, subjects }));
        const { policy } = load({
          'roles.yaml': stringify({ roles, deny }, { aliasDuplicateObjects: false }),
        });
        const names = (rs: readonly { name: string }[]) => rs.map((r) => r.name);
        expect(names(policy.roleIndex.matching(subject, 256, false))).toEqual(
          names(policy.roles.filter((r) => subjectMatches(r, subject, 256, false))),
        );
        expect(names(policy.denyIndex.matching(subject, 256, true))).toEqual(
          names(policy.denies.filter((r) => subjectMatches(r, subject, 256, true))),
        );
      },
    ),
    { numRuns: 100 },
  );
});
