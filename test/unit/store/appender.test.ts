import { BreakglassError } from '../../../src/errors';
import type { LogHead } from '../../../src/store';
import { LogAppender, type AppendBackend } from '../../../src/store/redis/appender';

/** An in-memory stand-in for Redis's append script, where "another replica" can append in between. */
function fakeRedis(opts: { interloper?: (attempt: number) => boolean; fail?: () => unknown } = {}) {
  const entries: Array<{ seq: number; hash: string; data: string }> = [];
  const calls: number[] = [];
  const head = (): LogHead =>
    entries.length
      ? { seq: entries.length, hash: entries[entries.length - 1]!.hash }
      : { seq: 0, hash: null };
  let attempt = 0;
  const backend: AppendBackend = {
    fetchHead: async () => head(),
    tryAppend: async (_log, expected, batch) => {
      calls.push(batch.length);
      const err = opts.fail?.();
      if (err) throw err;
      if (opts.interloper?.(attempt++))
        entries.push({ seq: entries.length + 1, hash: `other${entries.length + 1}`, data: 'elsewhere' });
      const h = head();
      if (h.seq !== expected.seq || h.hash !== expected.hash) return { ok: false, head: h };
      for (const e of batch) entries.push({ seq: entries.length + 1, ...e });
      return { ok: true };
    },
    isUnavailable: (err) => (err as { code?: string }).code === 'STORE_UNAVAILABLE',
  };
  return { backend, entries, calls };
}

const build = (label: string) => (h: LogHead) => ({
  data: `${label} after ${h.hash ?? 'nothing'}`,
  hash: `${label}`,
});

describe('redis log appender', () => {
  it('sends the appends queued meanwhile as one batch, each built on the previous one', async () => {
    const r = fakeRedis();
    const appender = new LogAppender(r.backend, 5, 1000);
    const results = await Promise.all(['a', 'b', 'c', 'd'].map((l) => appender.append('audit', build(l))));
    expect(results.map((e) => e.seq)).toEqual([1, 2, 3, 4]);
    expect(r.entries.map((e) => e.data)).toEqual(['a after nothing', 'b after a', 'c after b', 'd after c']);
    expect(r.calls).toEqual([4]);
  });

  it('rebuilds from the head Redis reports when another replica appended first', async () => {
    const r = fakeRedis({ interloper: (attempt) => attempt < 2 });
    const appender = new LogAppender(r.backend, 5, 1000);
    const entry = await appender.append('audit', build('mine'));
    expect(entry).toEqual({ seq: 3, hash: 'mine', data: 'mine after other2' });
    expect(r.calls).toEqual([1, 1, 1]);
  });

  it('gives up with STORE_CONFLICT after the configured number of retries', async () => {
    const r = fakeRedis({ interloper: () => true });
    const appender = new LogAppender(r.backend, 3, 1000);
    await expect(appender.append('audit', build('mine'))).rejects.toMatchObject({ code: 'STORE_CONFLICT' });
    expect(r.calls).toHaveLength(4);
    expect(r.entries.every((e) => e.data === 'elsewhere')).toBe(true);
  });

  it('rejects only the append whose builder threw; the others of the batch go through', async () => {
    const r = fakeRedis();
    const appender = new LogAppender(r.backend, 5, 1000);
    const outcomes = await Promise.allSettled([
      appender.append('audit', build('a')),
      appender.append('audit', () => {
        throw new Error('bad builder');
      }),
      appender.append('audit', build('c')),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(r.entries.map((e) => e.data)).toEqual(['a after nothing', 'c after a']);
  });

  it('fails everything queued behind an unreachable Redis at once', async () => {
    const down = new BreakglassError('STORE_UNAVAILABLE', 'down');
    const r = fakeRedis({ fail: () => down });
    const appender = new LogAppender(r.backend, 5, 1000);
    const outcomes = await Promise.allSettled(['a', 'b', 'c'].map((l) => appender.append('audit', build(l))));
    expect(
      outcomes.map((o) => (o.status === 'rejected' ? (o.reason as BreakglassError).code : 'ok')),
    ).toEqual(['STORE_UNAVAILABLE', 'STORE_UNAVAILABLE', 'STORE_UNAVAILABLE']);
    expect(r.calls).toEqual([3]);
  });
});
