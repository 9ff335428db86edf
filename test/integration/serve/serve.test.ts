import type { ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runBuiltCli, spawnBuiltCli } from '../../helpers/cli';
import { startRedis, type RedisServer } from '../../helpers/redis';
import { tmpDir } from '../../helpers/tmp';

const dir = tmpDir('bg-serve-');
let redis: RedisServer;
const children: ChildProcess[] = [];

beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  for (const c of children) c.kill('SIGKILL');
  await redis.stop();
  dir.cleanup();
});

/** Starts `breakglass serve` and resolves with its URL once it says it is running. */
async function serve(
  config: string,
  env: NodeJS.ProcessEnv = {},
): Promise<{ url: string; child: ChildProcess; output: () => string }> {
  const child = spawnBuiltCli(['serve', '--config', config], { env });
  children.push(child);
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start:\n${out}`)), 30_000);
    const check = () => {
      const m = /running at (http:\/\/[^\s]+?) /.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    };
    child.stdout!.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited with ${code}:\n${out}`));
    });
  });
  return { url, child, output: () => out };
}

function writeConfig(name: string, body: string): string {
  const path = join(dir.path, `${name}.yaml`);
  writeFileSync(path, body);
  return path;
}

async function stop(child: ChildProcess): Promise<number | null> {
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.kill('SIGTERM');
  return exited;
}

describe('breakglass serve', () => {
  it('answers /healthz, /readyz and /metrics with the embedded store, and stops cleanly on SIGTERM', async () => {
    const config = writeConfig(
      'embedded',
      `data_dir: data-e\ncerts_dir: certs-e\nserver:\n  port: 0\nproxy:\n  port: 0\n`,
    );
    const { url, child } = await serve(config);
    expect(await (await fetch(`${url}/healthz`)).json()).toEqual({ status: 'ok' });
    const ready = await fetch(`${url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'ready', checks: { store: 'ok' } });
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toMatch(/^breakglass_build_info\{[^}]*ssh2_native_crypto="true"[^}]*\} 1$/m);
    expect(metrics).toContain('breakglass_process_cpu_seconds_total');
    expect(await stop(child)).toBe(0);
  });

  it('answers /readyz 503 with the reason while Redis is down, and recovers when it returns', async () => {
    const config = writeConfig(
      'redis',
      `data_dir: data-r\ncerts_dir: certs-r\nserver:\n  port: 0\nproxy:\n  port: 0\nstore:\n  driver: redis\n  redis:\n    url: ${redis.url}\n    command_timeout: 300ms\n    max_backoff: 200ms\n`,
    );
    const { url, child } = await serve(config);
    expect((await fetch(`${url}/readyz`)).status).toBe(200);
    await redis.kill();
    const down = await fetch(`${url}/readyz`);
    expect(down.status).toBe(503);
    const body = (await down.json()) as { checks: { store: string } };
    expect(body.checks.store).not.toBe('ok');
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    await redis.restart();
    let status = 0;
    for (let i = 0; i < 50 && status !== 200; i++) {
      status = (await fetch(`${url}/readyz`)).status;
      if (status !== 200) await new Promise((r) => setTimeout(r, 100));
    }
    expect(status).toBe(200);
    expect(await stop(child)).toBe(0);
  });

  it('refuses an invalid configuration with exit 2 and starts nothing', () => {
    const dataDir = join(dir.path, 'never-created');
    const config = writeConfig('invalid', `data_dir: ${dataDir}\nserver:\n  port: 99999\n`);
    const r = runBuiltCli(['serve', '--config', config]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('server.port: too large (accepted: <= 65535)');
    expect(existsSync(dataDir)).toBe(false);
  });

  it('says exactly what is wrong when the data directory is not writable', () => {
    if (process.getuid?.() === 0) {
      // root ignores permission bits: make the data directory a file instead.
      writeFileSync(join(dir.path, 'data-file'), 'not a directory');
    } else {
      mkdirSync(join(dir.path, 'data-file'));
      chmodSync(join(dir.path, 'data-file'), 0o500);
    }
    const config = writeConfig(
      'unwritable',
      `data_dir: data-file\ncerts_dir: certs-u\nserver:\n  port: 0\nproxy:\n  port: 0\n`,
    );
    const r = runBuiltCli(['serve', '--config', config]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/STORE_DATA_DIR: .*data-file/);
  });
});
