import fc from 'fast-check';
import {
  compilePattern,
  globMatch,
  globMatcher,
  PatternError,
  patternKind,
} from '../../../src/policy/patterns';
import { vetRegex } from '../../../src/policy/regex-vet';

const opts = { maxRegexLength: 64, maxInput: 256 };

describe('pattern kinds', () => {
  test.each([
    ['prod', 'literal'],
    ['web-*', 'glob'],
    ['db-?', 'glob'],
    ['^web-[0-9]+$', 'regex'],
  ])('%s is a %s', (source, kind) => {
    expect(patternKind(source)).toBe(kind);
  });
});

describe('matching', () => {
  test.each([
    // source, input, ignoreCase, expected
    ['prod', 'prod', false, true],
    ['prod', 'Prod', false, false],
    ['alice@example.com', 'Alice@Example.com', true, true],
    ['web-*', 'web-1', false, true],
    ['web-*', 'web-', false, true],
    ['web-*', 'db-1', false, false],
    ['*', '', false, true],
    ['db-?', 'db-1', false, true],
    ['db-?', 'db-10', false, false],
    ['*@example.com', 'bob@example.com', true, true],
    ['*@example.com', 'bob@example.com.evil', true, false],
    ['a*b*c', 'aXXbYYc', false, true],
    ['a*b*c', 'aXXbYY', false, false],
    ['^web-[0-9]+$', 'web-12', false, true],
    ['^web-[0-9]+$', 'web-12x', false, false],
    ['^WEB-[0-9]+$', 'web-3', true, true],
  ])('%s against %s (ignoreCase %s) → %s', (source, input, ignoreCase, expected) => {
    expect(compilePattern(source, { ...opts, ignoreCase }).test(input)).toBe(expected);
  });

  test('inputs longer than the bound never match', () => {
    for (const source of ['aaa*', '^a+$', 'a'.repeat(300)]) {
      expect(compilePattern(source, { maxRegexLength: 64, maxInput: 10 }).test('a'.repeat(11))).toBe(false);
    }
  });

  test('the specialised glob matchers agree with the general one', () => {
    const alphabet = fc.constantFrom('a', 'b', '*', '?');
    fc.assert(
      fc.property(
        fc.array(alphabet, { maxLength: 6 }),
        fc.array(fc.constantFrom('a', 'b'), { maxLength: 8 }),
        (g, s) => {
          const glob = g.join('');
          const input = s.join('');
          expect(globMatcher(glob)(input)).toBe(globMatch(glob, input));
        },
      ),
    );
  });

  test('glob matching agrees with an equivalent regex', () => {
    const alphabet = fc.constantFrom('a', 'b', '*', '?');
    fc.assert(
      fc.property(
        fc.array(alphabet, { maxLength: 8 }),
        fc.array(fc.constantFrom('a', 'b'), { maxLength: 10 }),
        (g, s) => {
          const glob = g.join('');
          const input = s.join('');
          const re = new RegExp(`^${glob.replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
          expect(globMatch(glob, input)).toBe(re.test(input));
        },
      ),
    );
  });
});

describe('refused patterns', () => {
  test.each([
    ['', 'POLICY_BAD_PATTERN', 'empty pattern'],
    ['^web', 'POLICY_BAD_PATTERN', 'must end with $'],
    [`^${'a'.repeat(70)}$`, 'POLICY_BAD_PATTERN', 'longer than 64'],
    ['^([a-z$', 'POLICY_BAD_PATTERN', 'invalid regex'],
    ['^(a+)+$', 'POLICY_UNSAFE_REGEX', 'repeated group'],
    ['^(a|aa)*$', 'POLICY_UNSAFE_REGEX', 'repeated group'],
    ['^(a)\\1$', 'POLICY_UNSAFE_REGEX', 'backreferences'],
    ['^(?<x>a)\\k<x>$', 'POLICY_UNSAFE_REGEX', 'backreferences'],
    ['^.*.*.*.*$', 'POLICY_UNSAFE_REGEX', 'unbounded quantifiers'],
  ])('%s is refused with %s', (source, code, text) => {
    let error: unknown;
    try {
      compilePattern(source, opts);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(PatternError);
    expect((error as PatternError).code).toBe(code);
    expect((error as PatternError).message).toContain(text);
  });
});

describe('regex vetting', () => {
  test.each([
    '^web-[0-9]+$',
    '^(web|db)-[0-9]{1,3}$',
    '^[a-z]+\\.example\\.com$',
    '^(?:prod|staging)$',
    '^\\p{L}+$',
    '^[(]+$',
    '^a{2,5}b?$',
    '^.*-prod-.*$',
  ])('accepts %s', (source) => {
    expect(vetRegex(source)).toEqual({ ok: true });
  });

  test.each([
    '^(a+)+$',
    '^(a*)*$',
    '^(?:a{2,})+$',
    '^((ab)+)+$',
    '^(a|b)+$',
    '^(x?)+$',
    '^(a)\\1$',
    '^.*.*.*.*x$',
  ])('refuses %s', (source) => {
    expect(vetRegex(source).ok).toBe(false);
  });
});
