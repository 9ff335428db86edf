import { copyFileSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Transport from 'winston-transport';
import { createFakeClock } from '../../../src/core';
import { createLogger } from '../../../src/logging';
import {
  createPolicyStore,
  hostFromInput,
  type PolicyRefusedEvent,
  type PolicyReloadedEvent,
  type PolicyStore,
} from '../../../src/policy';
import { REPO_ROOT } from '../../helpers/cli';
import { tmpDir } from '../../helpers/tmp';

const POLICIES = join(REPO_ROOT, 'policies');
const alice = { sub: 'a', email: 'alice@example.com', groups: ['admins'], amr: ['pwd'], claims: {} };
const request = { host: 'demo', login: 'root', reason: 'test' };

class Capture extends Transport {
  lines: Array<Record<string, unknown>> = [];
  override log(info: Record<string, unknown>, next: () => void): void {
    this.lines.push(info);
    next();
  }
}

function setup(watch: boolean) {
  const tmp = tmpDir('bg-policy-reload-');
  for (const f of ['roles.yaml', 'deny.yaml', 'hosts.yaml'])
    copyFileSync(join(POLICIES, f), join(tmp.path, f));
  const capture = new Capture();
  const reloaded: PolicyReloadedEvent[] = [];
  const refused: PolicyRefusedEvent[] = [];
  const store = createPolicyStore({
    dir: tmp.path,
    logger: createLogger({ transports: [capture], level: 'debug' }),
    clock: createFakeClock(),
    watch,
    debounceMs: 50,
    onReload: (e) => reloaded.push(e),
    onRefused: (e) => refused.push(e),
  });
  return { tmp, capture, reloaded, refused, store };
}

/** Resolves once `predicate` holds, polling; rejects after `ms` (a hang fails the test, not the suite). */
async function eventually(predicate: () => boolean, ms = 10_000): Promise<void> {
  for (let waited = 0; !predicate(); waited += 20) {
    if (waited > ms) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('policy store: manual reload (SIGHUP, admin API)', () => {
  let ctx: ReturnType<typeof setup>;
  let store: PolicyStore;
  beforeAll(async () => {
    ctx = setup(false);
    store = ctx.store;
    await store.start();
  });
  afterAll(async () => {
    await store.close();
    ctx.tmp.cleanup();
  });

  test('start loads the policy and evaluates with it', () => {
    expect(store.version).toMatch(/^sha256:/);
    expect(store.evaluate(alice, request).effect).toBe('needs_approval');
    expect(ctx.reloaded).toHaveLength(1);
  });

  test('a bad reload keeps the last good policy, says so loudly, and calls onRefused', async () => {
    const good = store.version;
    writeFileSync(
      join(ctx.tmp.path, 'roles.yaml'),
      'roles:\n  - name: admins\n    subjects: [{ groups: [admins] }]\n    max_tll: 1h\n',
    );
    const r = await store.reload('sighup');
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.keptVersion).toBe(good);
      expect(r.problems.map((p) => `${p.line}:${p.col} ${p.code}`)).toEqual(['4:5 POLICY_SCHEMA']);
    }
    expect(store.version).toBe(good);
    expect(store.evaluate(alice, request).effect).toBe('needs_approval');
    expect(ctx.refused).toEqual([expect.objectContaining({ trigger: 'sighup', keptVersion: good })]);
    const error = ctx.capture.lines.find((l) => l.level === 'error');
    expect(error).toMatchObject({
      message: 'policy refused; the last good policy stays active',
      keptVersion: good,
    });
    expect((error!.problems as string[])[0]).toContain('roles.yaml:4:5: roles[0].max_tll: unknown key');
  });

  test('a good reload switches to the new policy', async () => {
    copyFileSync(join(POLICIES, 'roles.yaml'), join(ctx.tmp.path, 'roles.yaml'));
    const same = await store.reload('api');
    expect(same).toMatchObject({ ok: true, changed: false });
    writeFileSync(
      join(ctx.tmp.path, 'roles.yaml'),
      'roles:\n  - { name: admins, subjects: [{ groups: [admins] }], hosts: [{ names: [demo] }], logins: [root], max_ttl: 1h }\n',
    );
    const r = await store.reload('api');
    expect(r).toMatchObject({ ok: true, changed: true });
    expect(store.evaluate(alice, request)).toMatchObject({
      effect: 'allow',
      constraints: { maxTtlMs: 3_600_000 },
    });
  });

  test('concurrent reloads share the work and all resolve', async () => {
    const results = await Promise.all([store.reload(), store.reload(), store.reload()]);
    expect(results.every((r) => r.ok)).toBe(true);
  });
});

describe('policy store: a store that never loaded', () => {
  test('start fails closed with every problem, and evaluation refuses', async () => {
    const ctx = setup(false);
    writeFileSync(join(ctx.tmp.path, 'roles.yaml'), 'roles: {}\n');
    await expect(ctx.store.start()).rejects.toMatchObject({ code: 'POLICY_INVALID' });
    expect(() => ctx.store.evaluate(alice, request)).toThrow(
      expect.objectContaining({ code: 'POLICY_NOT_LOADED' }),
    );
    expect(ctx.refused[0]!.keptVersion).toBeNull();
    await ctx.store.close();
    ctx.tmp.cleanup();
  });
});

describe('policy store: watching the directory', () => {
  let ctx: ReturnType<typeof setup>;
  beforeAll(async () => {
    ctx = setup(true);
    await ctx.store.start();
  });
  afterAll(async () => {
    await ctx.store.close();
    ctx.tmp.cleanup();
  });

  test('a file change triggers a reload', async () => {
    const before = ctx.store.version;
    writeFileSync(
      join(ctx.tmp.path, 'roles.yaml'),
      'roles:\n  - { name: admins, subjects: [{ groups: [admins] }], hosts: [{ names: [demo] }], logins: [root], max_ttl: 2h }\n',
    );
    await eventually(() => ctx.store.version !== before);
    expect(ctx.store.evaluate(alice, request).constraints.maxTtlMs).toBe(7_200_000);
  });

  test('an editor-style atomic replace (write + rename) is seen too', async () => {
    const before = ctx.store.version;
    const temp = join(ctx.tmp.path, '.roles.yaml.swp');
    writeFileSync(
      temp,
      'roles:\n  - { name: admins, subjects: [{ groups: [admins] }], hosts: [{ names: [demo] }], logins: [root], max_ttl: 3h }\n',
    );
    renameSync(temp, join(ctx.tmp.path, 'roles.yaml'));
    await eventually(() => ctx.store.version !== before);
    expect(ctx.store.evaluate(alice, request).constraints.maxTtlMs).toBe(10_800_000);
  });

  test('a bad change is refused by the watcher and the last good policy stays', async () => {
    const good = ctx.store.version;
    const refusedBefore = ctx.refused.length;
    writeFileSync(
      join(ctx.tmp.path, 'roles.yaml'),
      Buffer.from([0x72, 0x6f, 0x6c, 0x65, 0x73, 0x3a, 0xff, 0x0a]),
    );
    await eventually(() => ctx.refused.length > refusedBefore);
    expect(ctx.refused[ctx.refused.length - 1]).toMatchObject({ trigger: 'watch', keptVersion: good });
    expect(ctx.refused[ctx.refused.length - 1]!.problems[0]!.code).toBe('POLICY_NOT_UTF8');
    expect(ctx.store.version).toBe(good);
  });
});

describe('policy store: hosts registered at run time', () => {
  let ctx: ReturnType<typeof setup>;
  beforeAll(async () => {
    ctx = setup(false);
    await ctx.store.start();
  });
  afterAll(async () => {
    await ctx.store.close();
    ctx.tmp.cleanup();
  });

  const runtimeHost = hostFromInput({
    name: 'web-9',
    address: '192.0.2.99',
    labels: { env: 'prod', role: 'web' },
    trust: { host_ca: true },
  });
  const dave = { sub: 'd', email: 'dave@example.com', groups: ['oncall'], amr: ['pwd'], claims: {} };

  test('join the inventory, are evaluated like file hosts, and survive a reload', async () => {
    expect(ctx.store.evaluate(dave, { host: 'web-9', login: 'dave', reason: 'x' }).effect).toBe('deny');
    ctx.store.setRuntimeHosts([runtimeHost]);
    expect(ctx.store.evaluate(dave, { host: 'web-9', login: 'dave', reason: 'x' }).effect).toBe(
      'needs_approval',
    );
    expect(ctx.store.inventory().size).toBe(5);
    await ctx.store.reload('api');
    expect(ctx.store.evaluate(dave, { host: 'web-9', login: 'dave', reason: 'x' }).effect).toBe(
      'needs_approval',
    );
  });

  test('a runtime host may not reuse a file host name; nothing changes', () => {
    expect(() => ctx.store.setRuntimeHosts([{ ...runtimeHost, name: 'demo' }])).toThrow(
      expect.objectContaining({ code: 'POLICY_DUPLICATE_NAME' }),
    );
    expect(ctx.store.inventory().get('web-9')).toBeDefined();
  });

  test('a reload whose hosts.yaml takes a runtime host name is refused', async () => {
    const extra =
      '\n  - { name: web-9, address: 192.0.2.98, labels: { env: prod }, trust: { host_ca: true } }\n';
    writeFileSync(
      join(ctx.tmp.path, 'hosts.yaml'),
      `${readFileSync(join(POLICIES, 'hosts.yaml'), 'utf8')}${extra}`,
    );
    const r = await ctx.store.reload('watch');
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problems[0]!.code).toBe('POLICY_DUPLICATE_NAME');
    expect(ctx.store.inventory().get('web-9')!.address).toBe('192.0.2.99');
  });

  test('hostFromInput validates like hosts.yaml', () => {
    expect(() => hostFromInput({ name: 'Bad Name', address: 'x', trust: {} })).toThrow(
      expect.objectContaining({ code: 'POLICY_SCHEMA' }),
    );
    expect(() =>
      hostFromInput({ name: 'ok', address: '192.0.2.1', trust: { host_ca: true }, colour: 'red' }),
    ).toThrow('unknown keys colour');
  });
});
