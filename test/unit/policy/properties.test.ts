import fc from 'fast-check';
import { stringify } from 'yaml';
import {
  evaluate,
  parsePolicyFiles,
  type AccessRequest,
  type Decision,
  type LoadedPolicy,
  type Subject,
} from '../../../src/policy';
import { HOSTS_YAML, NOW } from './helpers';

/** Generated policies over a small vocabulary, so that rules often overlap. */
const GROUPS = ['g0', 'g1', 'g2', 'g3'];
const TTLS = { '30m': 1_800_000, '1h': 3_600_000, '2h': 7_200_000, '4h': 14_400_000 } as const;
type Ttl = keyof typeof TTLS;

const subjectMatcher = fc.oneof(
  fc.record({ groups: fc.subarray(GROUPS, { minLength: 1 }) }),
  fc.constant({ emails: ['*@a.example'] }),
  fc.record({ groups: fc.subarray(GROUPS, { minLength: 1 }), emails: fc.constant(['u@a.example']) }),
);
const hostSelector = fc.oneof(
  fc.record({ labels: fc.record({ env: fc.constantFrom('dev', 'prod', 'staging', '*', '^(dev|prod)$') }) }),
  fc.record({ names: fc.constantFrom(['web-*'], ['db-1', 'demo'], ['*']) }),
  fc.record({ labels: fc.record({ env: fc.constant('prod'), role: fc.constantFrom('web', 'db') }) }),
);
const roleBody = fc.record({
  subjects: fc.array(subjectMatcher, { minLength: 1, maxLength: 2 }),
  hosts: fc.array(hostSelector, { minLength: 1, maxLength: 2 }),
  logins: fc.subarray(['ops', 'root', '{{email.local}}'], { minLength: 1 }),
  max_ttl: fc.constantFrom<Ttl>('1h', '2h', '4h'),
  approval: fc.record({
    required: fc.integer({ min: 0, max: 2 }),
    reviewers: fc.constant({ groups: ['rev'] }),
    reason_required: fc.boolean(),
  }),
  emergency: fc.record({
    allowed: fc.boolean(),
    max_ttl: fc.constantFrom<Ttl>('30m', '1h'),
    notify: fc.subarray(['pager', 'chat']),
  }),
  ssh: fc.record({
    pty: fc.boolean(),
    exec: fc.boolean(),
    sftp: fc.boolean(),
    port_forwarding: fc.boolean(),
    record_input: fc.boolean(),
  }),
});
const denyBody = fc.record(
  {
    subjects: fc.array(subjectMatcher, { minLength: 1, maxLength: 2 }),
    hosts: fc.array(hostSelector, { minLength: 1, maxLength: 1 }),
    logins: fc.subarray(['ops', 'root', 'u'], { minLength: 1 }),
    applies_to: fc.subarray(['normal', 'emergency'], { minLength: 1 }),
  },
  { requiredKeys: ['subjects', 'applies_to'] },
);
type RoleBody = typeof roleBody extends fc.Arbitrary<infer T> ? T : never;
type DenyBody = typeof denyBody extends fc.Arbitrary<infer T> ? T : never;

const roles = fc.array(roleBody, { minLength: 1, maxLength: 6 });
const denies = fc.array(denyBody, { maxLength: 2 });
const subjectArb: fc.Arbitrary<Subject> = fc.record({
  sub: fc.constant('s-1'),
  email: fc.constantFrom('u@a.example', 'u@a.example', 'w@b.example'),
  groups: fc.subarray(GROUPS, { minLength: 1 }),
  amr: fc.constant(['pwd']),
  claims: fc.constant({}),
});
const requestArb: fc.Arbitrary<AccessRequest> = fc.record(
  {
    host: fc.constantFrom('demo', 'web-1', 'web-2', 'db-1', 'stage-1'),
    login: fc.constantFrom('ops', 'root', 'u'),
    ttlMs: fc.constantFrom(...Object.values(TTLS), 5 * 3_600_000),
    emergency: fc.boolean(),
    reason: fc.constant('because'),
  },
  { requiredKeys: ['host', 'login'] },
);

