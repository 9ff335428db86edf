import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT, runCli } from '../../helpers/cli';
import { tmpDir } from '../../helpers/tmp';

const POLICIES = join(REPO_ROOT, 'policies');
const FIXTURES = join(REPO_ROOT, 'test', 'fixtures', 'policy');
let tmp: { path: string; cleanup: () => void };
const cli = (...args: string[]) => runCli(args, { cwd: tmp.path, env: {} });

beforeAll(() => {
  tmp = tmpDir('bg-policy-cli-');
});
afterAll(() => tmp.cleanup());

describe('breakglass policy check', () => {
  test('the example policies are valid', async () => {
    const r = await cli('policy', 'check', POLICIES);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/valid: 4 roles, 1 deny rules, 4 hosts, version sha256:[0-9a-f]{64}/);
  });

  test('the default directory is ./policies', async () => {
    const dir = join(tmp.path, 'default');
    mkdirSync(join(dir, 'policies'), { recursive: true });
    for (const f of ['roles.yaml', 'deny.yaml', 'hosts.yaml'])
      copyFileSync(join(POLICIES, f), join(dir, 'policies', f));
    const r = await runCli(['policy', 'check'], { cwd: dir, env: {} });
    expect(r.code).toBe(0);
  });

  test('a bad directory exits 1 with every problem located', async () => {
    const dir = join(tmp.path, 'bad');
    mkdirSync(dir);
    copyFileSync(join(POLICIES, 'hosts.yaml'), join(dir, 'hosts.yaml'));
    writeFileSync(
      join(dir, 'a.yaml'),
      'roles:\n  - name: x\n    subjects: [{ groups: [a] }]\n    colour: red\n',
    );
    writeFileSync(join(dir, 'b.yaml'), "roles:\n  - name: y\n    subjects: [{ groups: ['^(a+)+$'] }]\n");
    const r = await cli('policy', 'check', dir);
    expect(r.code).toBe(1);
    const lines = r.stderr.trim().split('\n');
    expect(lines[0]).toBe(
      `${join(dir, 'a.yaml')}:4:5: roles[0].colour: unknown key (accepted: name, description, subjects, hosts, logins, max_ttl, valid_from, valid_until, approval, emergency, mfa, ssh, can, immutable) [POLICY_SCHEMA]`,
    );
    expect(lines[1]).toMatch(
      new RegExp(`^${join(dir, 'b.yaml')}:3:27: .*refused.* \\[POLICY_UNSAFE_REGEX\\]$`),
    );
    expect(lines[2]).toBe(`${dir}: 2 problems; policy refused`);
  });

  test('a missing directory exits 1', async () => {
    const r = await cli('policy', 'check', join(tmp.path, 'nope'));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('cannot read the policy directory (ENOENT) [POLICY_DIR_UNREADABLE]');
  });
});

describe('breakglass policy test (one request)', () => {
  const base = ['policy', 'test', '--policies', POLICIES];

  test('prints the decision and its reasons', async () => {
    const r = await cli(
      ...base,
      '--user',
      'alice@example.com',
      '--groups',
      'admins',
      '--host',
      'demo',
      '--login',
      'root',
      '--ttl',
      '1h',
      '--reason',
      'demo',
    );
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('effect: needs_approval');
    expect(r.stdout).toContain('ttl: 1h (max 4h)');
    expect(r.stdout).toContain('approvals: 1 from role approvers');
    expect(r.stdout).toContain(
      'roles.yaml:admins [needs_approval] grants root on demo up to 4h after 1 approval from role approvers',
    );
  });

  test('--json prints the decision as JSON', async () => {
    const r = await cli(
      ...base,
      '--user',
      'dave@example.com',
      '--groups',
      'oncall',
      '--host',
      'web-1',
      '--login',
      'dave',
      '--emergency',
      '--reason',
      'down',
      '--amr',
      'pwd,mfa',
      '--json',
    );
    expect(r.code).toBe(0);
    const d = JSON.parse(r.stdout);
    expect(d).toMatchObject({
      effect: 'emergency_allowed',
      matchedRoles: ['oncall'],
      hosts: ['web-1'],
      constraints: { ttlMs: 3_600_000, emergency: { postReview: true } },
    });
  });

  test('a selector request', async () => {
    const r = await cli(
      ...base,
      '--user',
      'dave@example.com',
      '--groups',
      'oncall',
      '--selector',
      'env=prod',
      '--selector',
      'role=web',
      '--login',
      'dave',
      '--reason',
      'x',
      '--json',
    );
    expect(JSON.parse(r.stdout)).toMatchObject({ effect: 'needs_approval', hosts: ['web-1', 'web-2'] });
  });

  test('a denial lists why', async () => {
    const r = await cli(
      ...base,
      '--user',
      'carol@example.com',
      '--groups',
      'security',
      '--host',
      'demo',
      '--login',
      'carol',
    );
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('effect: deny');
    expect(r.stdout).toContain(
      'default [deny] no role grants carol@example.com access to demo (deny by default)',
    );
  });

  test.each([
    [['--user', 'a@example.com', '--host', 'demo'], 'needs --user, --login and --host'],
    [['--user', 'a@example.com', '--host', 'demo', '--login', 'x', '--ttl', 'soon'], 'is not a duration'],
    [['--user', 'a@example.com', '--host', 'demo', '--selector', 'env=dev', '--login', 'x'], 'not both'],
    [['--user', 'a@example.com', '--selector', 'env', '--login', 'x'], 'is not KEY=VALUE'],
  ])('bad usage %j exits 2', async (args, text) => {
    const r = await cli(...base, ...args);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(text);
  });
});

describe('breakglass policy test --cases', () => {
  test('the example policies pass their own cases', async () => {
    const r = await cli('policy', 'test', '--cases', join(POLICIES, 'tests'));
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^11 passed, 0 failed$/m);
  });

  test('failures show expected vs actual and the reasons, and exit 1', async () => {
    const r = await cli('policy', 'test', '--cases', join(FIXTURES, 'failing-cases.yaml'));
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('FAIL bob expects to reach the demo host');
    expect(r.stdout).toContain('effect: expected "allow", got "deny"');
    expect(r.stdout).toContain(
      'default [deny] no role grants bob@example.com access to demo (deny by default)',
    );
    expect(r.stdout).toContain('ok   alice without a reason');
    expect(r.stdout).toContain(
      'permissions: expected ["manage_hosts"], got ["review_requests","terminate_sessions","view_audit","watch_sessions"]',
    );
    expect(r.stdout).toMatch(/^1 passed, 2 failed$/m);
  });

  test('--policies overrides the file’s policies key', async () => {
    const r = await cli(
      'policy',
      'test',
      '--policies',
      join(tmp.path, 'nope'),
      '--cases',
      join(FIXTURES, 'failing-cases.yaml'),
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('POLICY_DIR_UNREADABLE');
  });

  test('an invalid case file is reported located and fails', async () => {
    const r = await cli(
      'policy',
      'test',
      '--policies',
      POLICIES,
      '--cases',
      join(FIXTURES, 'invalid-cases.yaml'),
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      `${join(FIXTURES, 'invalid-cases.yaml')}:6:15: cases[0].expect.efect: unknown key`,
    );
  });

  test('--json reports every result', async () => {
    const r = await cli('policy', 'test', '--cases', join(POLICIES, 'tests', 'quickstart.yaml'), '--json');
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ passed: 11, failed: 0 });
    expect(out.files[0].results).toHaveLength(11);
  });
});
