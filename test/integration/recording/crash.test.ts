import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  readAsciicastFile,
  verifyRecording,
  type AsciicastEvent,
  type RecordingCheckpoint,
} from '../../../src/recording';
import { tsLoaderSource } from '../../../src/core';
import { tmpDir } from '../../helpers/tmp';

const REPO = join(__dirname, '../../..');
const CHILD = join(REPO, 'test/fixtures/recording/crash-writer.ts');
/** Runs a TypeScript file in a plain node child: a transpile-only require hook (no type check). */
const LOADER = tsLoaderSource('process.env.CHILD');

describe('a recording whose writer process is killed', () => {
  it('leaves a prefix that parses, keeps whole characters and matches the checkpoints already printed', async () => {
    const tmp = tmpDir('breakglass-crash-');
    try {
      const path = join(tmp.path, 'crash.cast');
      const child = spawn(process.execPath, ['-e', LOADER], {
        cwd: REPO,
        env: { PATH: process.env.PATH, CHILD, RECORDING_PATH: path },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const checkpoints: RecordingCheckpoint[] = [];
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const exited = new Promise<NodeJS.Signals | null>((resolve) =>
        child.once('exit', (_code, signal) => resolve(signal)),
      );
      await new Promise<void>((resolve, reject) => {
        let buffered = '';
        child.stdout.on('data', (d: Buffer) => {
          buffered += d.toString();
          const lines = buffered.split('\n');
          buffered = lines.pop()!;
          for (const l of lines) checkpoints.push(JSON.parse(l) as RecordingCheckpoint);
          // Kill it mid-stream, with output still arriving, never closed.
          if (checkpoints.length >= 5) resolve();
        });
        child.once('exit', () => reject(new Error(`writer exited early: ${stderr}`)));
      });
      child.kill('SIGKILL');
      expect(await exited).toBe('SIGKILL');

      const events: AsciicastEvent[] = [];
      const summary = await readAsciicastFile(path, (e) => void events.push(e));
      expect(summary.header).toMatchObject({ version: 2, width: 80, height: 24 });
      expect(events.length).toBeGreaterThan(50);
      const text = events.map((e) => e.data).join('');
      expect(text).not.toContain('\ufffd');
      const lines = text.split('\r\n').slice(0, -1);
      lines.forEach((l, i) => expect(l).toBe(`line ${i} é 日本語`));

      const size = readFileSync(path).length;
      expect(size).toBeGreaterThanOrEqual(checkpoints[checkpoints.length - 1]!.size);
      const result = await verifyRecording(path, { checkpoints });
      expect(result).toMatchObject({ ok: true, sealed: false, verified: checkpoints.length });
    } finally {
      tmp.cleanup();
    }
  });
});