/** Builds the policy with roles spread over two files in the given order. */
function build(
  rs: RoleBody[],
  ds: DenyBody[],
  order: { files?: number[]; roles?: number[] } = {},
): LoadedPolicy {
  const named = rs.map((r, i) => ({ name: `r${i}`, ...r, file: i % 2 }));
  const ordered = (order.roles ?? named.map((_, i) => i)).map((i) => named[i]!);
  const fileTexts = [0, 1].map((f) => ({
    file: `f${f}.yaml`,
    text: stringify(
      {
        roles: ordered.filter((r) => r.file === f).map(({ file: _file, ...r }) => r),
        deny: f === 0 ? ds.map((d, i) => ({ name: `d${i}`, ...d })) : [],
      },
      { aliasDuplicateObjects: false },
    ),
  }));
  const files = [
    ...(order.files ?? [0, 1]).map((f) => fileTexts[f]!),
    { file: 'hosts.yaml', text: HOSTS_YAML },
  ];
  const r = parsePolicyFiles(files.map((f) => ({ file: f.file, bytes: Buffer.from(f.text) })));
  if (!r.ok) throw new Error(r.problems.map((p) => `${p.file}:${p.line}:${p.col} ${p.message}`).join('\n'));
  return r;
}

const decide = (p: LoadedPolicy, s: Subject, r: AccessRequest): Decision =>
  evaluate(p.policy, s, r, p.inventory, NOW);
const withoutVersion = (d: Decision) => ({ ...d, policyVersion: '' });
const runs = { numRuns: 100 };

describe('policy properties', () => {
  test('adding a deny rule never widens access', () => {
    fc.assert(
      fc.property(roles, denies, denyBody, subjectArb, requestArb, (rs, ds, extra, s, r) => {
        const before = decide(build(rs, ds), s, r);
        const after = decide(build(rs, [...ds, extra]), s, r);
        if (after.effect !== 'deny') expect(withoutVersion(after)).toEqual(withoutVersion(before));
        if (before.effect === 'deny') expect(after.effect).toBe('deny');
      }),
      runs,
    );
  });

  test('the order of roles and of files never changes a decision', () => {
    fc.assert(
      fc.property(
        roles.chain((rs) =>
          fc.tuple(
            fc.constant(rs),
            fc.shuffledSubarray(
              rs.map((_, i) => i),
              { minLength: rs.length, maxLength: rs.length },
            ),
          ),
        ),
        denies,
        fc.constantFrom([0, 1], [1, 0]),
        subjectArb,
        requestArb,
        ([rs, perm], ds, files, s, r) => {
          const a = decide(build(rs, ds), s, r);
          const b = decide(build(rs, ds, { roles: perm, files: [...files] }), s, r);
          expect(b).toEqual(a);
        },
      ),
      runs,
    );
  });

  test('a granted TTL is never above the limit of any matching role', () => {
    fc.assert(
      fc.property(roles, denies, subjectArb, requestArb, (rs, ds, s, r) => {
        const d = decide(build(rs, ds), s, r);
        if (d.effect === 'deny') return;
        expect(d.constraints.ttlMs).toBeLessThanOrEqual(d.constraints.maxTtlMs);
        for (const name of d.matchedRoles) {
          const role = rs[Number(name.slice(1))]!;
          const limit = r.emergency
            ? Math.min(TTLS[role.emergency.max_ttl], TTLS[role.max_ttl])
            : TTLS[role.max_ttl];
          expect(d.constraints.ttlMs).toBeLessThanOrEqual(limit);
        }
      }),
      runs,
    );
  });

  test('a subject matching no role is denied', () => {
    fc.assert(
      fc.property(roles, denies, requestArb, fc.subarray(['x1', 'x2']), (rs, ds, r, groups) => {
        const outsider: Subject = {
          sub: 'o',
          email: 'o@elsewhere.example',
          groups,
          amr: ['mfa'],
          claims: {},
        };
        const d = decide(build(rs, ds), outsider, r);
        expect(d.effect).toBe('deny');
        expect(d.matchedRoles).toEqual([]);
        expect(d.constraints.ttlMs).toBe(0);
      }),
      runs,
    );
  });

  test('a deny decision never carries granted features', () => {
    fc.assert(
      fc.property(roles, denies, subjectArb, requestArb, (rs, ds, s, r) => {
        const d = decide(build(rs, ds), s, r);
        if (d.effect !== 'deny') return;
        const c = d.constraints;
        expect([
          c.pty,
          c.exec,
          c.sftp,
          c.portForwarding,
          c.agentForwarding,
          c.x11Forwarding,
          c.ttlMs,
          c.logins.length,
        ]).toEqual([false, false, false, false, false, false, 0, 0]);
      }),
      runs,
    );
  });
});
