import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatAuthorizedKey, generateKeyPair } from '../src/ca';
import { loadConfig } from '../src/config';
import { claimsToSubject } from '../src/identity';
import { createSilentLogger } from '../src/logging';
import { startBreakglass } from '../src/main';
import { argNumber, percentile, type Benchmark } from './harness';
import { sshKeygenCertificatesPerSecond } from './ssh-keygen-baseline';

/**
 * End-to-end certificate issuance over HTTP: POST /api/v1/grants/{id}/certificate
 * through the whole node (rate limit, API token check, input validation, grant and
 * owner check, key policy, serial allocation, signing, the certificate record and a
 * durable audit entry, with the embedded store fsyncing), from `--clients` concurrent
 * clients (default 32) over keep-alive connections, bounded by `--count` (default
 * 20,000) and `--ms` (default 20,000). Baseline: `ssh-keygen -s` run once per
 * certificate (`--keygen-count`, default 100). Target: >= 1,000 certificates/s and
 * p99 < 50 ms with the embedded store.
 */
/** The load generator (plain JavaScript, run in a worker thread). */
const CLIENT_CODE = `
const { parentPort, workerData } = require('node:worker_threads');
const { Agent, request } = require('node:http');
const { host, port, users, total, deadlineMs } = workerData;
const agent = new Agent({ keepAlive: true, maxSockets: users.length });
function post(path, token, body) {
  return new Promise((resolve, reject) => {
    const req = request({ host, port, path, method: 'POST', agent, headers: {
      authorization: 'Bearer ' + token, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
      (res) => { const chunks = []; res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString('utf8') })); });
    req.on('error', reject);
    req.end(body);
  });
}
(async () => {
  const latencies = []; let issued = 0; let failed = 0; let next = 0; let firstFailure = null;
  const start = process.hrtime.bigint();
  const deadline = start + BigInt(deadlineMs) * 1000000n;
  await Promise.all(users.map(async (u) => {
    while (next < total && process.hrtime.bigint() < deadline) {
      next++;
      const t0 = process.hrtime.bigint();
      const r = await post('/api/v1/grants/' + u.grant + '/certificate', u.token, u.body);
      latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
      if (r.status === 201) issued++; else { failed++; firstFailure = firstFailure || ('HTTP ' + r.status + ' ' + r.body.slice(0, 300)); }
    }
  }));
  agent.destroy();
  parentPort.postMessage({ issued, failed, seconds: Number(process.hrtime.bigint() - start) / 1e9, latencies, firstFailure });
})();
`;

