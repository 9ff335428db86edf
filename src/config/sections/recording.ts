import { z } from 'zod';
import { duration } from '../types';

export const recordingSection = z
  .strictObject({
    dir: z
      .string()
      .min(1)
      .default('recordings')
      .describe(
        'Directory of the recordings (`<id>.cast`, mode 0600; the directory mode 0700). Relative paths are under `data_dir`.',
      ),
    checkpoint_interval: duration({ min: 1000, max: 3_600_000 })
      .prefault('30s')
      .describe('How often the running SHA-256 and size of each live recording go into the audit log.'),
    flush_interval: duration({ min: 1, max: 1000 })
      .prefault('1s')
      .describe(
        'Longest time recorded bytes wait in memory before they are written (a crash loses at most this).',
      ),
    batch_bytes: z
      .number()
      .int()
      .min(4096)
      .max(16 * 1_048_576)
      .default(256 * 1024)
      .describe('Waiting bytes that trigger a write at once.'),
    max_pending_bytes: z
      .number()
      .int()
      .min(65_536)
      .max(256 * 1_048_576)
      .default(8 * 1_048_576)
      .describe(
        "Bytes of a session's recording waiting to be written above which the session is paused until all but half of them are written.",
      ),
  })
  .describe('Session recordings: where they are kept and how they are checkpointed.');

export type RecordingConfig = z.output<typeof recordingSection>;
