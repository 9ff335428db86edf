import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadPolicyDir, loadPolicyDirOrThrow } from '../../../src/policy';
import { REPO_ROOT } from '../../helpers/cli';
import { tmpDir } from '../../helpers/tmp';

const POLICIES = join(REPO_ROOT, 'policies');
let tmp: { path: string; cleanup: () => void };
let n = 0;
function dirWith(files: Record<string, string | Buffer>): string {
  const dir = join(tmp.path, `d${n++}`);
  mkdirSync(dir);
  copyFileSync(join(POLICIES, 'hosts.yaml'), join(dir, 'hosts.yaml'));
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
  return dir;
}
const codes = (r: Awaited<ReturnType<typeof loadPolicyDir>>) => (r.ok ? [] : r.problems.map((p) => p.code));

beforeAll(() => {
  tmp = tmpDir('bg-policy-dir-');
});
afterAll(() => tmp.cleanup());

describe('loading a policy directory', () => {
  test('reads *.yaml and *.yml at the top level only', async () => {
    const dir = dirWith({
      'a.yml': 'roles:\n  - { name: a, subjects: [{ groups: [x] }], can: [view_audit] }\n',
    });
    mkdirSync(join(dir, 'tests'));
    writeFileSync(join(dir, 'tests', 'cases.yaml'), 'cases: not policy\n');
    writeFileSync(join(dir, 'notes.txt'), 'ignored');
    const r = await loadPolicyDir(dir);
    expect(r.ok).toBe(true);
    if (r.ok) {
      expect(r.files).toEqual([join(dir, 'a.yml'), join(dir, 'hosts.yaml')]);
      expect(r.policy.roles.map((x) => x.id)).toEqual(['a.yml:a']);
    }
  });

  test('a file over the size limit is refused without reading it', async () => {
    const dir = dirWith({ 'big.yaml': `# ${'x'.repeat(20_000)}\n` });
    const r = await loadPolicyDir(dir, { maxFileBytes: 10_000 });
    expect(codes(r)).toEqual(['POLICY_FILE_TOO_LARGE']);
    if (!r.ok) expect(r.problems[0]!.message).toContain('(accepted: at most 10000)');
  });

  test('too many files are refused', async () => {
    const dir = dirWith({ 'a.yaml': 'roles: []\n', 'b.yaml': 'roles: []\n' });
    expect(codes(await loadPolicyDir(dir, { maxFiles: 2 }))).toEqual(['POLICY_TOO_MANY_FILES']);
  });

  test.each([
    ['a missing directory', 'missing', 'POLICY_DIR_UNREADABLE'],
    ['a directory without policy files', 'empty', 'POLICY_DIR_UNREADABLE'],
  ])('%s is refused', async (_what, name, code) => {
    if (name === 'empty') mkdirSync(join(tmp.path, name));
    expect(codes(await loadPolicyDir(join(tmp.path, name)))).toEqual([code]);
  });

  test('loadPolicyDirOrThrow lists every located problem in one POLICY_INVALID error', async () => {
    const dir = dirWith({
      'a.yaml': 'roles:\n  - { name: a, subjects: [{ groups: [x] }], bad: 1 }\n',
      'b.yaml': 'deny: [{ name: d }]\n',
    });
    await expect(loadPolicyDirOrThrow(dir)).rejects.toMatchObject({
      code: 'POLICY_INVALID',
      message: expect.stringMatching(/policy refused \(2 problems\):\n.*a\.yaml:2:45: .*\n.*b\.yaml:1:8: /),
    });
  });
});
