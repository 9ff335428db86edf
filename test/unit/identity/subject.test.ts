import fc from 'fast-check';
import { claimsToSubject, DEFAULT_CLAIM_MAPPING, policySubject, readClaim } from '../../../src/identity';
import { hasCode } from '../../../src/errors';

const mapping = DEFAULT_CLAIM_MAPPING;

describe('claimsToSubject', () => {
  it('maps sub, e-mail (lower case), name, groups and amr and keeps the other claims', () => {
    const s = claimsToSubject({
      iss: 'https://idp',
      sub: 'u1',
      email: 'Alice@Example.com',
      name: 'Alice',
      groups: ['admins', 'oncall'],
      amr: ['pwd', 'mfa'],
      department: 'ops',
      nonce: 'n',
      exp: 1,
      at_hash: 'h',
    });
    expect(s).toEqual({
      sub: 'u1',
      email: 'alice@example.com',
      name: 'Alice',
      groups: ['admins', 'oncall'],
      amr: ['pwd', 'mfa'],
      claims: {
        iss: 'https://idp',
        sub: 'u1',
        email: 'Alice@Example.com',
        name: 'Alice',
        groups: ['admins', 'oncall'],
        amr: ['pwd', 'mfa'],
        department: 'ops',
      },
    });
    expect(Object.isFrozen(s)).toBe(true);
  });

  it.each([
    ['a single group string', { groups: 'admins' }, ['admins']],
    ['duplicates and blanks', { groups: ['a', 'a', ' ', 'b'] }, ['a', 'b']],
    ['non-strings', { groups: ['a', 1, null, { x: 1 }] }, ['a']],
    ['control characters', { groups: ['ok', 'bad\nline', 'bad\u2028sep', 'c1\u0085'] }, ['ok']],
    ['no groups claim', {}, []],
    ['an object', { groups: { admins: true } }, []],
  ])('reads groups from %s', (_name, extra, groups) => {
    expect(claimsToSubject({ sub: 's', ...extra }).groups).toEqual(groups);
  });

  it.each([
    ['Keycloak realm roles', 'realm_access.roles', { realm_access: { roles: ['admin'] } }, ['admin']],
    ['Entra ID app roles', 'roles', { roles: ['Breakglass.Approver'] }, ['Breakglass.Approver']],
    [
      'a claim whose name has dots',
      'https://example.com/groups',
      { 'https://example.com/groups': ['g'] },
      ['g'],
    ],
    ['a missing path', 'a.b.c', { a: { b: 1 } }, []],
    ['the prototype', '__proto__.polluted', {}, []],
  ])('uses the configured groups claim for %s', (_name, groupsClaim, extra, groups) => {
    expect(claimsToSubject({ sub: 's', ...extra }, { ...mapping, groupsClaim }).groups).toEqual(groups);
  });

  it('maps e-mail and name from configured claims (Entra ID without email)', () => {
    const s = claimsToSubject(
      { sub: 's', preferred_username: 'bob@corp.example', given: 'Bob' },
      { ...mapping, email: 'preferred_username', name: 'given' },
    );
    expect([s.email, s.name]).toEqual(['bob@corp.example', 'Bob']);
  });

  it.each([
    ['no sub', {}, 'IDENTITY_CLAIMS_INVALID'],
    ['an empty sub', { sub: '' }, 'IDENTITY_CLAIMS_INVALID'],
    ['a numeric sub', { sub: 5 }, 'IDENTITY_CLAIMS_INVALID'],
  ])('refuses claims with %s', (_name, claims, code) => {
    expect(() => claimsToSubject(claims)).toThrow(expect.objectContaining({ code }));
  });

  it.each([
    ['email_verified true', { email: 'a@b.c', email_verified: true }, null],
    ['email_verified false', { email: 'a@b.c', email_verified: false }, 'IDENTITY_EMAIL_UNVERIFIED'],
    [
      'email_verified as the string "true"',
      { email: 'a@b.c', email_verified: 'true' },
      'IDENTITY_EMAIL_UNVERIFIED',
    ],
    ['no e-mail at all', { email_verified: true }, 'IDENTITY_EMAIL_UNVERIFIED'],
  ])('with require_email_verified, handles %s', (_name, claims, code) => {
    const run = () => claimsToSubject({ sub: 's', ...claims }, { ...mapping, requireEmailVerified: true });
    if (code) expect(run).toThrow(expect.objectContaining({ code }));
    else expect(run().email).toBe('a@b.c');
  });

  it('either refuses with a coded error or yields clean strings, for any claims', () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.string(), fc.jsonValue()),
        fc.jsonValue(),
        fc.jsonValue(),
        (claims, groups, sub) => {
          let s;
          try {
            s = claimsToSubject({ ...claims, sub, groups });
          } catch (err) {
            expect(hasCode(err, 'IDENTITY_CLAIMS_INVALID')).toBe(true);
            return;
          }
          for (const v of [s.sub, ...s.groups, ...s.amr, s.email ?? 'x', s.name ?? 'x']) {
            expect(typeof v).toBe('string');
            expect(v.length).toBeGreaterThan(0);
            expect(v.length).toBeLessThanOrEqual(256);
            // eslint-disable-next-line no-control-regex
            expect(v).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/);
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  it('readClaim never reaches into the prototype chain', () => {
    expect(readClaim({}, 'constructor')).toBeUndefined();
    expect(readClaim({ a: {} }, 'a.toString')).toBeUndefined();
  });
});

describe('policySubject', () => {
  it('gives policy a string e-mail (empty when absent) and leaves out an absent name', () => {
    expect(policySubject(claimsToSubject({ sub: 's', groups: ['g'] }))).toEqual({
      sub: 's',
      email: '',
      groups: ['g'],
      amr: [],
      claims: { sub: 's', groups: ['g'] },
    });
    expect(policySubject(claimsToSubject({ sub: 's', email: 'A@B.C', name: 'N' }))).toMatchObject({
      email: 'a@b.c',
      name: 'N',
    });
  });
});
