import { closeSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A fresh temporary directory; `cleanup()` removes it. */
export function tmpDir(prefix = 'breakglass-'): { path: string; cleanup: () => void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, cleanup: () => rmSync(path, { recursive: true, force: true }) };
}

/** Runs `run` on new files at `paths` (mode 0600), open for writing; closes them afterwards. */
export async function withNewFiles<T>(
  paths: readonly string[],
  run: (fds: number[]) => Promise<T>,
): Promise<T> {
  const fds: number[] = [];
  try {
    for (const path of paths) fds.push(openSync(path, 'wx', 0o600));
    return await run(fds);
  } finally {
    for (const fd of fds) closeSync(fd);
  }
}

/** Runs `run` on a new file at `path` (mode 0600), open for writing; closes it afterwards. */
export function withNewFile<T>(path: string, run: (fd: number) => Promise<T>): Promise<T> {
  return withNewFiles([path], ([fd]) => run(fd!));
}
