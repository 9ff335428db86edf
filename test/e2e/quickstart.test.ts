import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort } from '../helpers/ports';
import { runSsh, sshBaseOptions } from '../helpers/ssh-client';
import { generateKey } from '../helpers/ssh-keygen';
import { startStack, type Stack } from '../helpers/stack';
import { tmpDir } from '../helpers/tmp';

/**
 * The quick start through the composition root (`startBreakglass`, as `serve --dev`
 * runs it): the demo host started by the node, its host certificate trusted by the
 * node's own gateway, and a real OpenSSH client reaching it after a request and an
 * approval, with the session sealed in the audit log.
 */
const LOGIN = userInfo().username;
const policies = tmpDir('bg-qs-policies-');
const keys = tmpDir('bg-qs-keys-');
let stack: Stack;

beforeAll(async () => {
  cpSync(resolve(__dirname, '../../policies'), policies.path, { recursive: true });
  const hostsFile = join(policies.path, 'hosts.yaml');
  writeFileSync(
    hostsFile,
    readFileSync(hostsFile, 'utf8').replace('port: 2200', `port: ${await freePort()}`),
  );
  // The demo sshd runs as this user and accepts only this login (root in CI).
  if (LOGIN !== 'root') {
    const roles = join(policies.path, 'roles.yaml');
    writeFileSync(
      roles,
      readFileSync(roles, 'utf8').replace(
        "logins: [root, '{{email.local}}']",
        `logins: [root, '{{email.local}}', ${LOGIN}]`,
      ),
    );
  }
  stack = await startStack({
    policies: policies.path,
    demoHost: true,
    overrides: { access: { krl_file: 'revoked_keys.krl' } },
  });
});

afterAll(async () => {
  await stack?.close();
  policies.cleanup();
  keys.cleanup();
});

describe('the quick start', () => {
  it('runs the demo host and the gateway, and an approved admin reaches the demo host with OpenSSH', async () => {
    const node = stack.node;
    expect(node.demoHost).not.toBeNull();
    expect(node.gateway).not.toBeNull();
    const alice = await stack.tokenFor('alice');
    const bob = await stack.tokenFor('bob');

    const created = await stack.api(alice, 'POST', '/requests', {
      host: 'demo',
      login: LOGIN,
      reason: 'quick start',
    });
    expect(created.status).toBe(201);
    const id = String(created.body.id);
    expect(created.body.status).toBe('pending');
    const reviewed = await stack.api(bob, 'POST', `/requests/${id}/reviews`, {
      verdict: 'approve',
      comment: 'ok',
    });
    expect(reviewed.status).toBeLessThan(300);

    const key = generateKey(keys.path, 'id_ed25519');
    const issued = await stack.api(alice, 'POST', `/grants/${id}/certificate`, {
      public_key: readFileSync(key.publicPath, 'utf8').trim(),
    });
    expect(issued.status).toBe(201);
    writeFileSync(`${key.privatePath}-cert.pub`, `${String(issued.body.certificate)}\n`);

    const gw = node.gateway!.address;
    // This test is about the demo wiring; the gateway's host key is checked by its own tests.
    const r = await runSsh([
      ...sshBaseOptions(),
      '-i',
      key.privatePath,
      '-p',
      String(gw.port),
      `${LOGIN}@demo@127.0.0.1`,
      'echo quick-start-$((6*7))',
    ]);
    expect({ code: r.code, stdout: r.stdout, stderr: r.code === 0 ? '' : r.stderr }).toEqual({
      code: 0,
      stdout: 'quick-start-42\n',
      stderr: '',
    });

    let ended: { data: Record<string, unknown> } | undefined;
    for (let i = 0; i < 100 && !ended; i++) {
      const rows = await node.store.readLog(node.audit.storeLog, 1, 10_000);
      ended = rows
        .map((row) => JSON.parse(row.data) as { type: string; data: Record<string, unknown> })
        .find((e) => e.type === 'session.ended');
      if (!ended) await new Promise((res) => setTimeout(res, 50));
    }
    expect(ended?.data.recording_sha256).toMatch(/^[0-9a-f]{64}$/);
  });
});
