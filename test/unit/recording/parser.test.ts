import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { hasCode } from '../../../src/errors';
import {
  AsciicastParser,
  type AsciicastEvent,
  type ParseOptions,
  type ParseSummary,
} from '../../../src/recording';
import { encodeEvent, encodeHeader } from '../../../src/recording/asciicast/format';

const GOLDEN = readFileSync(join(__dirname, '../../fixtures/recording/golden.cast'));
const HEADER = '{"version":2,"width":80,"height":24}\n';
const EXEC_HEADER = '{"version":2,"width":80,"height":24,"command":"id","breakglass":{"kind":"exec"}}\n';

function parse(
  input: Buffer | string,
  opts: ParseOptions = {},
  chunkSize = Infinity,
): { events: AsciicastEvent[]; summary: ParseSummary } {
  const events: AsciicastEvent[] = [];
  const parser = new AsciicastParser((e) => events.push(e), opts);
  const bytes = typeof input === 'string' ? Buffer.from(input) : input;
  for (let i = 0; i < bytes.length; i += Math.min(chunkSize, bytes.length))
    parser.push(bytes.subarray(i, i + chunkSize));
  return { events, summary: parser.end() };
}

function failure(
  input: Buffer | string,
  opts: ParseOptions = {},
): { code?: string; message: string; details?: Record<string, unknown> } {
  try {
    parse(input, opts);
  } catch (err) {
    return err as { code?: string; message: string; details?: Record<string, unknown> };
  }
  throw new Error('parsed without complaint');
}

describe('AsciicastParser on the golden file', () => {
  it('reads the header and every event of the golden recording', () => {
    const { events, summary } = parse(GOLDEN);
    expect(summary.header).toMatchObject({
      version: 2,
      width: 80,
      height: 24,
      timestamp: 1767225600,
      breakglass: { kind: 'pty', login: 'root' },
    });
    expect(summary).toMatchObject({ events: 12, lastTime: 4.5, bytes: GOLDEN.length });
    expect(summary.torn).toBeUndefined();
    expect(events.map((e) => e.type).join('')).toBe('oioioimoorox');
    expect(events[8]).toEqual({ time: 2.1, type: 'o', data: 'é.txt  日本語\r\n' });
  });

  it('round-trips the golden file byte for byte through the encoder', () => {
    const { events, summary } = parse(GOLDEN);
    const again =
      encodeHeader(summary.header) + events.map((e) => encodeEvent(e.time, e.type, e.data)).join('');
    expect(Buffer.from(again).equals(GOLDEN)).toBe(true);
  });

  it('gives the same events for any chunking of the file bytes (property)', () => {
    const whole = parse(GOLDEN).events;
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 64 }), (size) => {
        expect(parse(GOLDEN, {}, size).events).toEqual(whole);
      }),
    );
  });
});

describe('AsciicastParser on an exec recording', () => {
  it('reads base64 byte events, a resize-free stream and the exit status', () => {
    const { events, summary } = parse(
      `${EXEC_HEADER}[0.1, "ob", "dWlkPTAK"]\n[0.1, "eb", ""]\n[0.2, "x", "0"]\n`,
    );
    expect(summary.header.command).toBe('id');
    expect(events.map((e) => e.type)).toEqual(['ob', 'eb', 'x']);
    expect(Buffer.from(events[0]!.data, 'base64').toString()).toBe('uid=0\n');
  });
});

describe('AsciicastParser on a crash-torn file', () => {
  it('reports a last line without newline as torn and keeps the events before it', () => {
    const cut = GOLDEN.subarray(0, GOLDEN.length - 8);
    const { events, summary } = parse(cut);
    expect(events).toHaveLength(11);
    expect(summary.torn).toEqual({
      offset: GOLDEN.lastIndexOf('[4.5'),
      bytes: GOLDEN.length - 8 - GOLDEN.lastIndexOf('[4.5'),
      line: 13,
    });
  });

  it('refuses the torn line when told not to tolerate it', () => {
    const err = failure(GOLDEN.subarray(0, GOLDEN.length - 1), { tolerateTornTail: false });
    expect(err.code).toBe('RECORDING_MALFORMED');
    expect(err.message).toMatch(/line 13 .*no newline/);
  });
});

