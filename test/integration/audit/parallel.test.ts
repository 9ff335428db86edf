import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type * as Audit from '../../../src/audit';
import type { JsonValue } from '../../../src/audit';
import { REPO_ROOT } from '../../helpers/cli';
import { tmpDir } from '../../helpers/tmp';
import { buildLog, keysOf, makeKeyPair, reseal, text, type BuiltLog } from '../../unit/audit/log-fixture';

// The worker threads run the built code: compare the built parallel verifier with the sequential one.
const DIST = join(REPO_ROOT, 'dist', 'src', 'audit', 'index.js');
let built: typeof Audit;
const key = makeKeyPair();
let log: BuiltLog;
let dir: ReturnType<typeof tmpDir>;

beforeAll(async () => {
  if (!existsSync(DIST))
    throw new Error('dist/ is missing: run `npx tsc -p tsconfig.build.json` (npm test does it first)');
  built = require(DIST) as typeof Audit; // eslint-disable-line @typescript-eslint/no-require-imports
  dir = tmpDir('bg-audit-par-');
  log = await buildLog({ n: 4500, checkpointEvery: 500, key }); // more lines than two worker batches
});
afterAll(() => dir.cleanup());

const flip = (lines: string[], i: number) => {
  const out = [...lines];
  out[i] = out[i]!.replace('"actor":"', '"actor":"X');
  return out;
};

/** The log's bytes with the first `from` in line `index` replaced by `to`. */
const editBytes = (lines: string[], index: number, from: Buffer, to: Buffer, eol = '\n') => {
  const line = Buffer.from(lines[index]!, 'utf8');
  const at = line.indexOf(from);
  if (at < 0) throw new Error(`line ${index} does not hold ${from.toString('hex')}`);
  return Buffer.concat([
    Buffer.from(text(lines.slice(0, index)), 'utf8'),
    line.subarray(0, at),
    to,
    line.subarray(at + from.length),
    Buffer.from(eol),
    Buffer.from(text(lines.slice(index + 1)), 'utf8'),
  ]);
};
const EMOJI = Buffer.from('😀', 'utf8');

const variants: Array<[string, () => string | Buffer]> = [
  ['an intact log', () => text(log.lines)],
  ['a change in the first batch', () => text(flip(log.lines, 10))],
  ['a change in a later batch', () => text(flip(log.lines, 4300))],
  ['a deleted entry', () => text(log.lines.filter((_, i) => i !== 4200))],
  [
    'swapped entries',
    () => text(log.lines.map((l, i, a) => (i === 4096 ? a[4097]! : i === 4097 ? a[4096]! : l))),
  ],
  ['a copied entry', () => text([...log.lines.slice(0, 4400), log.lines[4399]!, ...log.lines.slice(4400)])],
  [
    'a forged insertion with hashes recomputed',
    () =>
      text(
        reseal([...log.lines.slice(0, 3000), flip(log.lines, 3000)[3000]!, ...log.lines.slice(3000)], 3000),
      ),
  ],
  ['a torn last line', () => text(log.lines.slice(0, -1)) + log.lines.at(-1)!.slice(0, 100)],
  ['an edited checkpoint', () => text(flip(log.lines, 501))],
  [
    'invalid UTF-8 in a later batch',
    () => {
      const at = log.lines.findIndex((l, i) => i >= 4000 && l.includes('😀'));
      return editBytes(log.lines, at, EMOJI, Buffer.from([0xf0, 0x9f, 0x98]));
    },
  ],
  [
    'a torn last line cut inside a character',
    () => {
      const last = log.lines.findLastIndex((l) => l.includes('😀'));
      const cut = Buffer.from(log.lines[last]!, 'utf8');
      return Buffer.concat([
        Buffer.from(text(log.lines.slice(0, last)), 'utf8'),
        cut.subarray(0, cut.indexOf(EMOJI) + 2),
      ]);
    },
  ],
  ['CRLF line endings', () => log.lines.map((l) => `${l}\r\n`).join('')],
  [
    'a NUL byte in a line',
    () => editBytes(log.lines, 3333, Buffer.from('"actor":"'), Buffer.from('"actor":"\0')),
  ],
];

describe('verifying with worker threads', () => {
  it.each(variants)('gives the same verdict as the sequential verifier for %s', async (_name, make) => {
    const file = join(dir.path, 'log.jsonl');
    writeFileSync(file, make());
    const options = { keys: keysOf(key), strict: false };
    const sequential = built.verifyFile(file, options);
    const parallel = await built.verifyFileParallel(file, options, 2, 0);
    expect(parallel).toEqual(sequential);
  });

  it('finds the problems where the sequential verifier does', async () => {
    const file = join(dir.path, 'log.jsonl');
    writeFileSync(file, text(flip(log.lines, 4300)));
    const r = await built.verifyFileParallel(file, { keys: keysOf(key) }, 2, 0);
    expect(r.problem).toMatchObject({ kind: 'modified', seq: 4301 });
  });

  it('verifies a line longer than a read chunk and a worker batch (5 MiB) as the sequential verifier does', async () => {
    const blob = 'x'.repeat(5 << 20);
    const big = await buildLog({
      n: 30,
      checkpointEvery: 10,
      key,
      draft: (i, t) => ({
        time: built.isoTime(t),
        type: 'login',
        actor: `user:u${i}`,
        data: (i === 14 ? { blob } : { i }) as Record<string, JsonValue>,
      }),
    });
    const file = join(dir.path, 'big.jsonl');
    const options = { keys: keysOf(key), strict: true };
    writeFileSync(file, text(big.lines));
    const intact = await built.verifyFileParallel(file, options, 2, 0);
    expect(intact).toMatchObject({ ok: true, entries: 33 });
    expect(intact).toEqual(built.verifyFile(file, options));
    writeFileSync(file, editBytes(big.lines, 15, Buffer.from('xxxx'), Buffer.from('xxyx')));
    const edited = await built.verifyFileParallel(file, options, 2, 0);
    expect(edited.problem).toMatchObject({ kind: 'modified', seq: 16 });
    expect(edited).toEqual(built.verifyFile(file, options));
  });
});
