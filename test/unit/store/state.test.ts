import { MemoryState } from '../../../src/store/embedded/state';

describe('embedded store memory state', () => {
  it('replays its own operations into an equal state, also from a snapshot', () => {
    const live = new MemoryState();
    const ops = [
      live.put('ns', 'a', '1', undefined, undefined, 0),
      live.put('ns', 'b', '2', 0, 500, 0),
      live.put('ns', 'a', '3', 1, undefined, 10),
      live.delete('ns', 'b', undefined, 20),
    ].map((o) => (o.ok ? o.op : null));
    const counter = [live.increment('serial', undefined, 0), live.increment('serial', undefined, 0)];
    const replayed = new MemoryState();
    for (const op of [...ops, ...counter]) if (op) replayed.apply(op);
    expect(replayed.list('ns', '', 100, 30)).toEqual(live.list('ns', '', 100, 30));
    const fromSnapshot = new MemoryState();
    for (const op of live.snapshotOps(30)) fromSnapshot.apply(op);
    expect(fromSnapshot.list('ns', '', 100, 30)).toEqual([
      { key: 'a', value: '3', version: 2, expiresAt: null },
    ]);
    expect(fromSnapshot.increment('serial', undefined, 30).value).toBe(3);
  });

  it.each([
    ['a live record', 999, 1],
    ['a record at its expiry time', 1000, 0],
    ['an expired record', 5000, 0],
  ])('judges %s by the given time', (_label, now, count) => {
    const s = new MemoryState();
    s.put('ns', 'k', 'v', undefined, 1000, 0);
    expect(s.list('ns', '', 10, now)).toHaveLength(count);
    expect(s.get('ns', 'k', now) !== null).toBe(count === 1);
  });

  it('sweeps expired records and windowed counters, never plain counters', () => {
    const s = new MemoryState();
    s.put('ns', 'old', 'v', undefined, 10, 0);
    s.put('ns', 'keep', 'v', undefined, undefined, 0);
    s.increment('window', 10, 0);
    s.increment('serial', undefined, 0);
    expect(s.sweep(100)).toBe(2);
    expect(
      [...s.snapshotOps(100)].map((o) => (o.t === 'counter' ? o.name : o.t === 'put' ? o.key : '')),
    ).toEqual(['serial', 'keep']);
  });
});
