import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type * as Audit from '../../../src/audit';
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

const variants: Array<[string, () => string]> = [
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
});