export const benchmark: Benchmark = async (ctx) => {
  const clients = argNumber(ctx.args, 'clients', 32);
  const count = argNumber(ctx.args, 'count', 20_000);
  const ms = argNumber(ctx.args, 'ms', 20_000);
  const keygenCount = argNumber(ctx.args, 'keygen-count', 100);
  const warmup = argNumber(ctx.args, 'warmup', 2_000);
  const dir = mkdtempSync(join(tmpdir(), 'bg-bench-issue-'));
  const policies = join(dir, 'policies');
  mkdirSync(policies);
  mkdirSync(join(dir, 'certs'), { mode: 0o700 });
  writeFileSync(
    join(policies, 'roles.yaml'),
    'roles:\n  - name: bench\n    subjects:\n      - groups: [bench]\n    hosts:\n      - labels:\n          env: dev\n    logins: [deploy]\n    max_ttl: 4h\n    ssh:\n      pty: true\n',
  );
  writeFileSync(
    join(policies, 'hosts.yaml'),
    'hosts:\n  - name: dev-1\n    address: 127.0.0.1\n    labels: { env: dev }\n    trust: { host_ca: true }\n',
  );
  const config = loadConfig({
    overrides: {
      data_dir: join(dir, 'data'),
      certs_dir: join(dir, 'certs'),
      server: { port: 0, listen: '127.0.0.1' },
      log: { level: 'error' },
      policy: { dir: policies },
      store: { driver: 'embedded' },
      identity: { rate_limits: { api: { max: 1_000_000, window: '1m' } } },
    },
  });
  const node = await startBreakglass(config, { logger: createSilentLogger() });
  const agent = new Agent({ keepAlive: true, maxSockets: clients });
  const base = new URL(node.url);
  const post = (path: string, token: string, body: string) =>
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(
        {
          host: base.hostname,
          port: base.port,
          path,
          method: 'POST',
          agent,
          headers: {
            authorization: `Bearer ${token}`,
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
          );
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  try {
    // One user, token, grant and key per client.
    const users = await Promise.all(
      Array.from({ length: clients }, async (_, i) => {
        const subject = claimsToSubject({
          sub: `bench-${i}`,
          email: `bench-${i}@example.com`,
          groups: ['bench'],
          amr: ['pwd'],
        });
        const login = await node.web.identity.sessions.create(subject, 'oidc');
        const token = (await node.web.identity.issueToken(login, 'bench')).token;
        const created = await post(
          '/api/v1/requests',
          token,
          JSON.stringify({ host: 'dev-1', login: 'deploy', reason: 'bench' }),
        );
        const grant = JSON.parse(created.body) as { id: string; status: string };
        if (grant.status !== 'active') throw new Error(`grant not active: ${created.body}`);
        const key = generateKeyPair('ed25519');
        return {
          token,
          grant: grant.id,
          body: JSON.stringify({ public_key: formatAuthorizedKey(key.publicKey, `bench-${i}`) }),
          key,
        };
      }),
    );
    // The clients run in a worker thread so that they do not take the server's event loop.
    const run = (total: number, deadlineMs: number) =>
      new Promise<{
        issued: number;
        failed: number;
        seconds: number;
        latencies: number[];
        firstFailure: string | null;
      }>((resolve, reject) => {
        const worker = new Worker(CLIENT_CODE, {
          eval: true,
          workerData: {
            host: base.hostname,
            port: Number(base.port),
            users: users.map((u) => ({ token: u.token, grant: u.grant, body: u.body })),
            total,
            deadlineMs,
          },
        });
        worker.once('message', resolve);
        worker.once('error', reject);
      });
    await run(warmup, 10_000);
    const cpu0 = process.cpuUsage();
    const elu0 = performance.eventLoopUtilization();
    const r = await run(count, ms);
    const elu = performance.eventLoopUtilization(elu0);
    const cpu = process.cpuUsage(cpu0);
    if (r.firstFailure) ctx.note(`first failure: ${r.firstFailure}`);
    // The server's event loop: busy time per certificate bounds what one core can do.
    const busyMs = elu.active / Math.max(1, r.issued + r.failed);
    ctx.note(`server event loop ${(elu.utilization * 100).toFixed(0)}% busy`);
    ctx.figure('server event-loop busy time per certificate', busyMs, 'ms');
    ctx.figure('certificates/s one free core could serve at that cost', 1000 / busyMs, 'certificates/s');
    const rate = r.issued / r.seconds;
    ctx.note(
      `${clients} clients, ${r.issued} certificates in ${r.seconds.toFixed(2)} s, ${r.failed} failed; store ${node.store.driver}, fsync ${String(config.store.embedded.fsync)}`,
    );
    ctx.figure('end-to-end certificates over HTTP', rate, 'certificates/s');
    ctx.figure('latency p50', percentile(r.latencies, 50), 'ms');
    ctx.figure('latency p99', percentile(r.latencies, 99), 'ms');
    ctx.figure(
      'CPU per certificate (server and client threads)',
      (cpu.user + cpu.system) / 1000 / Math.max(1, r.issued + r.failed),
      'ms',
    );

    // Baseline: ssh-keygen -s once per certificate.
    const keygen = sshKeygenCertificatesPerSecond({
      caPrivateKey: generateKeyPair('ed25519').privateKey,
      userPublicKey: users[0]!.key.publicKey,
      keyId: (i) => `user=bench grant=g serial=${i}`,
      principal: 'deploy',
      count: keygenCount,
    });
    ctx.figure(`ssh-keygen -s once per certificate (${keygenCount} runs)`, keygen, 'certificates/s');
    ctx.ratio('end-to-end HTTP issuance / ssh-keygen -s', rate, keygen);
    ctx.ratio('end-to-end certificates/s / 1,000 (target)', rate, 1000, { min: 1 });
    ctx.ratio('p99 latency / 50 ms (target)', percentile(r.latencies, 99), 50, { max: 1 });
  } finally {
    agent.destroy();
    await node.close();
    rmSync(dir, { recursive: true, force: true });
  }
};
