import fc from 'fast-check';
import { hasCode } from '../../../src/errors';
import { AnsiStripper, OutputSearcher, type SearchOptions } from '../../../src/recording';

function strip(chunks: string[]): string {
  const s = new AnsiStripper();
  return chunks.map((c) => s.push(c)).join('');
}

describe('AnsiStripper', () => {
  it.each([
    ['SGR colours', ['\x1b[1;31mred\x1b[0m text'], 'red text'],
    ['cursor movement and erase', ['a\x1b[2K\x1b[10;5Hb\x1b[?25lc'], 'abc'],
    ['an OSC title ended by BEL', ['\x1b]0;user@host: ~\x07$ ls'], '$ ls'],
    ['an OSC hyperlink ended by ST', ['\x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\'], 'link'],
    ['a DCS string', ['\x1bPq#0;2;0;0;0\x1b\\after'], 'after'],
    ['charset designation and keypad mode', ['\x1b(Bx\x1b=y\x1b>z'], 'xyz'],
    ['8-bit CSI', ['\x9b31mred'], 'red'],
    ['CR LF, backspace and bell', ['one\r\ntwo\x08\x07\tend'], 'one\ntwo\tend'],
    ['a sequence split across chunks', ['ok\x1b', '[3', '2mgreen\x1b]0;ti', 'tle\x07!'], 'okgreen!'],
    ['non-ASCII text', ['日本語 café'], '日本語 café'],
  ])('removes %s', (_label, chunks, expected) => {
    expect(strip(chunks)).toBe(expected);
  });

  it('gives the same text for any chunking (property)', () => {
    const piece = fc.constantFrom(
      'a',
      'é',
      '日',
      '\x1b[',
      '31m',
      '\x1b]0;',
      't',
      '\x07',
      '\x1b\\',
      '\r\n',
      '\x1b',
      '(B',
      '\x9b',
      'm',
    );
    fc.assert(
      fc.property(
        fc.array(piece, { maxLength: 40 }),
        fc.array(fc.nat(), { maxLength: 10 }),
        (parts, cuts) => {
          const text = parts.join('');
          const points = [...new Set(cuts.map((c) => c % (text.length + 1)))].sort((a, b) => a - b);
          const chunks: string[] = [];
          let prev = 0;
          for (const p of [...points, text.length]) {
            chunks.push(text.slice(prev, p));
            prev = p;
          }
          expect(strip(chunks)).toBe(strip([text]));
        },
      ),
    );
  });
});

type Ev = [time: number, data: string];

function search(events: Ev[], query: string, opts: SearchOptions = {}) {
  const s = new OutputSearcher(query, opts);
  events.forEach(([time, data], i) => s.push(time, i + 2, data));
  s.finish();
  return s.matches;
}

describe('OutputSearcher', () => {
  it('finds a command echoed one character per event, at the time of its first character', () => {
    const typed: Ev[] = [...'whoami'].map((ch, i) => [1 + i / 10, ch]);
    const matches = search([[0.5, '$ '], ...typed, [2, '\r\nroot\r\n']], 'whoami');
    expect(matches).toEqual([{ time: 1, line: 3, snippet: '$ whoami\nroot\n' }]);
  });

  it('matches through colour codes and ignores case unless told otherwise', () => {
    const events: Ev[] = [[3, 'status: \x1b[32mOK\x1b[0m, all \x1b[1mgood\x1b[0m']];
    expect(search(events, 'ok, all good').map((m) => m.time)).toEqual([3]);
    expect(search(events, 'ok, all good', { caseSensitive: true })).toEqual([]);
  });

  it('returns non-overlapping matches in order and stops at maxMatches', () => {
    const events: Ev[] = [
      [1, 'aaaa'],
      [2, 'aa'],
    ];
    expect(search(events, 'aa').map((m) => m.time)).toEqual([1, 1, 2]);
    const s = new OutputSearcher('a', { maxMatches: 2 });
    expect(s.push(1, 2, 'aaa')).toBe(false);
    expect(s.matches).toHaveLength(2);
    expect(s.full).toBe(true);
  });

  it('gives each match a snippet with context on both sides, even when the context arrives later', () => {
    const matches = search(
      [
        [1, 'before error'],
        [2, ': disk full'],
      ],
      'error',
      { contextChars: 6 },
    );
    expect(matches).toEqual([{ time: 1, line: 2, snippet: 'efore error: disk' }]);
  });

  it('finds every occurrence in long output however it is split into events (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom('ab', 'c', 'needle', '\x1b[0m', 'nee', 'dle', '\r\n', 'x'), {
          maxLength: 300,
        }),
        fc.integer({ min: 1, max: 7 }),
        (parts, per) => {
          const events: Ev[] = [];
          for (let i = 0; i < parts.length; i += per) events.push([i, parts.slice(i, i + per).join('')]);
          const plain = strip(parts);
          let expected = 0;
          for (let at = plain.indexOf('needle'); at !== -1; at = plain.indexOf('needle', at + 6)) expected++;
          expect(search(events, 'needle', { maxMatches: 10_000 })).toHaveLength(expected);
        },
      ),
    );
  });

  it('keeps memory bounded: the retained window does not grow with the output', () => {
    const s = new OutputSearcher('zzz');
    for (let i = 0; i < 5000; i++) s.push(i, i + 2, 'x'.repeat(100));
    expect((s as unknown as { window: string }).window.length).toBeLessThan(10_000);
  });

  it.each([
    ['an empty query', '', {}],
    ['a query over 1024 characters', 'q'.repeat(1025), {}],
    ['maxMatches 0', 'q', { maxMatches: 0 }],
    ['negative context', 'q', { contextChars: -1 }],
  ])('refuses %s', (_label, query, opts) => {
    let err: unknown;
    try {
      new OutputSearcher(query, opts);
    } catch (e) {
      err = e;
    }
    expect(hasCode(err, 'RECORDING_INVALID_ARGUMENT')).toBe(true);
  });
});
