import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs, { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createFakeClock, systemClock } from '../../../src/core';
import { hasCode } from '../../../src/errors';
import {
  createRecordingFiles,
  openRecording,
  readAsciicastFile,
  RecordingThread,
  type AsciicastEvent,
  type RecordingWriterOptions,
} from '../../../src/recording';
import { tmpDir } from '../../helpers/tmp';

const GOLDEN = readFileSync(join(__dirname, '../../fixtures/recording/golden.cast'));
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

let tmp: ReturnType<typeof tmpDir>;
let thread: RecordingThread;
let n = 0;
const file = () => join(tmp.path, `rec-${++n}.cast`);

beforeAll(() => {
  tmp = tmpDir('breakglass-rec-');
  thread = new RecordingThread();
});
afterAll(async () => {
  await thread.close();
  tmp.cleanup();
});

function base(extra: Partial<RecordingWriterOptions> = {}): RecordingWriterOptions {
  return {
    path: file(),
    clock: createFakeClock(),
    kind: 'pty',
    width: 80,
    height: 24,
    recordInput: false,
    ...extra,
  };
}

/** The exact stdout bytes an exec recording holds ("ob" events, in order). */
async function stdoutOf(path: string): Promise<Buffer> {
  const events: AsciicastEvent[] = [];
  await readAsciicastFile(path, (e) => void events.push(e));
  return Buffer.concat(events.filter((e) => e.type === 'ob').map((e) => Buffer.from(e.data, 'base64')));
}

/** The session of the golden file, driven through the writer with a fake clock. */
async function recordGoldenSession(path: string) {
  const clock = createFakeClock();
  const rec = await openRecording(
    {
      path,
      clock,
      kind: 'pty',
      width: 80,
      height: 24,
      recordInput: true,
      term: 'xterm-256color',
      shell: '/bin/bash',
      info: { session: 's-1', user: 'alice@example.com', host: 'db-1', login: 'root' },
    },
    thread,
  );
  const at = (ms: number) => clock.set(Date.UTC(2026, 0, 1) + ms);
  at(250);
  rec.output(Buffer.from('\x1b[32mroot@db-1\x1b[0m:~# '));
  at(1500);
  rec.input(Buffer.from('l'));
  rec.output(Buffer.from('l'));
  at(1750);
  rec.input(Buffer.from('s'));
  rec.output(Buffer.from('s'));
  at(2000);
  rec.input(Buffer.from('\r'));
  at(2100);
  const listing = Buffer.from('\r\nfile-é.txt  日本語\r\n');
  rec.output(listing.subarray(0, 8)); // cuts "é" in two: the golden file has it whole in the next event
  rec.output(listing.subarray(8));
  at(3000);
  rec.resize(100, 40);
  at(4000.001);
  rec.output(Buffer.from('bye\r\n'));
  at(4500);
  rec.exit({ code: 0 });
  const checkpoint = await rec.checkpoint();
  const seal = await rec.close();
  return { checkpoint, seal };
}

