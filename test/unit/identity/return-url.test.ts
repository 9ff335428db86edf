import fc from 'fast-check';
import { safeReturnPath } from '../../../src/identity';

const BASE = 'https://breakglass.example.com';

describe('safeReturnPath', () => {
  it.each([
    ['/', '/'],
    ['/requests', '/requests'],
    ['/requests/42?tab=approvals#top', '/requests/42?tab=approvals#top'],
    ['/a/../b', '/b'],
    ['/%2F%2Fevil.example', '/%2F%2Fevil.example'],
    ['/sessions?q=%3Cscript%3E', '/sessions?q=%3Cscript%3E'],
  ])('accepts the same-origin path %s as %s', (input, expected) => {
    expect(safeReturnPath(input)).toBe(expected);
  });

  it.each([
    ['an absolute URL', 'https://evil.example/'],
    ['a scheme-relative URL', '//evil.example/x'],
    ['a backslash trick', '/\\evil.example'],
    ['a leading backslash', '\\\\evil.example'],
    ['a javascript: URL', 'javascript:alert(1)'],
    ['a data: URL', 'data:text/html,hi'],
    ['a relative path', 'requests/42'],
    ['an empty string', ''],
    ['a tab inside', '/\t/evil.example'],
    ['a newline inside', '/x\nLocation: https://evil.example'],
    ['a space', '/ /evil.example'],
    ['the login page itself', '/auth/login'],
    ['the callback', '/auth/callback?code=x'],
    ['a non-string', 42],
    ['an array', ['/a']],
    ['a very long path', `/${'a'.repeat(3000)}`],
  ])('refuses %s', (_name, input) => {
    expect(safeReturnPath(input)).toBeNull();
  });

  it('never returns anything that leaves the origin, whatever the input', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.webUrl(),
          fc.string().map((s) => `/${s}`),
          fc.string().map((s) => `//${s}`),
        ),
        (input) => {
          const out = safeReturnPath(input);
          if (out === null) return;
          expect(out.startsWith('/')).toBe(true);
          expect(out.startsWith('//')).toBe(false);
          expect(out).not.toMatch(/[\\\s]/);
          expect(new URL(out, BASE).origin).toBe(BASE);
        },
      ),
      { numRuns: 2000 },
    );
  });
});
