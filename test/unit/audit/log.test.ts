import { compactVerify, importJWK } from 'jose';
import {
  createAuditLog,
  createKeySigner,
  verifyLines,
  type AuditEvent,
  type AuditForwarder,
  type AuditEntry,
} from '../../../src/audit';
import { loadConfig } from '../../../src/config';
import { createFakeClock } from '../../../src/core';
import { createSilentLogger } from '../../../src/logging';
import { keysOf, makeKeyPair } from './log-fixture';
import { memoryLogStore } from './memory-store';

const key = makeKeyPair();
const login = (i: number): AuditEvent => ({
  type: 'login',
  actor: `user:u${i}@example.com`,
  data: { method: 'oidc', groups: ['ops'] },
});

function setup(audit: Record<string, unknown> = {}, forwarders: AuditForwarder[] = []) {
  const store = memoryLogStore();
  const clock = createFakeClock();
  const config = loadConfig({ overrides: { audit: { log_id: 'unit', ...audit } } }).audit;
  const log = createAuditLog({
    store,
    signer: createKeySigner(key),
    clock,
    logger: createSilentLogger(),
    config,
    forwarders,
  });
  const lines = () => store.entries.map((e) => e.data);
  return { store, clock, log, lines };
}

const settle = () => new Promise((r) => setImmediate(r));
/** Waits (a bounded number of short pauses) until `cond` holds; background work may be slow on a busy machine. */
async function eventually(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 400 && !cond(); i++) await new Promise((r) => setTimeout(r, 5));
}

describe('appending', () => {
  it('resolves with the durable entry, chained from genesis, and the stored line verifies', async () => {
    const { log, lines, store } = setup();
    const a = await log.append(login(1));
    const b = await log.append({ ...login(2), target: 'db-1', policy_version: 'p1' });
    expect(a).toMatchObject({
      seq: 1,
      type: 'login',
      actor: 'user:u1@example.com',
      prev: '0'.repeat(64),
      time: '2026-01-01T00:00:00.000Z',
    });
    expect(b).toMatchObject({ seq: 2, prev: a.hash, target: 'db-1', policy_version: 'p1' });
    expect(store.entries.map((e) => [e.seq, e.hash])).toEqual([
      [1, a.hash],
      [2, b.hash],
    ]);
    expect(verifyLines(lines(), { keys: keysOf(key) })).toMatchObject({ ok: true, entries: 2, head: b.hash });
    await log.close();
  });

  it('keeps appends made at the same time in one gap-free chain', async () => {
    const { log, lines } = setup();
    const entries = await Promise.all(Array.from({ length: 50 }, (_, i) => log.append(login(i))));
    expect(entries.map((e) => e.seq).sort((x, y) => x - y)).toEqual(
      Array.from({ length: 50 }, (_, i) => i + 1),
    );
    expect(verifyLines(lines()).ok).toBe(true);
    await log.close();
  });

  it('returns data as it was hashed, not as the caller may change it later', async () => {
    const { log } = setup();
    const data = { method: 'oidc', groups: ['ops'], note: undefined };
    const entry = await log.append({ type: 'login', actor: 'user:a', data });
    data.groups.push('admin');
    expect(entry.data).toEqual({ method: 'oidc', groups: ['ops'] });
    await log.close();
  });

  it.each([
    ['an unknown type', { ...login(1), type: 'login.maybe' }, 'AUDIT_INVALID_EVENT'],
    ['a missing field', { type: 'login', actor: 'user:a', data: { method: 'oidc' } }, 'AUDIT_INVALID_EVENT'],
    [
      'a value without a JSON form',
      { ...login(1), data: { method: 'oidc', groups: [], at: new Date() } },
      'AUDIT_NOT_JSON',
    ],
    ['a bigint', { ...login(1), data: { method: 'oidc', groups: [], n: 1n } }, 'AUDIT_NOT_JSON'],
  ])('refuses %s with a coded error and appends nothing', async (_name, event, code) => {
    const { log, store } = setup();
    await expect(log.append(event as AuditEvent)).rejects.toMatchObject({ code });
    expect(store.builds).toBe(0);
    expect(await store.head('audit/unit')).toEqual({ seq: 0, hash: null });
    await log.close();
  });

  it('rejects with AUDIT_UNAVAILABLE when the store fails, so the caller fails closed, and goes on afterwards', async () => {
    const { log, store, lines } = setup();
    await log.append(login(1));
    store.failNext();
    await expect(log.append(login(2))).rejects.toMatchObject({ code: 'AUDIT_UNAVAILABLE' });
    expect(log.stats()).toMatchObject({ appended: 1, failed: 1 });
    const next = await log.append(login(3));
    expect(next.seq).toBe(2);
    expect(verifyLines(lines()).ok).toBe(true);
    await log.close();
  });

  it('refuses appends after close with AUDIT_CLOSED', async () => {
    const { log } = setup();
    await log.close();
    await expect(log.append(login(1))).rejects.toMatchObject({ code: 'AUDIT_CLOSED' });
  });
});

