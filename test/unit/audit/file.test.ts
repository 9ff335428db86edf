import { isUtf8 } from 'node:buffer';
import { closeSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import fc from 'fast-check';
import { join } from 'node:path';
import { isoTime, verifyFile, verifyText, type EntryDraft, type VerifyResult } from '../../../src/audit';
import { wholeLineChunks } from '../../../src/audit/file';
import { tmpDir } from '../../helpers/tmp';
import { buildLog, keysOf, makeKeyPair, sampleDraft, text, type BuiltLog } from './log-fixture';

const key = makeKeyPair();
const keys = keysOf(key);
let dir: ReturnType<typeof tmpDir>;
let log: BuiltLog;
let n = 0;

// Every third entry holds non-ASCII text: U+FFFD (what a lenient decoder puts for a bad
// byte), an emoji (4 bytes) and an accented letter (2 bytes).
const draft = (i: number, t: number): EntryDraft =>
  i % 3 === 2
    ? {
        time: isoTime(t),
        type: 'login',
        actor: `user:u${i}@example.com`,
        data: { note: `replacement \ufffd, emoji 😀, café ${i}` },
      }
    : sampleDraft(i, t);

beforeAll(async () => {
  dir = tmpDir('bg-audit-file-');
  log = await buildLog({ n: 40, checkpointEvery: 10, key, draft });
});
afterAll(() => dir.cleanup());

function verifyBytes(bytes: Buffer | string): VerifyResult {
  const file = join(dir.path, `log-${n++}.jsonl`);
  writeFileSync(file, bytes);
  return verifyFile(file, { keys });
}

const bytesOf = (lines: string[]) => Buffer.from(text(lines), 'utf8');

/** The file's bytes with `from` replaced by `to` inside line `index` (0-based). */
function editLine(lines: string[], index: number, from: Buffer, to: Buffer): Buffer {
  const line = Buffer.from(lines[index]!, 'utf8');
  const at = line.indexOf(from);
  if (at < 0) throw new Error(`line ${index} does not hold ${from.toString('hex')}`);
  const edited = Buffer.concat([line.subarray(0, at), to, line.subarray(at + from.length)]);
  return Buffer.concat([
    bytesOf(lines.slice(0, index)),
    edited,
    Buffer.from('\n'),
    bytesOf(lines.slice(index + 1)),
  ]);
}

const FFFD = Buffer.from('\ufffd', 'utf8');

describe('verifying a log file on its bytes', () => {
  it('accepts the intact file, as verifyText does', () => {
    const r = verifyBytes(bytesOf(log.lines));
    expect(r).toMatchObject({ ok: true, entries: 44, torn: null });
    expect(r).toEqual(verifyText(text(log.lines), { keys }));
  });

  it.each([
    ['a lone FF', [0xff]],
    ['an overlong form', [0xc0, 0xbf]],
    ['an encoded surrogate', [0xed, 0xa0, 0x80]],
    ['a code point above U+10FFFF', [0xf4, 0x90, 0x80, 0x80]],
    ['a truncated sequence', [0xe2, 0x82]],
  ])('refuses a line where U+FFFD was replaced by %s as "modified", naming its seq', (_name, bad) => {
    // entry 3 is the first holding U+FFFD; entry 16 is past a checkpoint
    for (const seq of [3, 16]) {
      const bytes = editLine(log.lines, seq - 1, FFFD, Buffer.from(bad));
      const r = verifyBytes(bytes);
      expect(r.problem).toMatchObject({ kind: 'modified', seq, line: seq });
      expect(r.problem!.message).toMatch(
        new RegExp(`entry ${seq}: not valid UTF-8 \\(the bytes were edited\\)`),
      );
      expect(r.entries).toBe(seq - 1);
    }
  });

  it('a lenient decoder would have read the edited bytes as the original text', () => {
    const bytes = editLine(log.lines, 2, FFFD, Buffer.from([0xff]));
    expect(verifyText(bytes.toString('utf8'), { keys }).ok).toBe(true); // why bytes must be checked
    expect(verifyBytes(bytes).problem).toMatchObject({ kind: 'modified', seq: 3 });
  });

  it('refuses invalid UTF-8 in the first line as "modified" at seq 1', () => {
    const r = verifyBytes(editLine(log.lines, 0, Buffer.from('user:'), Buffer.from([0x75, 0xc1, 0x81])));
    expect(r.problem).toMatchObject({ kind: 'modified', seq: 1, line: 1 });
    expect(r.problem!.message).toMatch(/not valid UTF-8/);
  });

  it.each([
    ['inserted in a string', Buffer.from('"actor":"'), Buffer.from('"actor":"\0')],
    ['replacing a digit', Buffer.from('"time":"2'), Buffer.from('"time":"\0')],
    ['between members', Buffer.from(',"data":'), Buffer.from(',\0"data":')],
  ])('refuses a line with a NUL byte %s as "modified"', (_name, from, to) => {
    const r = verifyBytes(editLine(log.lines, 6, from, to));
    expect(r.problem).toMatchObject({ kind: 'modified', seq: 7, line: 7 });
  });

  it('refuses a file with CRLF line endings as "modified" at the first line (not canonical)', () => {
    const r = verifyBytes(Buffer.from(log.lines.map((l) => `${l}\r\n`).join(''), 'utf8'));
    expect(r.problem).toMatchObject({ kind: 'modified', seq: 1, line: 1 });
    expect(r.problem!.message).toMatch(/canonical/);
  });

  it('refuses a file starting with a byte order mark as "modified" at seq 1', () => {
    const r = verifyBytes(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), bytesOf(log.lines)]));
    expect(r.problem).toMatchObject({ kind: 'modified', seq: 1, line: 1 });
  });

  it('reports a torn last line cut inside a multi-byte character as torn, with its exact byte count', () => {
    const last = Buffer.from(log.lines[41]!, 'utf8'); // entry 42 holds 😀 (4 bytes) and é (2 bytes)
    for (const inside of [1, 2, 3]) {
      const cut = last.subarray(0, last.indexOf(Buffer.from('😀')) + inside);
      for (const padding of [0, 17]) {
        const bytes = Buffer.concat([bytesOf(log.lines.slice(0, 41)), cut, Buffer.alloc(padding)]);
        expect(verifyBytes(bytes)).toMatchObject({
          ok: true,
          entries: 41,
          lastSeq: 41,
          torn: { line: 42, bytes: cut.length + padding },
        });
      }
    }
    const afterE = last.subarray(0, last.indexOf(Buffer.from('é')) + 1);
    expect(verifyBytes(Buffer.concat([bytesOf(log.lines.slice(0, 41)), afterE]))).toMatchObject({
      ok: true,
      torn: { line: 42, bytes: afterE.length },
    });
  });

  it('does not excuse a complete last line with an invalid byte as torn', () => {
    const lines = log.lines.slice(0, 42);
    const bytes = editLine(lines, 41, FFFD, Buffer.from([0xff]));
    const r = verifyBytes(bytes.subarray(0, bytes.length - 1)); // no newline after it
    expect(r.problem).toMatchObject({ kind: 'modified', seq: 42 });
    expect(r.torn).toBeNull();
  });
});

