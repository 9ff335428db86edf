import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { LogJournal, logDirName, type SegmentOptions } from './segments';
import { corrupt, type MutableReport } from './recovery';

/** Every append-only log of the embedded store, one directory each under `logs/`. */
export class LogDirectory {
  private readonly logs = new Map<string, LogJournal>();

  private constructor(
    private readonly dir: string,
    private readonly opts: SegmentOptions,
  ) {}

  static async open(dir: string, opts: SegmentOptions, report: MutableReport): Promise<LogDirectory> {
    const logs = new LogDirectory(dir, opts);
    try {
      for (const entry of await fs.readdir(dir, { withFileTypes: true })) {
        if (!entry.isDirectory() || !/^[0-9a-f]{32}$/.test(entry.name)) continue;
        const log = await LogJournal.recover(join(dir, entry.name), dir, opts, report);
        if (!log) continue;
        if (logDirName(log.name) !== entry.name) {
          await log.close().catch(() => undefined);
          throw corrupt(join(dir, entry.name), 0, `directory holds log ${log.name}`);
        }
        logs.logs.set(log.name, log);
      }
    } catch (err) {
      // A damaged log stops start-up: the files opened so far are closed, not left to the GC.
      await logs.close().catch(() => undefined);
      throw err;
    }
    return logs;
  }

  /** The log, or null when nothing was ever appended to it. */
  find(name: string): LogJournal | null {
    return this.logs.get(name) ?? null;
  }

  get(name: string): LogJournal {
    let log = this.logs.get(name);
    if (!log) {
      log = new LogJournal(name, join(this.dir, logDirName(name)), this.dir, this.opts);
      this.logs.set(name, log);
    }
    return log;
  }

  async close(): Promise<void> {
    for (const log of this.logs.values()) await log.close();
  }
}