describe('signed checkpoints', () => {
  it('writes one after every N entries, committing to the head', async () => {
    const { log, lines } = setup({ checkpoint: { every_entries: 5 } });
    for (let i = 0; i < 12; i++) await log.append(login(i));
    await settle();
    await log.checkpoint(); // waits for one in flight
    const types = lines().map((l) => JSON.parse(l).type as string);
    expect(types.filter((t) => t === 'audit.checkpoint').length).toBeGreaterThanOrEqual(2);
    const first = JSON.parse(lines()[types.indexOf('audit.checkpoint')]!) as AuditEntry;
    expect(first.data.seq).toBeGreaterThanOrEqual(5);
    expect(first.data.hash).toBe(JSON.parse(lines()[(first.data.seq as number) - 1]!).hash);
    expect(first.actor).toBe('system:audit');
    const r = verifyLines(lines(), { keys: keysOf(key), logId: 'unit' });
    expect(r.ok).toBe(true);
    expect(r.lastCheckpoint?.signatureChecked).toBe(true);
    await log.close();
  });

  it('writes one when the interval has passed since the last, and none while idle', async () => {
    const { log, lines, clock } = setup({ checkpoint: { every_entries: 1000, interval: '30s' } });
    await log.append(login(1));
    clock.advance(10_000);
    await log.append(login(2));
    await settle();
    expect(lines().some((l) => l.includes('"audit.checkpoint"'))).toBe(false);
    clock.advance(25_000);
    await log.append(login(3));
    await eventually(() => lines().some((l) => l.includes('"audit.checkpoint"')));
    expect(lines().filter((l) => l.includes('"audit.checkpoint"'))).toHaveLength(1);
    expect(JSON.parse(lines().at(-1)!).data.seq).toBe(3);
    await log.close();
  });

  it('writes a final one at close that covers every entry, so the closed log has no unsigned tail', async () => {
    const { log, lines } = setup();
    for (let i = 0; i < 7; i++) await log.append(login(i));
    await log.close();
    const last = JSON.parse(lines().at(-1)!) as AuditEntry;
    expect(last).toMatchObject({ seq: 8, type: 'audit.checkpoint', data: { seq: 7 } });
    const r = verifyLines(lines(), { keys: keysOf(key), strict: true });
    expect(r).toMatchObject({ ok: true, uncovered: null });
    expect(r.lastCheckpoint).toMatchObject({ seq: 7, entrySeq: 8 });
  });

  it('exports the last checkpoint on its own as a JWS that jose verifies with the published public key', async () => {
    const { log } = setup();
    expect(log.exportCheckpoint()).toBeNull();
    for (let i = 0; i < 3; i++) await log.append(login(i));
    const cp = await log.checkpoint();
    expect(log.exportCheckpoint()).toEqual(cp);
    expect(cp).toMatchObject({ seq: 3, log_id: 'unit', kid: key.kid });
    const pub = await importJWK(log.publicKey(), 'EdDSA');
    const { payload, protectedHeader } = await compactVerify(cp!.jws, pub);
    expect(protectedHeader).toEqual({ alg: 'EdDSA', kid: key.kid, typ: 'breakglass-audit-checkpoint' });
    expect(JSON.parse(Buffer.from(payload).toString())).toEqual({
      hash: cp!.hash,
      log_id: 'unit',
      seq: 3,
      time: cp!.time,
    });
    await log.close();
  });

  it('does not write a checkpoint over an empty log or twice over the same head', async () => {
    const { log, lines } = setup();
    expect(await log.checkpoint()).toBeNull();
    await log.append(login(1));
    await log.checkpoint();
    await log.checkpoint();
    expect(lines()).toHaveLength(2);
    await log.close();
    expect(lines()).toHaveLength(2);
  });
});

describe('forwarding', () => {
  it('hands each durable entry and its line to the forwarders, and a failing forwarder never fails the append', async () => {
    const seen: Array<[number, string]> = [];
    const good: AuditForwarder = {
      name: 'good',
      forward: (e, l) => void seen.push([e.seq, l]),
      stats: () => ({}),
      close: async () => {},
    };
    const bad: AuditForwarder = {
      name: 'bad',
      forward: () => {
        throw new Error('boom');
      },
      stats: () => ({}),
      close: async () => {},
    };
    const { log, lines, store } = setup({}, [bad, good]);
    await log.append(login(1));
    store.failNext();
    await expect(log.append(login(2))).rejects.toThrow();
    await log.append(login(3));
    expect(seen.map(([s]) => s)).toEqual([1, 2]);
    expect(seen.map(([, l]) => l)).toEqual(lines().slice(0, 2));
    await log.close();
  });
});
