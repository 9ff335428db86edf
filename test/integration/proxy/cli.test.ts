import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openAuditLog } from '../../../src/audit';
import { loadConfig } from '../../../src/config';
import { systemClock } from '../../../src/core';
import { createSilentLogger } from '../../../src/logging';
import { recordingsDir } from '../../../src/proxy';
import { SessionRecorder } from '../../../src/proxy/gateway/session-recorder';
import { createRecordingFiles } from '../../../src/recording';
import { createStore } from '../../../src/store';
import { runCli } from '../../helpers/cli';
import { tmpDir } from '../../helpers/tmp';

/** `breakglass gateway hostkey`, `breakglass ssh-config` and `breakglass recordings verify` against the configured store. */
const tmp = tmpDir('bg-gw-cli-');
const configFile = join(tmp.path, 'breakglass.yaml');
writeFileSync(
  configFile,
  [
    'data_dir: data',
    'certs_dir: certs',
    'store:',
    '  embedded:',
    '    fsync: false',
    'proxy:',
    '  port: 2222',
    '  public_host: gateway.example.com',
    'recording:',
    '  checkpoint_interval: 1s',
    '',
  ].join('\n'),
);
const cli = (...args: string[]) => runCli([...args, '--config', configFile], { cwd: tmp.path });

afterAll(() => tmp.cleanup());

describe('breakglass gateway hostkey', () => {
  it('creates the host key once (mode 0600) and prints the fingerprint ssh-keygen computes and a known_hosts line', async () => {
    const first = await cli('gateway', 'hostkey');
    expect(first.code).toBe(0);
    expect(first.stderr).toMatch(/^created .*gateway_host_ed25519_key\n$/);
    const path = join(tmp.path, 'certs', 'gateway_host_ed25519_key');
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const keygen = execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', path], { encoding: 'utf8' }).split(
      ' ',
    )[1];
    expect(first.stdout).toContain(`fingerprint: ${keygen}\n`);
    expect(first.stdout).toMatch(
      /^known_hosts: \[gateway\.example\.com\]:2222 ssh-ed25519 AAAA[A-Za-z0-9+/=]+$/m,
    );
    const again = await cli('gateway', 'hostkey');
    expect(again.stderr).toBe('');
    expect(again.stdout).toBe(first.stdout);
  });
});

describe('breakglass ssh-config', () => {
  it('prints a block OpenSSH reads as the gateway host, port, certificate and pinned host key file', async () => {
    const r = await cli('ssh-config', '--identity', '~/.ssh/id_bg', '--alias', 'bg');
    expect(r.code).toBe(0);
    const file = join(tmp.path, 'ssh_config');
    writeFileSync(file, r.stdout);
    const g = spawnSync('ssh', ['-G', '-F', file, 'root@db-1@bg'], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH, HOME: tmp.path },
    });
    expect(g.status).toBe(0);
    const settings = g.stdout;
    expect(settings).toMatch(/^user root@db-1$/m);
    expect(settings).toMatch(/^hostname gateway\.example\.com$/m);
    expect(settings).toMatch(/^port 2222$/m);
    expect(settings).toMatch(/^certificatefile ~\/\.ssh\/id_bg-cert\.pub$/m);
    expect(settings).toMatch(/^stricthostkeychecking true$/m);
    expect(settings).toMatch(/^identitiesonly yes$/m);
    expect(r.stdout).toMatch(/^# \[gateway\.example\.com\]:2222 ssh-ed25519 /m);
  });

  it.each([
    [['--alias', 'a b'], '--alias'],
    [['--identity', '~/my key'], '--identity'],
  ])('refuses %j', async (args, flag) => {
    const r = await cli('ssh-config', ...args);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(flag);
  });
});

describe('breakglass recordings verify (configured store)', () => {
  let id = '';

  beforeAll(async () => {
    const config = loadConfig({ file: configFile });
    const logger = createSilentLogger();
    const store = await createStore(config, { logger, clock: systemClock });
    const audit = openAuditLog({ config, store, clock: systemClock, logger });
    id = 'cafe0001-1';
    const rec = await SessionRecorder.start(
      {
        audit,
        files: createRecordingFiles({ dir: recordingsDir(config) }),
        clock: systemClock,
        logger,
        checkpointIntervalMs: 60_000,
        flushIntervalMs: 100,
        batchBytes: 4096,
        maxPendingBytes: 1 << 20,
      },
      {
        sessionId: id,
        connectionId: 'cafe0001',
        user: 'alice@example.com',
        grantId: 'g1',
        host: 'db-1',
        login: 'root',
        clientAddress: '127.0.0.1',
        upstreamSerial: '7',
      },
      { kind: 'exec', command: 'seq 1000', recordInput: false, onFailure: () => undefined },
    );
    for (let i = 0; i < 3; i++) {
      rec.writer.output(Buffer.from(`${'line\n'.repeat(200)}`));
      await rec.checkpoint();
    }
    await rec.end({ reason: 'exit', exit: { code: 0 } });
    await audit.close();
    await store.close();
  });

  it('reads the seal from the audit log in the store and says the recording is intact', async () => {
    const r = await cli('recordings', 'verify', id);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      new RegExp(
        `^recording ${id} is intact: \\d+ bytes, sha256 [0-9a-f]{64}, matches 3 checkpoints \\(audit seq 2, 3, 4\\) and the final seal \\(audit seq 5\\)\\n$`,
      ),
    );
  });

  it('names the line a tampered recording differs in, between the last good checkpoint and the first bad one', async () => {
    const path = join(tmp.path, 'data', 'recordings', `${id}.cast`);
    const original = readFileSync(path);
    const text = original.toString('utf8');
    const lines = text.split('\n');
    lines[3] = lines[3]!.replace(/"ob", "(.)/, (_m, c: string) => `"ob", "${c === 'A' ? 'B' : 'A'}`);
    writeFileSync(path, lines.join('\n'));
    try {
      const r = await cli('recordings', 'verify', id);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(
        /^recording cafe0001-1: FAILED: bytes \d+-\d+ \(line 4\) differ from what was sealed: checkpoint #3 \(at byte \d+\) does not match, checkpoint #2 does\n/,
      );
      expect(r.stderr).toContain('2 of them matched before the difference');
    } finally {
      writeFileSync(path, original);
    }
  });

  it.each([
    [['recordings', 'verify', 'nope-1'], 'PROXY_RECORDING_NOT_SEALED'],
    [['recordings', 'verify', '../etc/passwd'], 'RECORDING_INVALID_ID'],
  ])('refuses %j with %s', async (args, code) => {
    const r = await cli(...args);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(code);
  });
});
