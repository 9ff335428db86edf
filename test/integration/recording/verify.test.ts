import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createFakeClock } from '../../../src/core';
import {
  assertRecordingIntact,
  openRecording,
  RecordingThread,
  verifyRecording,
  type RecordingCheckpoint,
  type RecordingSeal,
  type SealedRecording,
} from '../../../src/recording';
import { tmpDir } from '../../helpers/tmp';

let tmp: ReturnType<typeof tmpDir>;
let original: string;
let bytes: Buffer;
let checkpoints: RecordingCheckpoint[];
let seal: RecordingSeal;
let n = 0;

/** A recording of 40 commands with a checkpoint after every 10 (as the gateway does every 30 s). */
beforeAll(async () => {
  tmp = tmpDir('breakglass-verify-');
  original = join(tmp.path, 'original.cast');
  const clock = createFakeClock();
  const thread = new RecordingThread();
  const rec = await openRecording(
    { path: original, clock, kind: 'pty', width: 80, height: 24, recordInput: true },
    thread,
  );
  checkpoints = [];
  for (let i = 1; i <= 40; i++) {
    clock.advance(1000);
    rec.input(Buffer.from(`echo step-${i}\r`));
    rec.output(Buffer.from(`step-${i}\r\n$ `));
    if (i % 10 === 0 && i < 40) checkpoints.push(await rec.checkpoint());
  }
  seal = await rec.close();
  await thread.close();
  bytes = readFileSync(original);
});
afterAll(() => tmp.cleanup());

const sealed = (): SealedRecording => ({ sha256: seal.sha256, size: seal.size, checkpoints });

/** A copy of the recording changed by `edit`. */
function tampered(edit: (b: Buffer) => Buffer): string {
  const path = join(tmp.path, `copy-${++n}.cast`);
  copyFileSync(original, path);
  writeFileSync(path, edit(Buffer.from(bytes)));
  return path;
}

/** File line (1-based) of byte `offset`. */
const lineOf = (offset: number) => bytes.subarray(0, offset).toString('latin1').split('\n').length;

function flipAt(offset: number) {
  return (b: Buffer) => {
    b[offset] = b[offset] === 0x31 ? 0x32 : 0x31;
    return b;
  };
}

