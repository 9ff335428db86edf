import fc from 'fast-check';
import { createFakeClock } from '../../../src/core';
import { hasCode } from '../../../src/errors';
import {
  AsciicastEncoder,
  AsciicastParser,
  MAX_EVENT_BYTES,
  MAX_EVENT_CHARS,
  type AsciicastEvent,
  type EncoderOptions,
} from '../../../src/recording';
import { InputLineTracker } from '../../../src/recording/input-line';

function encoder(opts: Partial<EncoderOptions> = {}) {
  const clock = createFakeClock();
  const lines: Buffer[] = [];
  const enc = new AsciicastEncoder(
    { clock, kind: 'pty', width: 80, height: 24, recordInput: false, ...opts },
    (l) => lines.push(l),
  );
  lines.push(enc.header());
  const events = (): AsciicastEvent[] => {
    const out: AsciicastEvent[] = [];
    const parser = new AsciicastParser((e) => out.push(e));
    parser.push(Buffer.concat(lines));
    parser.end();
    return out;
  };
  return { clock, enc, lines, events };
}

/** Splits `bytes` at the given cut points (any positions, including inside a character). */
function chunked(bytes: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let prev = 0;
  for (const p of [...points, bytes.length]) {
    out.push(bytes.subarray(prev, p));
    prev = p;
  }
  return out;
}

describe('AsciicastEncoder', () => {
  it('writes the header with size, start time, TERM/SHELL, command, title and session ids', () => {
    const { enc } = encoder({
      kind: 'exec',
      term: 'xterm',
      shell: '/bin/sh',
      command: 'uptime',
      title: 'exec: uptime',
      info: { session: 's-9', host: 'db-1' },
    });
    expect(enc.header().toString()).toBe(
      '{"version":2,"width":80,"height":24,"timestamp":1767225600,"command":"uptime","title":"exec: uptime","env":{"TERM":"xterm","SHELL":"/bin/sh"},"breakglass":{"kind":"exec","session":"s-9","host":"db-1"}}\n',
    );
  });

  it('stamps events with seconds since the start from the injected clock, never going back', () => {
    const { clock, enc, events } = encoder();
    clock.advance(1500);
    enc.output(Buffer.from('a'));
    clock.advance(-1000); // a clock step backwards
    enc.output(Buffer.from('b'));
    clock.advance(2000.0004);
    enc.output(Buffer.from('c'));
    expect(events().map((e) => e.time)).toEqual([1.5, 1.5, 2.5]);
  });

  it('joins a multibyte character split between two chunks instead of writing U+FFFD', () => {
    const { enc, events } = encoder();
    const bytes = Buffer.from('é日');
    enc.output(bytes.subarray(0, 1));
    enc.output(bytes.subarray(1, 3));
    enc.output(bytes.subarray(3));
    expect(events().map((e) => e.data)).toEqual(['é', '日']);
  });

  it('keeps stdout ("o"), stderr ("e") and input decoders apart', () => {
    const { enc, events } = encoder({ recordInput: true });
    const e = Buffer.from('é');
    enc.output(e.subarray(0, 1));
    enc.errorOutput(e.subarray(0, 1));
    enc.output(e.subarray(1));
    enc.errorOutput(e.subarray(1));
    expect(events().map((x) => [x.type, x.data])).toEqual([
      ['o', 'é'],
      ['e', 'é'],
    ]);
  });

  it.each([
    [false, [['m', '']]],
    [
      true,
      [
        ['i', 'ls -l\r'],
        ['m', 'ls -l'],
      ],
    ],
  ])('with input recording %s, records typed input as %j', (recordInput, expected) => {
    const { enc, events } = encoder({ recordInput });
    enc.input(Buffer.from('ls -l\r'));
    expect(events().map((e) => [e.type, e.data])).toEqual(expected);
  });

  it('splits very large output into events of at most MAX_EVENT_CHARS without cutting a surrogate pair', () => {
    const { enc, events } = encoder();
    const text = 'x'.repeat(MAX_EVENT_CHARS - 1) + '😀' + 'y'.repeat(10);
    enc.output(Buffer.from(text));
    const got = events();
    expect(got.length).toBe(2);
    expect(got.every((e) => e.data.length <= MAX_EVENT_CHARS && !/\p{Cs}/u.test(e.data))).toBe(true);
    expect(got.map((e) => e.data).join('')).toBe(text);
  });

  it('records resizes as COLSxROWS and exits as a status or a signal', () => {
    const { enc, events } = encoder();
    enc.resize(132, 43);
    enc.exit({ code: 2 });
    enc.exit({ signal: 'KILL' });
    expect(events().map((e) => [e.type, e.data])).toEqual([
      ['r', '132x43'],
      ['x', '2'],
      ['x', 'signal KILL'],
    ]);
  });

  it.each([
    ['a zero width', () => encoder().enc.resize(0, 24)],
    ['a fractional height', () => encoder().enc.resize(80, 2.5)],
    ['a huge width', () => encoder().enc.resize(10_001, 24)],
    ['a header size of 0', () => encoder({ width: 0 })],
    ['an exit status of 1000', () => encoder().enc.exit({ code: 1000 })],
    ['a signal name with spaces', () => encoder().enc.exit({ signal: 'K I L L' })],
  ])('refuses %s', (_label, fn) => {
    let err: unknown;
    try {
      fn();
    } catch (e) {
      err = e;
    }
    expect(hasCode(err, 'RECORDING_INVALID_ARGUMENT')).toBe(true);
  });

  it('gives the same decoded output for any chunking of the same byte stream (property)', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary', maxLength: 200 }),
        fc.array(fc.nat(), { maxLength: 20 }),
        (text, cuts) => {
          const { enc, events } = encoder();
          for (const chunk of chunked(Buffer.from(text), cuts)) enc.output(chunk);
          enc.end();
          const got = events();
          expect(got.map((e) => e.data).join('')).toBe(text);
          expect(got.every((e) => e.type === 'o' && e.data.length > 0)).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('AsciicastEncoder text decoding', () => {
  it('decodes any bytes, valid UTF-8 or not, to the same text however they are chunked (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 120 }), fc.array(fc.nat(), { maxLength: 20 }), (raw, cuts) => {
        const bytes = Buffer.from(raw);
        const { enc, events } = encoder();
        for (const chunk of chunked(bytes, cuts)) enc.output(chunk);
        enc.end();
        expect(
          events()
            .map((e) => e.data)
            .join(''),
        ).toBe(bytes.toString('utf8'));
      }),
      { numRuns: 300 },
    );
  });
});

