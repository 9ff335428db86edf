import fc from 'fast-check';
import {
  createKeySigner,
  decodeCheckpoint,
  isoTime,
  verifyLines,
  verifyText,
  type DecodedCheckpoint,
  type VerifyResult,
} from '../../../src/audit';
import { buildLog, keysOf, makeKeyPair, reseal, START, text, type BuiltLog } from './log-fixture';

// 50 ordinary entries with a checkpoint entry after every 10: seqs 1..55, checkpoint
// entries at 11, 22, 33, 44, 55 committing to 10, 21, 32, 43, 54.
const key = makeKeyPair();
const otherKey = makeKeyPair();
const keys = keysOf(key);
let log: BuiltLog;
let full: string;

beforeAll(async () => {
  log = await buildLog({ n: 50, checkpointEvery: 10, key });
  full = text(log.lines);
});

const decoded = (jws: string): DecodedCheckpoint => {
  const d = decodeCheckpoint(jws);
  if (typeof d === 'string') throw new Error(d);
  return d;
};

async function checkpointAt(
  seq: number,
  opts: { logId?: string; signedAtMs?: number; k?: typeof key; hash?: string } = {},
): Promise<DecodedCheckpoint> {
  const jws = await createKeySigner(opts.k ?? key).sign({
    seq,
    hash: opts.hash ?? log.hashes[seq - 1]!,
    time: isoTime(opts.signedAtMs ?? START + seq * 1000),
    log_id: opts.logId ?? 'test-log',
  });
  return decoded(jws);
}

function expectProblem(r: VerifyResult, kind: string, seq: number): void {
  expect(r.problem).toMatchObject({ kind, seq });
  expect(r.ok).toBe(false);
}

/** Flips the lowest bit of the first letter or digit of a member's value in a line. */
function flipMember(line: string, member: string): string {
  const at = line.indexOf(`"${member}":`);
  if (at < 0) throw new Error(`no ${member} in ${line}`);
  for (let i = at + member.length + 3; i < line.length; i++) {
    if (/[A-Za-z0-9]/.test(line[i]!))
      return line.slice(0, i) + String.fromCharCode(line.charCodeAt(i) ^ 1) + line.slice(i + 1);
  }
  throw new Error('nothing to flip');
}

/** A forged variant of an entry: another actor (hashes not yet recomputed). */
function forge(line: string): string {
  const out = line.replace('"actor":"', '"actor":"mallory-as-');
  expect(out).not.toBe(line);
  return out;
}

describe('verifying an untampered log', () => {
  it('accepts it and reports entries, head and the last signed checkpoint', () => {
    const r = verifyText(full, { keys });
    expect(r.problem).toBeNull();
    expect(r).toMatchObject({
      ok: true,
      entries: 55,
      firstSeq: 1,
      lastSeq: 55,
      head: log.hashes[54],
      torn: null,
      uncovered: null,
    });
    expect(r.lastCheckpoint).toMatchObject({
      seq: 54,
      entrySeq: 55,
      signatureChecked: true,
      log_id: 'test-log',
    });
  });

  it('accepts it without keys but says signatures were not checked and nothing is covered', () => {
    const r = verifyText(full);
    expect(r.ok).toBe(true);
    expect(r.lastCheckpoint).toMatchObject({ seq: 54, signatureChecked: false });
    expect(r.uncovered).toEqual({ from: 1, to: 54, count: 50 });
  });

  it('accepts an export that starts in the middle (from seq 23)', () => {
    const r = verifyText(text(log.lines.slice(22)), { keys });
    expect(r).toMatchObject({ ok: true, entries: 33, firstSeq: 23, lastSeq: 55 });
  });

  it('accepts it against an outside checkpoint taken at an earlier head', async () => {
    const r = verifyText(full, { keys, checkpoint: await checkpointAt(37) });
    expect(r.ok).toBe(true);
    expect(r.given).toMatchObject({ seq: 37, matched: true });
  });

  it('accepts an empty log', () => {
    expect(verifyText('', { keys })).toMatchObject({ ok: true, entries: 0, head: null });
  });
});

