import { PlayerCastConverter, playerHeader } from '../../../src/web/ui/player-cast';

const b64 = (s: string | Buffer) => Buffer.from(s).toString('base64');

describe('recording events for the player', () => {
  test.each<[string, boolean, [number, string, string], [number, string, string] | null]>([
    ['terminal output stays', false, [1, 'o', 'hi\n'], [1, 'o', 'hi\n']],
    ['stderr text becomes output', false, [1, 'e', 'oops'], [1, 'o', 'oops']],
    ['exec bytes become text with CR before LF', true, [1, 'ob', b64('a\nb\r\n')], [1, 'o', 'a\r\nb\r\n']],
    ['exec stderr bytes become output', true, [2, 'eb', b64('err\n')], [2, 'o', 'err\r\n']],
    ['typed input stays input', false, [1, 'i', 'ls\r'], [1, 'i', 'ls\r']],
    ['exec input bytes become input', true, [1, 'ib', b64('yes\n')], [1, 'i', 'yes\n']],
    ['resize stays', false, [1, 'r', '100x40'], [1, 'r', '100x40']],
    ['markers stay', false, [1, 'm', 'ls -la'], [1, 'm', 'ls -la']],
    ['the exit status becomes a marker', true, [3, 'x', '0'], [3, 'm', 'exit 0']],
    ['unknown events are dropped', false, [1, 'zz', 'x'], null],
  ])('%s', (_name, exec, event, expected) => {
    expect(new PlayerCastConverter(exec).event(event)).toEqual(expected);
  });

  it('joins a character split across two byte events', () => {
    const euro = Buffer.from('€');
    const c = new PlayerCastConverter(true);
    expect(c.event([1, 'ob', b64(euro.subarray(0, 1))])).toBeNull();
    expect(c.event([1.1, 'ob', b64(euro.subarray(1))])).toEqual([1.1, 'o', '€']);
  });

  it('does not double a CR that came in the previous event', () => {
    const c = new PlayerCastConverter(true);
    expect(c.event([1, 'ob', b64('a\r')])).toEqual([1, 'o', 'a\r']);
    expect(c.event([2, 'ob', b64('\nb')])).toEqual([2, 'o', '\nb']);
  });

  it('keeps only the header fields the player needs (no environment, no Breakglass ids)', () => {
    expect(
      playerHeader({
        version: 2,
        width: 80,
        height: 24,
        timestamp: 1,
        env: { SHELL: '/bin/bash' },
        breakglass: { kind: 'pty', user: 'a' },
        title: 't',
      }),
    ).toEqual({ version: 2, width: 80, height: 24, timestamp: 1, title: 't' });
  });
});