describe('AsciicastEncoder for exec sessions', () => {
  const exec = (recordInput = false) => encoder({ kind: 'exec', command: 'tar c /etc', recordInput });

  it('keeps stdout and stderr as their exact bytes (base64 "ob"/"eb"), even when they are not text', () => {
    const { enc, events } = exec();
    const binary = Buffer.from([0x00, 0xff, 0xc3, 0x28, 0x1b, 0x0a, 0xe2, 0x82]);
    enc.output(binary);
    enc.errorOutput(Buffer.from('tar: removing leading /\n'));
    enc.exit({ signal: 'PIPE' });
    enc.end();
    const got = events();
    expect(got.map((e) => e.type)).toEqual(['ob', 'eb', 'x']);
    expect(Buffer.from(got[0]!.data, 'base64').equals(binary)).toBe(true);
    expect(Buffer.from(got[1]!.data, 'base64').toString()).toBe('tar: removing leading /\n');
    expect(got[2]!.data).toBe('signal PIPE');
  });

  it('splits large chunks into events of at most MAX_EVENT_BYTES bytes', () => {
    const { enc, events } = exec();
    const big = Buffer.alloc(MAX_EVENT_BYTES * 2 + 10, 0x61);
    enc.output(big);
    const got = events();
    expect(got.map((e) => Buffer.from(e.data, 'base64').length)).toEqual([
      MAX_EVENT_BYTES,
      MAX_EVENT_BYTES,
      10,
    ]);
  });

  it('after recycle() carves the next lines from the start of the same memory (earlier lines were consumed)', () => {
    const { enc, lines } = exec();
    enc.output(Buffer.from('first'));
    const first = lines[1]!;
    const text = first.toString();
    enc.output(Buffer.from('second')); // without recycle(): fresh bytes after the first line
    expect(first.toString()).toBe(text);
    expect(lines[2]!.byteOffset).toBe(first.byteOffset + first.length);
    enc.recycle();
    enc.output(Buffer.from('third'));
    const third = lines[3]!;
    expect(third.buffer).toBe(first.buffer);
    expect(third.byteOffset).toBe(first.byteOffset);
    expect(Buffer.from(JSON.parse(third.toString())[2], 'base64').toString()).toBe('third');
  });

  it.each([
    [false, []],
    [true, ['ib']],
  ])('with input recording %s, records stdin as %j and never adds command markers', (recordInput, types) => {
    const { enc, events } = exec(recordInput);
    enc.input(Buffer.from('data\r'));
    expect(events().map((e) => e.type)).toEqual(types);
  });
});

describe('InputLineTracker', () => {
  it.each([
    ['plain command and Enter', ['ls\r'], ['ls']],
    ['LF as Enter', ['id\n'], ['id']],
    ['backspace and DEL', ['lsx\x7f\x08s -a\r'], ['ls -a']],
    ['Ctrl-U and Ctrl-C clear the line', ['rm -rf /\x15echo hi\r', 'oops\x03pwd\r'], ['echo hi', 'pwd']],
    ['arrow keys and SS3 keys are skipped', ['\x1b[Aw\x1bOBho\x1b[1;5Dami\r'], ['whoami']],
    ['a sequence split over chunks', ['\x1b', '[', 'Aok\r'], ['ok']],
    ['empty lines give no command', ['\r\r  \r'], []],
    ['two commands in one chunk', ['a\rb\r'], ['a', 'b']],
    ['non-ASCII text', ['echo café\r'], ['echo café']],
  ])('%s', (_label, chunks, expected) => {
    const t = new InputLineTracker();
    expect(chunks.flatMap((c) => t.feed(c))).toEqual(expected);
  });

  it('caps a label at 200 characters', () => {
    const [label] = new InputLineTracker().feed(`${'a'.repeat(500)}\r`);
    expect(label).toHaveLength(200);
  });
});
