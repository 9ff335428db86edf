import { closeSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A fresh temporary directory; `cleanup()` removes it. */
export function tmpDir(prefix = 'breakglass-'): { path: string; cleanup: () => void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, cleanup: () => rmSync(path, { recursive: true, force: true }) };
}

/** Runs `run` on a new file at `path` (mode 0600), open for writing; closes it afterwards. */
export function withNewFile<T>(path: string, run: (fd: number) => T): T {
  const fd = openSync(path, 'wx', 0o600);
  try {
    return run(fd);
  } finally {
    closeSync(fd);
  }
}