describe('openRecording', () => {
  it('writes the golden file byte for byte (header, output, input, marker, resize, exit) and seals its hash and size', async () => {
    const path = file();
    const { checkpoint, seal } = await recordGoldenSession(path);
    const written = readFileSync(path);
    expect(written.toString('utf8')).toBe(GOLDEN.toString('utf8'));
    expect(seal).toEqual({ sha256: sha256(GOLDEN), size: GOLDEN.length, events: 12, durationMs: 4500 });
    expect(checkpoint).toEqual({ sha256: sha256(GOLDEN), size: GOLDEN.length, events: 12 });
  });

  it('creates the file with mode 0600 and never overwrites an existing recording', async () => {
    const opts = base();
    const rec = await openRecording(opts, thread);
    await rec.close();
    expect(statSync(opts.path).mode & 0o777).toBe(0o600);
    const err = await openRecording(opts, thread).catch((e: unknown) => e);
    expect(hasCode(err, 'RECORDING_EXISTS')).toBe(true);
  });

  it('gets its bytes to the file within the flush interval without being closed', async () => {
    const opts = base({ clock: systemClock, flushIntervalMs: 50 });
    const rec = await openRecording(opts, thread);
    rec.output(Buffer.from('visible before close'));
    const deadline = Date.now() + 5000;
    while (!readFileSync(opts.path, 'utf8').includes('visible before close')) {
      if (Date.now() > deadline) throw new Error('recorded output never reached the file');
      await new Promise((r) => setTimeout(r, 10));
    }
    expect((await rec.checkpoint()).size).toBe(statSync(opts.path).size);
    await rec.close();
  });

  it('checkpoints the running hash of exactly the bytes in the file once flushed', async () => {
    const opts = base();
    const rec = await openRecording(opts, thread);
    rec.output(Buffer.from('first'));
    await rec.flush();
    const cp = await rec.checkpoint();
    const onDisk = readFileSync(opts.path);
    expect(cp).toEqual({ sha256: sha256(onDisk), size: onDisk.length, events: 1 });
    rec.output(Buffer.from('second'));
    const seal = await rec.close();
    const all = readFileSync(opts.path);
    expect(seal.sha256).toBe(sha256(all));
    expect(all.subarray(0, cp.size).equals(onDisk)).toBe(true);
  });

  it('streams the header then every new line to live subscribers until they unsubscribe', async () => {
    const rec = await openRecording(base(), thread);
    const seen: string[] = [];
    const stop = rec.subscribe((l) => seen.push(l));
    rec.output(Buffer.from('one'));
    await rec.flush(); // lines reach viewers from the recording thread: at the latest with the flush
    stop();
    rec.output(Buffer.from('two'));
    await rec.close();
    expect(seen).toEqual([
      '{"version":2,"width":80,"height":24,"timestamp":1767225600,"env":{},"breakglass":{"kind":"pty"}}\n',
      '[0, "o", "one"]\n',
    ]);
  });

  it('asks the source to pause when too much is waiting to be written, and accepts more after flush', async () => {
    const rec = await openRecording(base({ maxPendingBytes: 1000, batchBytes: 1_000_000 }), thread);
    expect(rec.output(Buffer.alloc(100, 0x61))).toBe(true);
    expect(rec.output(Buffer.alloc(2000, 0x61))).toBe(false);
    await rec.flush();
    expect(rec.output(Buffer.alloc(100, 0x61))).toBe(true);
    await rec.close();
  });

  it('lets a paused source go on (ready) once the thread has written all but half the limit of it', async () => {
    const opts = base({ kind: 'exec', maxPendingBytes: 1 << 20, batchBytes: 16 * 1024 * 1024 });
    const rec = await openRecording(opts, thread);
    const header = statSync(opts.path).size;
    let paused = false;
    let sent = 0;
    while (sent < 40 && !paused) paused = !rec.output(Buffer.alloc(40_000, sent++));
    expect(paused).toBe(true); // 1 MiB handed over, none of it written (the batch is 16 MiB)
    expect(sent).toBe(Math.ceil((1 << 20) / 40_000));
    await rec.ready();
    const onFile = statSync(opts.path).size - header;
    // At least half of what was recorded is in the file; the rest may still wait in memory.
    expect(onFile).toBeGreaterThan((1 << 20) / 2);
    expect(rec.output(Buffer.alloc(10, 1))).toBe(true);
    await rec.ready(); // no pressure: at once
    await rec.close();
    const events: AsciicastEvent[] = [];
    await readAsciicastFile(opts.path, (e) => void events.push(e));
    expect(events.filter((e) => e.type === 'ob')).toHaveLength(sent + 1);
  });

  it('keeps every byte, in order, when the sessions outrun the recording thread (more than its 4 MiB ring at once)', async () => {
    const rec = await openRecording(base({ kind: 'exec', batchBytes: 64 * 1024 }), thread);
    const chunks = Array.from({ length: 200 }, (_, i) => Buffer.alloc(40_000, i));
    let paused = 0;
    for (const c of chunks) if (!rec.output(c)) paused++;
    expect(paused).toBeGreaterThan(0); // 8 MB handed over in one turn: the source is asked to pause
    await rec.close();
    expect((await stdoutOf(rec.path)).equals(Buffer.concat(chunks))).toBe(true);
  });

  it('keeps every byte, in order, when the disk falls behind (the thread stops taking frames over its backlog)', async () => {
    const slow = new RecordingThread({ maxBacklogBytes: 64 * 1024 });
    try {
      const rec = await openRecording(base({ kind: 'exec', batchBytes: 16 * 1024 * 1024 }), slow);
      const chunks = Array.from({ length: 100 }, (_, i) => Buffer.alloc(40_000, i));
      for (const c of chunks) if (!rec.output(c)) await rec.ready();
      await rec.close();
      expect((await stdoutOf(rec.path)).equals(Buffer.concat(chunks))).toBe(true);
    } finally {
      await slow.close();
    }
  });

  it('fails every open recording when the recording thread dies: the source hears of it and further data is refused', async () => {
    const own = new RecordingThread();
    const errors: unknown[] = [];
    const opts = base({ onError: (err) => errors.push(err) });
    const rec = await openRecording(opts, own);
    rec.output(Buffer.from('before'));
    await rec.flush();
    await (own as unknown as { worker: { terminate(): Promise<number> } }).worker.terminate();
    expect(errors).toEqual([expect.objectContaining({ code: 'RECORDING_WRITE_FAILED' })]);
    expect(() => rec.output(Buffer.from('after'))).toThrow(
      expect.objectContaining({ code: 'RECORDING_WRITE_FAILED' }),
    );
    // What the file holds is what was recorded: the checkpoint falls back to hashing it.
    const onDisk = readFileSync(opts.path);
    await expect(rec.checkpoint()).resolves.toEqual({
      sha256: sha256(onDisk),
      size: onDisk.length,
      events: 1,
    });
    await expect(rec.ready()).rejects.toMatchObject({ code: 'RECORDING_WRITE_FAILED' });
    await expect(rec.close()).rejects.toMatchObject({ code: 'RECORDING_WRITE_FAILED' });
    await expect(openRecording(base(), own)).rejects.toMatchObject({ code: 'RECORDING_WRITE_FAILED' });
    await expect(own.room()).rejects.toMatchObject({ code: 'RECORDING_WRITE_FAILED' });
  });

  it('syncs the whole file before sealing it, off the recording thread, and fails the seal when the sync fails', async () => {
    const real = fs.fdatasync;
    const seen: { size: number; fd: number }[] = [];
    let failWith: NodeJS.ErrnoException | null = null;
    const spy = jest.spyOn(fs, 'fdatasync').mockImplementation(((
      fd: number,
      cb: (e: NodeJS.ErrnoException | null) => void,
    ) => {
      seen.push({ size: fs.fstatSync(fd).size, fd });
      if (failWith) cb(failWith);
      else real(fd, cb);
    }) as typeof fs.fdatasync);
    try {
      const good = base({ kind: 'exec' });
      const rec = await openRecording(good, thread);
      rec.output(Buffer.alloc(300_000, 1));
      const seal = await rec.close();
      expect(seen).toHaveLength(1);
      expect(seen[0]!.size).toBe(seal.size); // every byte was written before the sync
      expect(statSync(good.path).size).toBe(seal.size);

      failWith = Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' });
      const bad = await openRecording(base(), thread);
      bad.output(Buffer.from('x'));
      await expect(bad.close()).rejects.toMatchObject({
        code: 'RECORDING_WRITE_FAILED',
        message: expect.stringContaining('syncing recording'),
      });
      expect(() => fs.fstatSync(seen[1]!.fd)).toThrow(); // the descriptor was closed all the same
    } finally {
      spy.mockRestore();
    }
  });

  it('refuses session data after close', async () => {
    const rec = await openRecording(base(), thread);
    await rec.close();
    expect(() => rec.output(Buffer.from('late'))).toThrow(
      expect.objectContaining({ code: 'RECORDING_CLOSED' }),
    );
    await expect(rec.close()).resolves.toMatchObject({ events: 0 });
  });

  it('replays with `asciinema cat` (an independent asciicast v2 reader) to exactly the recorded output', async () => {
    const path = file();
    await recordGoldenSession(path);
    // asciinema cat insists on a terminal: give it one with script(1).
    const out = execFileSync('script', ['-qec', `asciinema cat ${path}`, '/dev/null'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const recorded: AsciicastEvent[] = [];
    await readAsciicastFile(path, (e) => void recorded.push(e));
    const expected = recorded
      .filter((e) => e.type === 'o')
      .map((e) => e.data)
      .join('');
    expect(expected).toContain('日本語');
    // The pty turns LF into CR LF; compare without CRs.
    expect(out.replace(/\r/g, '')).toBe(expected.replace(/\r/g, ''));
  });
});

describe('createRecordingFiles', () => {
  it('keeps recordings as <dir>/<id>.cast and refuses ids that could escape the directory', async () => {
    const files = createRecordingFiles({ dir: join(tmp.path, 'recordings') });
    const rec = await files.open('sess-1', {
      clock: createFakeClock(),
      kind: 'exec',
      width: 80,
      height: 24,
      recordInput: false,
      command: 'uptime',
    });
    rec.output(Buffer.from(' 10:00:00 up 1 day\n'));
    rec.errorOutput(Buffer.from('warning\n'));
    rec.exit({ code: 0 });
    const seal = await rec.close();
    expect(statSync(join(tmp.path, 'recordings')).mode & 0o777).toBe(0o700);
    expect(await files.inspect('sess-1')).toMatchObject({
      header: { command: 'uptime', breakglass: { kind: 'exec' } },
      events: 3,
    });
    expect((await files.verify('sess-1', seal)).ok).toBe(true);
    expect((await files.search('sess-1', 'warning')).matches).toHaveLength(1);
    for (const bad of ['../x', '.hidden', 'a/b', '', 'x'.repeat(129), 'nul\0']) {
      expect(() => files.pathFor(bad)).toThrow(expect.objectContaining({ code: 'RECORDING_INVALID_ID' }));
    }
    await expect(files.verify('missing', seal)).rejects.toMatchObject({ code: 'RECORDING_NOT_FOUND' });
    await files.close();
  });

  it('searches the decoded bytes of an exec recording, across events that split a character', async () => {
    const clock = createFakeClock();
    const files = createRecordingFiles({ dir: join(tmp.path, 'exec-search') });
    const rec = await files.open('exec-1', {
      clock,
      kind: 'exec',
      width: 80,
      height: 24,
      recordInput: false,
      command: 'cat notes',
    });
    const text = Buffer.from('first line\nthe café is closed\n');
    const cut = text.indexOf('é') + 1;
    rec.output(text.subarray(0, cut));
    clock.advance(2000);
    rec.output(text.subarray(cut));
    await rec.close();
    await files.close();
    const { matches } = await files.search('exec-1', 'CAFÉ IS');
    expect(matches).toEqual([{ time: 0, line: 2, snippet: expect.stringContaining('the café is closed') }]);
  });

  it('searches a recording file and returns match times for jump-to-time', async () => {
    const files = createRecordingFiles({ dir: join(tmp.path, 'search') });
    mkdirSync(join(tmp.path, 'search'));
    writeFileSync(files.pathFor('golden'), GOLDEN);
    const result = await files.search('golden', 'FILE-É');
    expect(result).toEqual({
      matches: [{ time: 2.1, line: 9, snippet: expect.stringContaining('file-é.txt') }],
      truncated: false,
    });
  });
});
