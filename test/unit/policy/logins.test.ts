import { isSafeLogin, parseLogin } from '../../../src/policy/logins';
import { subject } from './helpers';

describe('safe logins', () => {
  test.each([
    ['root', true],
    ['_svc', true],
    ['deploy.bot-1', true],
    ['a'.repeat(32), true],
    ['a'.repeat(33), false],
    ['Root', false],
    ['1abc', false],
    ['-rf', false],
    ['a,b', false],
    ['a b', false],
    ['a@b', false],
    ['*', false],
    ['a\nb', false],
    ['', false],
  ])('%j safe: %s', (login, safe) => {
    expect(isSafeLogin(login)).toBe(safe);
  });
});

describe('login templates', () => {
  const alice = subject('Alice.Smith@Example.com', [], {
    sub: 'u-1',
    claims: { preferred_username: 'asmith', uid: 'x y', roles: ['a'] },
  });
  test.each([
    ['root', 'root'],
    ['{{email.local}}', 'alice.smith'],
    ['{{ email.local }}', 'alice.smith'],
    ['adm-{{email.local}}', 'adm-alice.smith'],
    ['{{claims.preferred_username}}', 'asmith'],
    ['{{claims.uid}}', null], // renders "x y": unsafe, refused
    ['{{claims.roles}}', null], // not a string
    ['{{claims.missing}}', null],
    ['{{sub}}', 'u-1'],
  ])('%s renders %j', (source, expected) => {
    expect(parseLogin(source).render(alice)).toBe(expected);
  });

  test('a rendering longer than 32 characters is refused', () => {
    const t = parseLogin('{{claims.name}}');
    expect(t.render(subject('a@x', [], { claims: { name: 'a'.repeat(33) } }))).toBeNull();
  });

  test('an email without @ gives no local part', () => {
    expect(parseLogin('{{email.local}}').render(subject('nobody'))).toBeNull();
  });

  test.each([
    ['Root', 'not a safe account name'],
    ['{{email.locl}}', 'unknown'],
    ['{{email.local', 'without }}'],
    ['x@{{email.local}}', 'unsafe text'],
    ['1-{{email.local}}', 'must start with'],
  ])('%s is refused at load (%s)', (source, text) => {
    expect(() => parseLogin(source)).toThrow(text);
  });
});
