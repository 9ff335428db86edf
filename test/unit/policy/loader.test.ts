import { parsePolicyFiles } from '../../../src/policy';
import { located, parse } from './helpers';

const role = (extra = '') => `roles:
  - name: admins
    subjects:
      - groups: [admins]
    hosts:
      - labels: { env: prod }
    logins: [root]
    max_ttl: 1h
${extra}`;

describe('located schema errors (file:line:column)', () => {
  test.each([
    ['an unknown top-level key', 'rules: []\n', ['roles.yaml:1:1 POLICY_SCHEMA']],
    ['an unknown role key', role('    colour: blue\n'), ['roles.yaml:9:5 POLICY_SCHEMA']],
    [
      'an unknown nested key',
      role('    ssh: { pty: true, ptty: false }\n'),
      ['roles.yaml:9:23 POLICY_SCHEMA'],
    ],
    ['a wrong type', role('    immutable: yes please\n'), ['roles.yaml:9:16 POLICY_SCHEMA']],
    [
      'a malformed duration',
      role().replace('max_ttl: 1h', 'max_ttl: 1 hour'),
      ['roles.yaml:8:14 POLICY_SCHEMA'],
    ],
    ['a TTL over 30 days', role().replace('max_ttl: 1h', 'max_ttl: 31d'), ['roles.yaml:8:14 POLICY_SCHEMA']],
    [
      'a missing subjects key',
      'roles:\n  - name: a\n    can: [view_audit]\n',
      ['roles.yaml:2:5 POLICY_SCHEMA'],
    ],
    [
      'an unknown permission',
      'roles:\n  - name: a\n    subjects: [{ groups: [x] }]\n    can: [fly]\n',
      ['roles.yaml:4:11 POLICY_SCHEMA'],
    ],
    [
      'an empty subject matcher',
      'roles:\n  - name: a\n    subjects: [{}]\n    can: [view_audit]\n',
      ['roles.yaml:3:16 POLICY_SCHEMA'],
    ],
    [
      'a bad role name',
      'roles:\n  - name: "has space"\n    subjects: [{ groups: [x] }]\n',
      ['roles.yaml:2:11 POLICY_SCHEMA'],
    ],
  ])('%s', (_what, text, expected) => {
    expect(located(parse({ 'roles.yaml': text }))).toEqual(expected);
  });

  test('the message names the path and what is accepted', () => {
    const r = parse({ 'roles.yaml': role('    colour: blue\n') });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problems[0]!.message).toMatch(
      /^roles\[0\]\.colour: unknown key \(accepted: name, description, subjects, hosts, logins, max_ttl/,
    );
  });

  test('every bad role of every file is reported in one pass, sorted by file and position', () => {
    const r = parse({
      'b.yaml': 'roles:\n  - name: x\n    subjects: [{ groups: [a] }]\n    bogus: 1\n',
      'a.yaml':
        'roles:\n  - name: y\n    subjects: [{ groups: [a] }]\n    can: [nope]\n  - name: z\n    oops: 2\n    subjects: [{ groups: [a] }]\n',
    });
    expect(located(r)).toEqual([
      'a.yaml:4:11 POLICY_SCHEMA',
      'a.yaml:6:5 POLICY_SCHEMA',
      'b.yaml:4:5 POLICY_SCHEMA',
    ]);
  });
});