describe('detecting each kind of tampering at the right seq', () => {
  it.each(['seq', 'time', 'type', 'actor', 'target', 'data', 'policy_version', 'prev', 'hash'])(
    'a bit flipped in %s of entry 15 is "modified" at 15',
    (member) => {
      const lines = [...log.lines];
      lines[14] = flipMember(lines[14]!, member);
      expectProblem(verifyText(text(lines), { keys }), 'modified', 15);
    },
  );

  it.each([1, 2, 30, 55])('a bit flipped in the data of entry %i is "modified" there', (seq) => {
    const lines = [...log.lines];
    lines[seq - 1] = flipMember(lines[seq - 1]!, seq % 11 === 0 ? 'jws' : 'data');
    expectProblem(verifyText(text(lines), { keys }), 'modified', seq);
  });

  it('a bit flipped in the seq of the first entry is "modified" at 1', () => {
    const lines = [...log.lines];
    lines[0] = flipMember(lines[0]!, 'seq');
    expectProblem(verifyText(text(lines), { keys }), 'modified', 1);
  });

  it.each([
    ['an upper-case exponent', (l: string) => l.replace('"ttl_seconds":3600', '"ttl_seconds":3.6E3')],
    ['an escaped letter', (l: string) => l.replace('"root"', '"\\u0072oot"')],
    ['whitespace', (l: string) => l.replace('"data":', '"data": ')],
  ])('an edit that parses to the same value (%s) is "modified" (not canonical)', (_name, edit) => {
    const lines = [...log.lines];
    lines[1] = edit(lines[1]!);
    expect(lines[1]).not.toBe(log.lines[1]);
    const r = verifyText(text(lines), { keys });
    expectProblem(r, 'modified', 2);
    expect(r.problem!.message).toMatch(/canonical/);
  });

  it.each([5, 12, 40])('deleting entry %i is "deleted" there', (seq) => {
    const lines = log.lines.filter((_, i) => i !== seq - 1);
    expectProblem(verifyText(text(lines), { keys }), 'deleted', seq);
  });

  it('deleting three entries names the first', () => {
    const lines = [...log.lines.slice(0, 19), ...log.lines.slice(22)];
    const r = verifyText(text(lines), { keys });
    expectProblem(r, 'deleted', 20);
    expect(r.problem!.message).toMatch(/20\.\.22/);
  });

  it.each([3, 25, 53])('swapping entries %i and the next is "reordered" at the first', (seq) => {
    const lines = [...log.lines];
    [lines[seq - 1], lines[seq]] = [lines[seq]!, lines[seq - 1]!];
    expectProblem(verifyText(text(lines), { keys }), 'reordered', seq);
  });

  it('moving an entry far ahead is "reordered" at its seq', () => {
    const lines = [...log.lines];
    const [moved] = lines.splice(9, 1);
    lines.splice(30, 0, moved!);
    expectProblem(verifyText(text(lines), { keys }), 'reordered', 10);
  });

  it('a copied entry inserted again is "inserted" at its seq', () => {
    const lines = [...log.lines];
    lines.splice(18, 0, lines[17]!);
    expectProblem(verifyText(text(lines), { keys }), 'inserted', 18);
  });

  it('an entry replaced by a forgery with its own hash recomputed is "modified" at its seq', () => {
    const forged = reseal([log.lines[15]!, forge(log.lines[16]!)], 1);
    // keep the forged entry's own seq/prev: re-seal it after the real entry 16
    const lines = [...log.lines];
    lines[16] = forged[1]!;
    expectProblem(verifyText(text(lines), { keys }), 'modified', 17);
  });

  it('an inserted forged entry with every later hash recomputed is "inserted" at its seq (found by the next checkpoint)', () => {
    const forged = forge(log.lines[13]!);
    const lines = reseal([...log.lines.slice(0, 14), forged, ...log.lines.slice(14)], 14);
    // the chain itself is consistent: only the checkpoint at entry 23 (commits to 21) disagrees
    const r = verifyText(text(lines), { keys });
    expectProblem(r, 'inserted', 15);
    expect(r.problem!.range).toEqual({ from: 11, to: 21 });
  });

  it('the same forgery is found without keys too, since the checkpoint payload no longer matches', () => {
    const forged = forge(log.lines[13]!);
    const lines = reseal([...log.lines.slice(0, 14), forged, ...log.lines.slice(14)], 14);
    expectProblem(verifyText(text(lines)), 'inserted', 15);
  });

  it('an entry modified with every later hash recomputed is a "checkpoint_mismatch" over the range holding it', () => {
    const lines = [...log.lines];
    lines[15] = forge(lines[15]!);
    const r = verifyText(text(reseal(lines, 15)), { keys });
    expectProblem(r, 'checkpoint_mismatch', 11);
    expect(r.problem!.range).toEqual({ from: 11, to: 21 });
  });

  it('re-signing the checkpoints with another key after a forgery is "bad_signature"', async () => {
    const forged = [...log.lines];
    forged[15] = forge(forged[15]!);
    // The forger recomputes hashes and re-signs every later checkpoint with their own key.
    const resealed = reseal(forged, 15);
    const signer = createKeySigner(otherKey);
    for (let i = 15; i < resealed.length; i++) {
      const o = JSON.parse(resealed[i]!);
      if (o.type !== 'audit.checkpoint') continue;
      const prev = JSON.parse(resealed[i - 1]!);
      const jws = await signer.sign({ seq: prev.seq, hash: prev.hash, time: o.time, log_id: 'test-log' });
      o.data = { seq: prev.seq, hash: prev.hash, log_id: 'test-log', jws };
      resealed[i] = JSON.stringify(o);
      resealed.splice(0, resealed.length, ...reseal(resealed, i));
    }
    expect(verifyText(text(resealed)).ok).toBe(true); // without keys the forgery is consistent
    const r = verifyText(text(resealed), { keys });
    expectProblem(r, 'bad_signature', 22);
    expect(r.problem!.message).toMatch(/not among the given public keys/);
  });

  it('a checkpoint whose signature bytes were changed (hashes recomputed) is "bad_signature" at its entry', () => {
    const lines = [...log.lines];
    const o = JSON.parse(lines[32]!);
    const [h, p, s] = (o.data.jws as string).split('.');
    const sig = Buffer.from(s!, 'base64url');
    sig[5]! ^= 0x40;
    o.data.jws = `${h}.${p}.${sig.toString('base64url')}`;
    lines[32] = JSON.stringify(o);
    const r = verifyText(text(reseal(lines, 32)), { keys });
    expectProblem(r, 'bad_signature', 33);
  });

  it('an inserted forged entry after the last checkpoint is flagged as not covered, and fails in strict mode', () => {
    const extended = [...log.lines, ...reseal([...log.lines, forge(log.lines[40]!)], 55).slice(55)];
    const relaxed = verifyText(text(extended), { keys });
    expect(relaxed.ok).toBe(true);
    expect(relaxed.uncovered).toEqual({ from: 56, to: 56, count: 1 });
    expectProblem(verifyText(text(extended), { keys, strict: true }), 'unsigned', 56);
  });

  it('a forged entry inserted in the tail is "rolled_back" against an outside checkpoint of the real tail', async () => {
    // the real log continued to 60 entries (+ checkpoints); the auditor kept a checkpoint at 58
    const longer = await buildLog({
      n: 5,
      key,
      from: { seq: 55, hash: log.hashes[54]!, lines: log.lines, hashes: log.hashes },
    });
    const cp = decoded(
      await createKeySigner(key).sign({
        seq: 58,
        hash: longer.hashes[57]!,
        time: isoTime(START + 99_000),
        log_id: 'test-log',
      }),
    );
    const lines = [...longer.lines];
    lines.splice(56, 0, forge(lines[56]!));
    const r = verifyText(text(reseal(lines, 56)), { keys, checkpoint: cp });
    expectProblem(r, 'rolled_back', 55);
    expect(r.problem!.range).toEqual({ from: 55, to: 58 });
  });

  it('a cut tail is "truncated" against an outside checkpoint, and looks like a shorter log without one', async () => {
    const cut = text(log.lines.slice(0, 40));
    expect(verifyText(cut, { keys })).toMatchObject({ ok: true, entries: 40 });
    const r = verifyText(cut, { keys, checkpoint: await checkpointAt(50) });
    expectProblem(r, 'truncated', 41);
    expect(r.problem!.range).toEqual({ from: 41, to: 50 });
  });

  it('an older backup restored is "truncated" against a later outside checkpoint', async () => {
    const backup = text(log.lines.slice(0, 25));
    expectProblem(verifyText(backup, { keys, checkpoint: await checkpointAt(54) }), 'truncated', 26);
  });

  it('an older backup restored and written on is "rolled_back", after the last checkpoint both histories share', async () => {
    // The auditor's checkpoint at 30 was signed at time T. The store is then restored to seq 25
    // (its checkpoint at 22 commits to 21 and was signed before T), and new, different entries follow.
    const given = await checkpointAt(30, { signedAtMs: START + 40_000 });
    const restored = await buildLog({
      n: 20,
      checkpointEvery: 10,
      key,
      startMs: START + 100_000,
      from: {
        seq: 25,
        hash: log.hashes[24]!,
        lines: log.lines.slice(0, 25),
        hashes: log.hashes.slice(0, 25),
      },
      draft: (i, t) => ({
        time: isoTime(t),
        type: 'logout',
        actor: `user:r${i}@example.com`,
        data: { reason: 'after restore' },
      }),
    });
    expect(verifyText(text(restored.lines), { keys }).ok).toBe(true);
    const r = verifyText(text(restored.lines), { keys, checkpoint: given });
    expectProblem(r, 'rolled_back', 22);
    expect(r.problem!.range).toEqual({ from: 22, to: 30 });
  });
});