describe('verifyRecording', () => {
  it('accepts an untouched recording against its checkpoints and final seal', async () => {
    const result = await verifyRecording(original, sealed());
    expect(result).toEqual({ ok: true, size: seal.size, sha256: seal.sha256, verified: 4, sealed: true });
  });

  it.each([
    ['in the first region', () => 100, 0, 0],
    ['between checkpoints #2 and #3', () => checkpoints[1]!.size + 50, 1, 2],
    ['after the last checkpoint', () => checkpoints[2]!.size + 10, 2, 3],
  ])(
    'names the byte range and lines around a single byte changed in %s',
    async (_label, at, goodIdx, badIdx) => {
      const offset = at();
      const result = await verifyRecording(tampered(flipAt(offset)), sealed());
      const points = [{ size: 0 }, ...checkpoints, seal];
      expect(result.ok).toBe(false);
      expect(result.problem).toMatchObject({
        kind: 'modified',
        point: badIdx === 3 ? 'the final seal' : `checkpoint #${badIdx + 1}`,
        range: {
          start: goodIdx === 0 && badIdx === 0 ? 0 : points[goodIdx + 1]!.size,
          end: points[badIdx + 1]!.size,
        },
      });
      const { range } = result.problem!;
      expect(offset).toBeGreaterThanOrEqual(range.start);
      expect(offset).toBeLessThan(range.end);
      expect(range.lines!.from).toBeLessThanOrEqual(lineOf(offset));
      expect(range.lines!.to).toBeGreaterThanOrEqual(lineOf(offset));
      expect(result.problem!.message).toMatch(
        new RegExp(`^bytes ${range.start}-${range.end - 1} \\(lines \\d+-\\d+\\) differ`),
      );
    },
  );

  it('catches a same-length rewrite of a command and the removal of a whole line', async () => {
    const rewrite = await verifyRecording(
      tampered((b) => Buffer.from(b.toString('utf8').replace('echo step-25', 'rm -rf /*!!!'))),
      sealed(),
    );
    expect(rewrite.size).toBe(seal.size);
    expect(rewrite.problem).toMatchObject({ kind: 'modified', point: 'checkpoint #3' });
    const text = bytes.toString('utf8');
    const line = text.indexOf('"step-5\\r\\n$ "]\n');
    const lineStart = text.lastIndexOf('\n', line) + 1;
    const removed = await verifyRecording(
      tampered((b) => Buffer.concat([b.subarray(0, lineStart), b.subarray(text.indexOf('\n', line) + 1)])),
      sealed(),
    );
    expect(removed.problem).toMatchObject({
      kind: 'modified',
      point: 'checkpoint #1',
      range: { start: 0, end: checkpoints[0]!.size },
    });
  });

  it('reports a file cut short with where it ends and what was sealed', async () => {
    const cut = checkpoints[1]!.size + 7;
    const result = await verifyRecording(
      tampered((b) => b.subarray(0, cut)),
      sealed(),
    );
    expect(result.problem).toMatchObject({
      kind: 'truncated',
      point: 'checkpoint #3',
      range: { start: cut, end: checkpoints[2]!.size },
    });
    expect(result.problem!.message).toBe(
      `the file ends at byte ${cut} but checkpoint #3 covers ${checkpoints[2]!.size} bytes; bytes before ${checkpoints[1]!.size} match checkpoint #2`,
    );
  });

  it('reports bytes appended after the sealed end', async () => {
    const extra = Buffer.from('[99, "o", "appended"]\n');
    const result = await verifyRecording(
      tampered((b) => Buffer.concat([b, extra])),
      sealed(),
    );
    expect(result.problem).toMatchObject({
      kind: 'extended',
      range: { start: seal.size, end: seal.size + extra.length },
    });
  });

  it('verifies a crashed recording against its checkpoints alone', async () => {
    const crashed = tampered((b) => b.subarray(0, checkpoints[2]!.size + 30));
    expect(await verifyRecording(crashed, { checkpoints })).toMatchObject({
      ok: true,
      sealed: false,
      verified: 3,
    });
  });

  it('throws RECORDING_VERIFY_FAILED naming the first difference for the CLI', async () => {
    await expect(assertRecordingIntact(tampered(flipAt(200)), sealed())).rejects.toMatchObject({
      code: 'RECORDING_VERIFY_FAILED',
      message: expect.stringMatching(
        /bytes 0-\d+ \(lines 1-\d+\) differ from what was sealed: checkpoint #1/,
      ),
    });
    await expect(assertRecordingIntact(original, sealed())).resolves.toMatchObject({ ok: true });
  });

  it.each<[string, SealedRecording]>([
    ['nothing to check against', {}],
    ['a hash that is not hex', { sha256: 'z'.repeat(64), size: 10 }],
    ['a negative size', { sha256: 'a'.repeat(64), size: -1 }],
    ['a final seal without size', { sha256: 'a'.repeat(64) }],
    [
      'checkpoints out of order',
      {
        checkpoints: [
          { sha256: 'a'.repeat(64), size: 20 },
          { sha256: 'b'.repeat(64), size: 10 },
        ],
      },
    ],
  ])('refuses %s', async (_label, input) => {
    await expect(verifyRecording(original, input)).rejects.toMatchObject({
      code: 'RECORDING_INVALID_ARGUMENT',
    });
  });

  it('says when the recording file does not exist', async () => {
    await expect(verifyRecording(join(tmp.path, 'nope.cast'), sealed())).rejects.toMatchObject({
      code: 'RECORDING_NOT_FOUND',
    });
  });
});