describe('bytes and text agree', () => {
  it('any single-byte change gives the verdict verifyText gives, or "modified" when the bytes are not UTF-8', () => {
    const intact = bytesOf(log.lines.slice(0, 24));
    fc.assert(
      fc.property(fc.nat({ max: intact.length - 1 }), fc.integer({ min: 1, max: 255 }), (pos, xor) => {
        const changed = Buffer.from(intact);
        changed[pos]! ^= xor;
        const r = verifyBytes(changed);
        expect(r.ok).toBe(false);
        if (isUtf8(changed)) expect(r).toEqual(verifyText(changed.toString('utf8'), { keys }));
        else expect(r.problem?.kind).toBe('modified');
      }),
      { numRuns: 300 },
    );
  });
});

describe('lines longer than a read chunk', () => {
  let big: BuiltLog;
  beforeAll(async () => {
    const blob = 'é'.repeat(1 << 20) + 'x'.repeat(3 << 20); // 5 MiB of text: spans several 1 MiB chunks
    big = await buildLog({
      n: 12,
      checkpointEvery: 4,
      key,
      draft: (i, t) =>
        i === 5
          ? { time: isoTime(t), type: 'login', actor: 'user:big', data: { blob, tail: '😀' } }
          : draft(i, t),
    });
  });

  it('verifies a log holding a 5 MiB line', () => {
    const r = verifyBytes(bytesOf(big.lines));
    expect(Buffer.byteLength(big.lines[6]!)).toBeGreaterThan(5 << 20);
    expect(r).toMatchObject({ ok: true, entries: 15, torn: null });
  });

  it.each([
    [
      'a letter changed in its last MiB',
      Buffer.from('xxxxy'.repeat(1).replace('y', 'x')),
      Buffer.from('xxxxy'),
    ],
    ['an invalid byte far into it', Buffer.from('é'), Buffer.from([0xc3, 0x28])],
    ['a NUL far into it', Buffer.from('xx'), Buffer.from('x\0')],
  ])('finds %s at its seq', (_name, from, to) => {
    const line = Buffer.from(big.lines[6]!, 'utf8');
    const at = line.indexOf(from, 3 << 20);
    const edited = Buffer.concat([line.subarray(0, at), to, line.subarray(at + from.length)]);
    const bytes = Buffer.concat([
      bytesOf(big.lines.slice(0, 6)),
      edited,
      Buffer.from('\n'),
      bytesOf(big.lines.slice(7)),
    ]);
    expect(verifyBytes(bytes).problem).toMatchObject({ kind: 'modified', seq: 7, line: 7 });
  });
});

describe('reading whole lines', () => {
  it.each([1, 7, 64, 4096])('gives back the file in chunks that end at newlines (chunk size %i)', (size) => {
    const file = join(dir.path, `chunks-${size}.jsonl`);
    const content = Buffer.concat([bytesOf(log.lines.slice(0, 12)), Buffer.from('{"torn":')]);
    writeFileSync(file, content);
    const fd = openSync(file, 'r');
    const chunks: Buffer[] = [];
    try {
      for (const chunk of wholeLineChunks(fd, size)) chunks.push(Buffer.from(chunk));
    } finally {
      closeSync(fd);
    }
    expect(Buffer.concat(chunks).equals(readFileSync(file))).toBe(true);
    for (const chunk of chunks.slice(0, -1)) expect(chunk[chunk.length - 1]).toBe(0x0a);
    expect(chunks.at(-1)!.toString()).toMatch(/\{"torn":$/);
  });
});