describe('checkpoints and torn lines', () => {
  it('reports a torn final line as torn, not as tampering, and verifies what comes before', () => {
    for (const cutAt of [1, 10, 57, log.lines[30]!.length - 1]) {
      const torn = text(log.lines.slice(0, 30)) + log.lines[30]!.slice(0, cutAt);
      const r = verifyText(torn, { keys });
      expect(r).toMatchObject({ ok: true, entries: 30, lastSeq: 30, torn: { line: 31 } });
    }
  });

  it('reports a torn final line padded with NUL bytes as torn', () => {
    const r = verifyText(text(log.lines.slice(0, 30)) + log.lines[30]!.slice(0, 40) + '\0'.repeat(64), {
      keys,
    });
    expect(r).toMatchObject({ ok: true, entries: 30, torn: { line: 31 } });
  });

  it.each([
    ['a complete entry followed by junk', (l: string) => `${l}X`],
    ['a complete entry followed by a brace', (l: string) => `${l}}`],
    ['junk that is not an entry', () => 'garbage'],
  ])('does not excuse %s on the last line as torn', (_name, edit) => {
    const r = verifyText(text(log.lines.slice(0, 30)) + edit(log.lines[30]!), { keys });
    expectProblem(r, 'modified', 31);
  });

  it.each([
    ['a high surrogate alone', '\ud83d'],
    ['a low surrogate alone', '\ude00'],
  ])('%s in a line given as a string (no UTF-8 form) is "modified" there', (_name, lone) => {
    const lines = [...log.lines];
    lines[1] = lines[1]!.replace('😀', lone);
    expect(lines[1]).not.toBe(log.lines[1]);
    expectProblem(verifyText(text(lines), { keys }), 'modified', 2);
    expectProblem(verifyLines(lines, { keys }), 'modified', 2);
  });

  it('a cut line in the middle is "modified"', () => {
    const lines = [...log.lines];
    lines[7] = lines[7]!.slice(0, 50);
    expectProblem(verifyText(text(lines), { keys }), 'modified', 8);
  });

  it('an outside checkpoint with a bad signature is "bad_signature"', async () => {
    const forged = await checkpointAt(40, { k: otherKey });
    expectProblem(verifyText(full, { keys, checkpoint: forged }), 'bad_signature', 40);
  });

  it('an outside checkpoint of another log is "bad_checkpoint"', async () => {
    const r = verifyText(full, { keys, checkpoint: await checkpointAt(40, { logId: 'other-log' }) });
    expect(r.problem?.kind).toBe('bad_checkpoint');
  });

  it('an outside checkpoint before the first line of an export is "unverifiable"', async () => {
    const r = verifyText(text(log.lines.slice(30)), { keys, checkpoint: await checkpointAt(20) });
    expectProblem(r, 'unverifiable', 20);
  });

  it('a log whose checkpoints name another log id than expected is "bad_checkpoint" at the first', () => {
    expectProblem(verifyText(full, { keys, logId: 'production' }), 'bad_checkpoint', 11);
  });
});

describe('property: any single-byte change is detected', () => {
  let small: string;
  beforeAll(async () => {
    small = text((await buildLog({ n: 12, checkpointEvery: 4, key })).lines);
  });

  it('verifies the untampered log and rejects every single-byte change', () => {
    expect(verifyText(small, { keys }).ok).toBe(true);
    const bytes = Buffer.from(small, 'utf8');
    fc.assert(
      fc.property(fc.nat({ max: bytes.length - 1 }), fc.integer({ min: 1, max: 255 }), (pos, xor) => {
        const changed = Buffer.from(bytes);
        changed[pos]! ^= xor;
        const r = verifyText(changed.toString('utf8'), { keys });
        expect(r.ok).toBe(false);
      }),
      { numRuns: 1000 },
    );
  });
});