describe('located semantic errors', () => {
  test.each([
    [
      'an unknown label key',
      role().replace('env: prod', 'envv: prod'),
      ['roles.yaml:6:19 POLICY_UNKNOWN_REFERENCE'],
    ],
    [
      'a catastrophic regex',
      role().replace('env: prod', () => "env: '^(p+)+$'"),
      ['roles.yaml:6:24 POLICY_UNSAFE_REGEX'],
    ],
    ['a regex without $', role().replace('[admins]', "['^adm']"), ['roles.yaml:4:18 POLICY_BAD_PATTERN']],
    [
      'an invalid regex',
      role().replace('[admins]', () => "['^(adm$']"),
      ['roles.yaml:4:18 POLICY_BAD_PATTERN'],
    ],
    [
      'an unsafe literal login',
      role().replace('[root]', '[Administrator]'),
      ['roles.yaml:7:14 POLICY_UNSAFE_LOGIN'],
    ],
    [
      'an unknown template variable',
      role().replace('[root]', "['{{email.user}}']"),
      ['roles.yaml:7:14 POLICY_UNSAFE_LOGIN'],
    ],
    [
      'an unknown reviewer role',
      role('    approval: { required: 1, reviewers: { roles: [ghosts] } }\n'),
      ['roles.yaml:9:51 POLICY_UNKNOWN_REFERENCE'],
    ],
    [
      'approvals without reviewers',
      role('    approval: { required: 1 }\n'),
      ['roles.yaml:9:27 POLICY_SCHEMA'],
    ],
    [
      'a ticket pattern that is not a regex',
      role("    approval: { ticket_pattern: 'OPS-*' }\n"),
      ['roles.yaml:9:33 POLICY_BAD_PATTERN'],
    ],
    [
      'a bad source address',
      role('    ssh: { source_address: [10.0.0.1/8] }\n'),
      ['roles.yaml:9:29 POLICY_SCHEMA'],
    ],
    [
      'emergency TTL above max_ttl',
      role('    emergency: { allowed: true, max_ttl: 2h }\n'),
      ['roles.yaml:9:42 POLICY_SCHEMA'],
    ],
    ['hosts without logins', role().replace('    logins: [root]\n', ''), ['roles.yaml:5:5 POLICY_SCHEMA']],
    [
      'logins without hosts',
      'roles:\n  - name: a\n    subjects: [{ groups: [x] }]\n    logins: [root]\n',
      ['roles.yaml:2:11 POLICY_SCHEMA'],
    ],
    [
      'valid_until before valid_from',
      role('    valid_from: 2026-02-01T00:00:00Z\n    valid_until: 2026-01-01T00:00:00Z\n'),
      ['roles.yaml:10:18 POLICY_SCHEMA'],
    ],
  ])('%s', (_what, text, expected) => {
    expect(located(parse({ 'roles.yaml': text }))).toEqual(expected);
  });

  test('a duplicate name across files is reported at the second one, naming the first', () => {
    const r = parse({ 'a.yaml': role(), 'b.yaml': role().replace('roles:', 'roles:\n') });
    expect(located(r)).toEqual(['b.yaml:3:11 POLICY_DUPLICATE_NAME']);
    if (!r.ok) expect(r.problems[0]!.message).toContain('already used at a.yaml:2:11');
  });

  test('a deny rule may not share a role name', () => {
    const r = parse({
      'roles.yaml': `${role()}deny:\n  - name: admins\n    subjects: [{ emails: ['*'] }]\n`,
    });
    expect(located(r)).toEqual(['roles.yaml:10:11 POLICY_DUPLICATE_NAME']);
  });

  test('a duplicate host name is reported in hosts.yaml', () => {
    const hosts =
      'hosts:\n  - { name: a, address: 192.0.2.1, trust: { host_ca: true } }\n  - { name: a, address: 192.0.2.2, trust: { host_ca: true } }\n';
    expect(located(parse({ 'hosts.yaml': hosts, 'roles.yaml': 'roles: []\n' }))).toEqual([
      'hosts.yaml:3:13 POLICY_DUPLICATE_NAME',
    ]);
  });

  test.each([
    ['no trust', '{ name: a, address: 192.0.2.1 }', 'hosts.yaml:2:5 POLICY_SCHEMA'],
    [
      'a bad fingerprint',
      "{ name: a, address: 192.0.2.1, trust: { fingerprints: ['MD5:aa'] } }",
      'hosts.yaml:2:60 POLICY_SCHEMA',
    ],
    [
      'an upper-case host name',
      '{ name: Web, address: 192.0.2.1, trust: { host_ca: true } }',
      'hosts.yaml:2:13 POLICY_SCHEMA',
    ],
    [
      'a bad port',
      '{ name: a, address: 192.0.2.1, port: 70000, trust: { host_ca: true } }',
      'hosts.yaml:2:42 POLICY_SCHEMA',
    ],
    [
      'a bad label value',
      "{ name: a, address: 192.0.2.1, labels: { env: 'a b' }, trust: { host_ca: true } }",
      'hosts.yaml:2:51 POLICY_SCHEMA',
    ],
  ])('a host with %s is refused', (_what, host, expected) => {
    expect(located(parse({ 'hosts.yaml': `hosts:\n  - ${host}\n`, 'roles.yaml': 'roles: []\n' }))).toEqual([
      expected,
    ]);
  });

  test('a literal label value no host has is a warning, not an error', () => {
    const r = parse({ 'roles.yaml': role().replace('env: prod', 'env: qa') });
    expect(r.ok).toBe(true);
    if (r.ok)
      expect(r.warnings.map((w) => `${w.file}:${w.line}:${w.col} ${w.severity}`)).toEqual([
        'roles.yaml:6:24 warning',
      ]);
  });

  test('declared label keys may be referenced before any host carries them', () => {
    const r = parse({ 'roles.yaml': role().replace('env: prod', 'team: shop') });
    expect(r.ok).toBe(true);
  });
});

