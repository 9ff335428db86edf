import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openAuditLog, type AuditLog } from '../../../src/audit';
import { loadConfig } from '../../../src/config';
import { systemClock } from '../../../src/core';
import { createSilentLogger } from '../../../src/logging';
import { createStore, type Store } from '../../../src/store';
import { runCli } from '../../helpers/cli';
import { startRedis, type RedisServer } from '../../helpers/redis';
import { tmpDir } from '../../helpers/tmp';

interface Setup {
  name: string;
  yaml: (dir: string) => string;
}

let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis.stop();
});

const setups: Setup[] = [
  {
    name: 'embedded',
    yaml: (dir) => `data_dir: ${dir}/data\ncerts_dir: ${dir}/certs\naudit:\n  log_id: cli-test\n`,
  },
  {
    name: 'redis',
    yaml: (dir) =>
      `data_dir: ${dir}/data\ncerts_dir: ${dir}/certs\nstore:\n  driver: redis\n  redis:\n    url: ${redis.url}\n    key_prefix: "cli-${process.pid}:"\naudit:\n  log_id: cli-test\n  checkpoint:\n    every_entries: 25\n`,
  },
];

describe.each(setups)('breakglass audit with the $name store', (setup) => {
  let dir: ReturnType<typeof tmpDir>;
  let cfg: string;
  const pub = () => join(dir.path, 'certs', 'audit_key.pub');

  /** Appends through the real store and audit module, then closes both (the CLI opens the store itself). */
  async function appendSome(n: number, each: (log: AuditLog, i: number) => Promise<unknown>): Promise<void> {
    const config = loadConfig({ file: cfg });
    const logger = createSilentLogger();
    const store: Store = await createStore(config, { logger, clock: systemClock });
    const log = openAuditLog({ config, store, clock: systemClock, logger });
    for (let i = 0; i < n; i++) await each(log, i);
    await log.close();
    await store.close();
  }

  beforeAll(async () => {
    dir = tmpDir('bg-audit-cli-');
    cfg = join(dir.path, 'breakglass.yaml');
    writeFileSync(cfg, setup.yaml(dir.path));
    await appendSome(60, (log, i) =>
      i % 3 === 0
        ? log.append({
            type: 'login',
            actor: `user:u${i % 4}@example.com`,
            data: { method: 'oidc', groups: ['ops'] },
          })
        : log.append({
            type: 'certificate.issued',
            actor: 'system:ca',
            target: `req-${i}`,
            data: {
              serial: String(i + 1),
              key_fingerprint: 'SHA256:x',
              principals: ['root'],
              valid_after: '2026-01-01T00:00:00.000Z',
              valid_before: '2026-01-01T01:00:00.000Z',
              key_id: `k${i}`,
              grant: `req-${i}`,
            },
          }),
    );
  });
  afterAll(() => dir.cleanup());

  it('exports the log as JSON lines that verify accepts with exit 0 and the summary line', async () => {
    const out = join(dir.path, 'export.jsonl');
    const exp = await runCli(['audit', 'export', '--out', out, '--config', cfg]);
    expect(exp).toMatchObject({ code: 0 });
    const lines = readFileSync(out, 'utf8').trimEnd().split('\n');
    expect(exp.stdout).toContain(`${lines.length} entries written`);
    const last = JSON.parse(lines.at(-1)!);
    expect(last.type).toBe('audit.checkpoint'); // written at close
    const r = await runCli(['audit', 'verify', out, '--pubkey', pub(), '--strict']);
    expect(r.stderr).toBe('');
    expect(r).toMatchObject({ code: 0 });
    expect(r.stdout).toBe(
      `${lines.length} entries verified, head ${last.hash}, last signed checkpoint at seq ${last.data.seq}\n`,
    );
  });

  it('exports from a given seq, and that part verifies on its own', async () => {
    const out = join(dir.path, 'part.jsonl');
    expect((await runCli(['audit', 'export', '--out', out, '--from', '30', '--config', cfg])).code).toBe(0);
    expect(JSON.parse(readFileSync(out, 'utf8').split('\n')[0]!).seq).toBe(30);
    expect((await runCli(['audit', 'verify', out, '--pubkey', pub()])).code).toBe(0);
  });

  it('exits 1 naming the first bad seq and what is wrong', async () => {
    const out = join(dir.path, 'tampered.jsonl');
    await runCli(['audit', 'export', '--out', out, '--config', cfg]);
    const lines = readFileSync(out, 'utf8').split('\n');
    lines[9] = lines[9]!.replace('"actor":"', '"actor":"x');
    writeFileSync(out, lines.join('\n'));
    const r = await runCli(['audit', 'verify', out, '--pubkey', pub()]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('FAILED at seq 10 (line 10): modified');
    expect(r.stderr).toContain('9 entries verified before it');
  });

  it('keeps a checkpoint outside the log and detects a cut tail against it', async () => {
    const kept = join(dir.path, 'kept.json');
    const c = await runCli(['audit', 'checkpoint', '--out', kept, '--config', cfg]);
    expect(c.code).toBe(0);
    const cp = JSON.parse(readFileSync(kept, 'utf8'));
    const out = join(dir.path, 'cut.jsonl');
    await runCli(['audit', 'export', '--out', out, '--config', cfg]);
    const lines = readFileSync(out, 'utf8').split('\n');
    writeFileSync(
      out,
      lines
        .slice(0, 40)
        .map((l) => `${l}\n`)
        .join(''),
    );
    const ok = await runCli(['audit', 'verify', out, '--pubkey', pub()]);
    expect(ok.code).toBe(0); // a shorter log is consistent by itself
    const r = await runCli(['audit', 'verify', out, '--pubkey', pub(), '--checkpoint', kept]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`FAILED at seq 41`);
    expect(r.stderr).toContain(`truncated: the log ends at seq 40 but the given checkpoint`);
    expect(r.stderr).toContain(`commits to seq ${cp.seq}`);
  });

  it('tails the latest entries, filtered by type and actor', async () => {
    const all = await runCli(['audit', 'tail', '-n', '5', '--config', cfg]);
    expect(all.code).toBe(0);
    expect(all.stdout.trimEnd().split('\n')).toHaveLength(5);
    const logins = await runCli([
      'audit',
      'tail',
      '--type',
      'login',
      '--actor',
      'user:u0@example.com',
      '-n',
      '100',
      '--json',
      '--config',
      cfg,
    ]);
    const rows = logins.stdout
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(rows.length).toBe(5); // i = 0, 12, 24, 36, 48
    expect(rows.every((e) => e.type === 'login' && e.actor === 'user:u0@example.com')).toBe(true);
    expect(rows.map((e) => e.seq)).toEqual([...rows.map((e) => e.seq)].sort((a, b) => a - b));
  });

  it.each([
    [['audit', 'verify', 'nope.jsonl'], 2, /AUDIT_FILE_UNREADABLE/],
    [['audit', 'verify', 'x', '--strict'], 2, /--strict needs --pubkey/],
    [['audit', 'export', '--out', 'x', '--from', '0'], 2, /not a positive integer/],
  ])('refuses bad usage %j with exit %i', async (args, code, message) => {
    const r = await runCli(args as string[], { cwd: dir.path });
    expect(r.code).toBe(code);
    expect(r.stderr).toMatch(message);
  });
});
