import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { checkConfig, envOverrides } from '../../../src/config';

// No Docker engine runs here: the compose file is checked by reading it.
const ROOT = join(__dirname, '../../..');
interface Service {
  image?: string;
  build?: string;
  command?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
  ports?: string[];
  depends_on?: Record<string, { condition: string }>;
}
const compose = parse(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
  services: Record<string, Service>;
};
const replicas = Object.entries(compose.services).filter(([name]) => name.startsWith('breakglass'));

describe('docker-compose.yml', () => {
  it('runs Redis with AOF and fsync on every write', () => {
    const cmd = compose.services.redis!.command!.join(' ');
    expect(cmd).toContain('--appendonly yes');
    expect(cmd).toContain('--appendfsync always');
  });

  it('runs at least two replicas sharing that Redis', () => {
    expect(replicas.length).toBeGreaterThanOrEqual(2);
    for (const [, svc] of replicas) {
      expect(svc.environment).toMatchObject({
        BREAKGLASS_STORE__DRIVER: 'redis',
        BREAKGLASS_STORE__REDIS__URL: 'redis://redis:6379/0',
      });
      expect(svc.depends_on?.redis?.condition).toBe('service_healthy');
    }
  });

  it('gives the replicas one shared certs volume and a data volume each', () => {
    const certs = replicas.map(([, s]) => s.volumes!.find((v) => v.endsWith(':/var/lib/breakglass/certs')));
    expect(new Set(certs).size).toBe(1);
    const data = replicas.map(([, s]) => s.volumes!.find((v) => v.endsWith(':/var/lib/breakglass/data')));
    expect(new Set(data).size).toBe(replicas.length);
  });

  it('builds from a Dockerfile in the repository and mounts files that exist', () => {
    expect(existsSync(join(ROOT, 'Dockerfile'))).toBe(true);
    for (const [, svc] of replicas) {
      expect(svc.build).toBe('.');
      for (const v of svc.volumes!) {
        const source = v.split(':')[0]!;
        if (source.startsWith('./'))
          expect({ source, exists: existsSync(join(ROOT, source)) }).toEqual({ source, exists: true });
      }
    }
  });

  it('mounts a configuration that passes `config check` with the replicas environment', () => {
    const [, svc] = replicas[0]!;
    const file = join(ROOT, 'deploy/breakglass.yaml');
    const env = Object.fromEntries(Object.entries(svc.environment!).map(([k, v]) => [k, String(v)]));
    expect(Object.keys(envOverrides(env))).toEqual(expect.arrayContaining(['store', 'server']));
    expect(checkConfig({ file, env })).toEqual([]);
  });
});