describe('hostile files', () => {
  const file = (name: string, bytes: Buffer | string) => ({
    file: name,
    bytes: typeof bytes === 'string' ? Buffer.from(bytes) : bytes,
  });
  const codes = (r: ReturnType<typeof parsePolicyFiles>) => (r.ok ? [] : r.problems.map((p) => p.code));

  test('a file over the size limit is refused unread', () => {
    const r = parsePolicyFiles([file('roles.yaml', `# ${'x'.repeat(5000)}\nroles: []\n`)], {
      maxFileBytes: 4096,
    });
    expect(codes(r)).toEqual(['POLICY_FILE_TOO_LARGE']);
  });

  test('non-UTF-8 bytes are refused', () => {
    const r = parsePolicyFiles([
      file('roles.yaml', Buffer.from([0x72, 0x6f, 0x6c, 0x65, 0x73, 0x3a, 0x20, 0xff, 0xfe, 0x0a])),
    ]);
    expect(codes(r)).toEqual(['POLICY_NOT_UTF8']);
  });

  test.each([
    ['flow nesting', `roles: ${'['.repeat(200_000)}${']'.repeat(200_000)}\n`, 'roles.yaml:1:40'],
    [
      'block nesting',
      `${Array.from({ length: 40 }, (_, i) => `${'  '.repeat(i)}k${i}:`).join('\n')} 1\n`,
      'roles.yaml:33:65',
    ],
  ])('%s deeper than the limit is refused quickly, located', (_what, text, where) => {
    const r = parsePolicyFiles([file('roles.yaml', text)], { maxDepth: 32 });
    expect(codes(r)).toEqual(['POLICY_TOO_DEEP']);
    if (!r.ok) expect(`${r.problems[0]!.file}:${r.problems[0]!.line}:${r.problems[0]!.col}`).toBe(where);
  });

  test('block nesting deep enough to exhaust the parser stack is POLICY_TOO_DEEP, not a crash', () => {
    const text = `${Array.from({ length: 1500 }, (_, i) => `${' '.repeat(i)}k:`).join('\n')} 1\n`;
    const r = parsePolicyFiles([file('roles.yaml', text)]);
    expect(codes(r)).toEqual(['POLICY_TOO_DEEP']);
  });

  test('brackets inside quoted text do not count as nesting', () => {
    const r = parsePolicyFiles([file('roles.yaml', `roles: []\n# ${'['.repeat(100)}\ndeny: []\n`)], {
      maxDepth: 8,
    });
    expect(r.ok).toBe(true);
  });

  test('an alias bomb is refused at its first anchor, without expanding', () => {
    const lines = ['a0: &a0 [x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 12; i++)
      lines.push(
        `a${i}: &a${i} [${Array(9)
          .fill(`*a${i - 1}`)
          .join(', ')}]`,
      );
    const r = parsePolicyFiles([file('roles.yaml', `${lines.join('\n')}\n`)]);
    expect(codes(r).every((c) => c === 'POLICY_ALIAS_REFUSED')).toBe(true);
    if (!r.ok) expect(`${r.problems[0]!.line}:${r.problems[0]!.col}`).toBe('1:9');
  });

  test.each([
    ['an alias', 'x: &a 1\nroles: *a\n'],
    ['a tag', 'roles: !!set { a }\n'],
    ['a custom tag', 'roles: !js/function "return 1"\n'],
  ])('%s is refused', (_what, text) => {
    expect(codes(parsePolicyFiles([file('roles.yaml', text)]))).toContain('POLICY_ALIAS_REFUSED');
  });

  test.each([
    ['a syntax error', 'roles: [\n', 'roles.yaml:2:1'],
    ['a duplicate key', 'roles: []\nroles: []\n', 'roles.yaml:2:1'],
    ['several documents', 'roles: []\n---\ndeny: []\n', 'roles.yaml:2:1'],
  ])('%s is a located POLICY_YAML_SYNTAX', (_what, text, where) => {
    const r = parsePolicyFiles([file('roles.yaml', text)]);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.problems[0]!.code).toBe('POLICY_YAML_SYNTAX');
      expect(`${r.problems[0]!.file}:${r.problems[0]!.line}:${r.problems[0]!.col}`).toBe(where);
    }
  });

  test('a YAML merge key is an unknown key, not a merge', () => {
    const r = parsePolicyFiles([
      file(
        'roles.yaml',
        'roles:\n  - name: a\n    <<: { can: [view_audit] }\n    subjects: [{ groups: [x] }]\n',
      ),
    ]);
    expect(codes(r)).toEqual(['POLICY_SCHEMA']);
  });
});

describe('policy version', () => {
  test('is independent of comments, layout, role order and file split', () => {
    const a = parse({
      'roles.yaml': `${role()}  - name: ops\n    subjects: [{ groups: [ops] }]\n    can: [view_audit]\n`,
    });
    const b = parse({
      'x.yaml': '# ops first\nroles:\n  - { name: ops, subjects: [{ groups: [ops] }], can: [view_audit] }\n',
      'y.yaml': role(),
    });
    expect(a.ok && b.ok).toBe(true);
    if (a.ok && b.ok) expect(a.policy.version).toBe(b.policy.version);
  });

  test('changes when a limit changes', () => {
    const a = parse({ 'roles.yaml': role() });
    const b = parse({ 'roles.yaml': role().replace('1h', '2h') });
    if (a.ok && b.ok) expect(a.policy.version).not.toBe(b.policy.version);
    expect(a.ok && b.ok).toBe(true);
  });
});