describe('AsciicastParser on hostile input', () => {
  it.each<[string, string | Buffer, RegExp]>([
    ['an empty file', '', /line 1 .*empty/],
    ['a header cut before its newline', '{"version":2,', /header line is incomplete/],
    ['asciicast v1', '{"version":1,"width":80,"height":24,"stdout":[]}\n', /version 1 is not supported/],
    ['a header that is an array', '[2]\n', /header is not a JSON object/],
    ['an unknown header key', '{"version":2,"width":80,"height":24,"__proto__x":1}\n', /unknown header key/],
    ['a zero width', '{"version":2,"width":0,"height":24}\n', /width must be an integer/],
    ['a huge height', '{"version":2,"width":80,"height":100000}\n', /height must be an integer/],
    ['env with a non-string', '{"version":2,"width":80,"height":24,"env":{"TERM":1}}\n', /env must map/],
    [
      'breakglass with an unknown kind',
      '{"version":2,"width":80,"height":24,"breakglass":{"kind":"x"}}\n',
      /kind "pty" or "exec"/,
    ],
    ['bad JSON in an event', `${HEADER}[0.1, "o", "a"\n`, /line 2 .*not a JSON event array/],
    [
      'trailing garbage after good events',
      `${HEADER}[0.1, "o", "a"]\nGARBAGE\n`,
      /line 3 .*not a JSON event array/,
    ],
    ['an event object', `${HEADER}{"t":1}\n`, /\[time, type, data\]/],
    ['an event with four elements', `${HEADER}[0.1, "o", "a", 1]\n`, /\[time, type, data\]/],
    ['an unknown event type', `${HEADER}[0.1, "z", "a"]\n`, /event type "z" is not one of/],
    ['non-string data', `${HEADER}[0.1, "o", 42]\n`, /data must be a string/],
    ['a negative time', `${HEADER}[-1, "o", "a"]\n`, /non-negative/],
    ['a string time', `${HEADER}["1", "o", "a"]\n`, /non-negative number/],
    [
      'times going backwards',
      `${HEADER}[2, "o", "a"]\n[1, "o", "b"]\n`,
      /line 3 .*before the previous event/,
    ],
    ['a bad resize', `${HEADER}[1, "r", "80 by 24"]\n`, /not COLSxROWS/],
    ['a bad exit', `${HEADER}[1, "x", "-1"]\n`, /not a status/],
    ['a blank line', `${HEADER}\n[1, "o", "a"]\n`, /line 2 .*blank line/],
    [
      'invalid UTF-8',
      Buffer.concat([Buffer.from(`${HEADER}[1, "o", "`), Buffer.from([0xc3, 0x28]), Buffer.from('"]\n')]),
      /not valid UTF-8/,
    ],
    ['a byte-order mark', `\ufeff${HEADER}`, /not a JSON header object/],
    ['byte events in a pty recording', `${HEADER}[1, "ob", "YQ=="]\n`, /belong to exec recordings only/],
    ['text output in an exec recording', `${EXEC_HEADER}[1, "o", "a"]\n`, /carry output as bytes \("ob"\)/],
    ['unpadded base64', `${EXEC_HEADER}[1, "ob", "YQ"]\n`, /not canonical base64/],
    ['base64 with other characters', `${EXEC_HEADER}[1, "eb", "Y!=="]\n`, /not canonical base64/],
    ['deeply nested arrays', `${HEADER}${'['.repeat(100_000)}\n`, /not a JSON event array/],
  ])('refuses %s with the line and offset', (_label, input, message) => {
    const err = failure(input);
    expect(err.code).toBe('RECORDING_MALFORMED');
    expect(err.message).toMatch(message);
    expect(err.details).toEqual(
      expect.objectContaining({ line: expect.any(Number), offset: expect.any(Number) }),
    );
  });

  it('names the byte offset of the bad line', () => {
    const err = failure(`${HEADER}[0.1, "o", "a"]\nnope\n`);
    expect(err.details).toMatchObject({ line: 3, offset: HEADER.length + '[0.1, "o", "a"]\n'.length });
  });

  it('refuses a line longer than the limit, complete or still unterminated, without buffering past it', () => {
    const long = `${HEADER}[1, "o", "${'x'.repeat(2000)}"]\n`;
    expect(hasCode(failure(long, { maxLineBytes: 1000 }), 'RECORDING_TOO_LARGE')).toBe(true);
    // A hostile stream that never sends a newline fails as soon as the limit is passed.
    const parser = new AsciicastParser(() => undefined, { maxLineBytes: 1000 });
    parser.push(Buffer.from(HEADER));
    let thrown: unknown;
    let fed = 0;
    try {
      for (; fed < 100; fed++) parser.push(Buffer.alloc(100, 0x41));
    } catch (e) {
      thrown = e;
    }
    expect(hasCode(thrown, 'RECORDING_TOO_LARGE')).toBe(true);
    expect(fed).toBe(10);
  });
});
