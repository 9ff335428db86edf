import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runBuiltCli, runCli } from '../../helpers/cli';
import { tmpDir } from '../../helpers/tmp';

const dir = tmpDir('bg-cli-config-');
afterAll(() => dir.cleanup());

describe('breakglass config check', () => {
  it('exits 0 on a good file', async () => {
    const path = join(dir.path, 'good.yaml');
    writeFileSync(path, 'server:\n  port: 8443\nstore:\n  driver: embedded\n');
    const r = await runCli(['config', 'check', path]);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toContain('configuration is valid');
  });

  it('prints every problem as path: problem (accepted) and exits 2', async () => {
    const path = join(dir.path, 'bad.yaml');
    writeFileSync(path, 'server:\n  port: 99999\n  colour: red\nstore:\n  driver: mongo\n');
    const r = await runCli(['config', 'check', path]);
    expect(r.code).toBe(2);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toEqual(
      expect.arrayContaining([
        'server.port: too large (accepted: <= 65535)',
        expect.stringMatching(/^server\.colour: unknown key \(accepted: listen, port, /),
        'store.driver: not an accepted value (accepted: "embedded", "redis")',
      ]),
    );
    expect(lines[lines.length - 1]).toMatch(/3 problems$/);
  });

  it('checks the file named by BREAKGLASS_CONFIG and the environment overrides', async () => {
    const path = join(dir.path, 'env.yaml');
    writeFileSync(path, 'log:\n  level: info\n');
    const r = await runCli(['config', 'check'], {
      env: { BREAKGLASS_CONFIG: path, BREAKGLASS_LOG__LEVEL: 'loud' },
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('log.level: not an accepted value');
  });

  it('runs from the installed bin entry and exits 2 on malformed YAML', () => {
    const path = join(dir.path, 'broken.yaml');
    writeFileSync(path, 'server: {port: 1\n');
    const r = runBuiltCli(['config', 'check', path]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/broken\.yaml:\d+:\d+: /);
  });

  it('prints the version and help', () => {
    const v = runBuiltCli(['--version']);
    expect(v.code).toBe(0);
    expect(v.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
    const h = runBuiltCli(['--help']);
    expect(h.code).toBe(0);
    expect(h.stdout).toContain('serve');
    expect(h.stdout).toContain('config');
  });

  it('exits 2 on an unknown command', () => {
    expect(runBuiltCli(['frobnicate']).code).toBe(2);
  });
});
