import { constants, promises as fs, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { BreakglassError } from '../../errors';
import { FILE_MODE } from './files';

export const LOCK_FILE = 'LOCK';

interface LockOwner {
  pid: number;
  /** Process start time (Linux /proc/PID/stat field 22), to tell a reused PID apart. */
  start: string | null;
  host: string;
}

function startTime(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    // The command name (field 2) is in parentheses and may contain spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[19] ?? null;
  } catch {
    return null;
  }
}

function alive(owner: LockOwner): boolean {
  if (owner.host !== hostname()) return true; // cannot tell: assume it is alive (a shared disk)
  try {
    process.kill(owner.pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return false;
  }
  const start = startTime(owner.pid);
  return owner.start === null || start === null || start === owner.start;
}

function parseOwner(text: string): LockOwner | null {
  try {
    const v = JSON.parse(text) as Partial<LockOwner>;
    if (typeof v.pid === 'number' && typeof v.host === 'string')
      return { pid: v.pid, start: v.start ?? null, host: v.host };
  } catch {
    // fall through
  }
  return null;
}

export interface DirLock {
  readonly path: string;
  /** Whether a lock left by a process that no longer runs was taken over. */
  readonly tookOverStale: LockOwner | null;
  release(): Promise<void>;
}

/**
 * Makes sure only one process uses a data directory: an exclusive-create lock file
 * holding the owner's PID, process start time and host. A lock left by a process
 * that no longer runs (kill -9) is taken over; a live owner is a clear error.
 */
export async function lockDir(dir: string): Promise<DirLock> {
  const path = join(dir, LOCK_FILE);
  const me: LockOwner = { pid: process.pid, start: startTime(process.pid), host: hostname() };
  let tookOverStale: LockOwner | null = null;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fh = await fs.open(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, FILE_MODE);
      try {
        await fh.writeFile(JSON.stringify(me));
        await fh.sync();
      } finally {
        await fh.close();
      }
      return {
        path,
        tookOverStale,
        release: async () => {
          const current = parseOwner(await fs.readFile(path, 'utf8').catch(() => ''));
          if (current && current.pid === me.pid && current.host === me.host)
            await fs.rm(path, { force: true });
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new BreakglassError(
          'STORE_DATA_DIR',
          `data directory ${dir}: cannot create lock file ${path} (${String((err as NodeJS.ErrnoException).code ?? err)})`,
          {
            details: { path },
            cause: err,
          },
        );
      }
    }
    const text = await fs.readFile(path, 'utf8').catch(() => null);
    if (text === null) continue; // released meanwhile
    const owner = parseOwner(text);
    if (!owner && attempt === 0) {
      // Possibly a lock being written right now by another process: look again shortly.
      await new Promise((r) => setTimeout(r, 100));
      continue;
    }
    if (owner && alive(owner)) {
      const who =
        owner.pid === process.pid && owner.host === me.host
          ? 'this process (another store instance)'
          : `process ${owner.pid} on ${owner.host}`;
      throw new BreakglassError(
        'STORE_DATA_DIR',
        `data directory ${dir} is in use by ${who} (lock file ${path}); stop it or use another data_dir`,
        {
          details: { path, pid: owner.pid, host: owner.host },
        },
      );
    }
    // Stale (its process is gone) or unreadable: move it aside, and only remove it if it is still the one we judged.
    const aside = `${path}.stale-${process.pid}`;
    await fs.rename(path, aside).catch(() => undefined);
    const moved = await fs.readFile(aside, 'utf8').catch(() => null);
    if (moved !== null && moved !== text) {
      await fs.rename(aside, path).catch(() => undefined); // someone else's fresh lock: put it back
      continue;
    }
    await fs.rm(aside, { force: true });
    tookOverStale = owner ?? { pid: 0, start: null, host: 'unknown' };
  }
  throw new BreakglassError(
    'STORE_DATA_DIR',
    `data directory ${dir}: could not take the lock file ${path} (another process keeps taking it)`,
    {
      details: { path },
    },
  );
}
