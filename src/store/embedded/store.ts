import { join } from 'node:path';
import type { Clock } from '../../core';
import { BreakglassError } from '../../errors';
import type { Logger } from '../../logging';
import type {
  CounterOptions,
  DeleteOptions,
  EventHandler,
  ListOptions,
  LogEntry,
  LogEntryBuilder,
  LogHead,
  PutOptions,
  Store,
  StoredRecord,
  StoreHealth,
  Unsubscribe,
} from '../types';
import * as v from '../validate';
import { GroupCommit, type Journal } from './commit';
import { ensureDir } from './files';
import { lockDir, type DirLock } from './lock';
import { LogDirectory } from './logs';
import { LocalBus } from './pubsub';
import { emptyReport, type RecoveryReport } from './recovery';
import { MemoryState, type Rec } from './state';
import { Wal } from './wal';

export interface EmbeddedStoreOptions {
  /** The data directory; the store keeps its files in `<dataDir>/store`. */
  dataDir: string;
  groupCommitWindowMs: number;
  compactAfterBytes: number;
  fsync: boolean;
  /** Start a new segment file of a log once the current one is this large. */
  segmentBytes: number;
  /** How often expired records are dropped from memory. */
  sweepIntervalMs: number;
  logger: Logger;
  clock: Clock;
}

const frozen = (rec: Rec): StoredRecord =>
  Object.freeze({ value: rec.value, version: rec.version, expiresAt: rec.expiresAt });

/**
 * The embedded store: state in memory, made durable in a data directory by a
 * write-ahead log with group commit (records, counters) and per-log segment files
 * (append-only logs). A write resolves only after its fsync; reads wait until
 * everything they could see is durable, so nobody acts on a write a crash can undo.
 */
export class EmbeddedStore implements Store {
  readonly driver = 'embedded' as const;
  private closed = false;
  private closing: Promise<void> | null = null;
  private failure: string | null = null;
  private readonly sweeper: NodeJS.Timeout;

  private constructor(
    /** Where the store's files are (`<data_dir>/store`). */
    readonly dir: string,
    /** What start-up found and repaired (torn tails, a stale lock). */
    readonly recovered: RecoveryReport,
    private readonly state: MemoryState,
    private readonly wal: Wal,
    private readonly logs: LogDirectory,
    private readonly committer: GroupCommit,
    private readonly lock: DirLock,
    private readonly bus: LocalBus,
    private readonly opts: EmbeddedStoreOptions,
  ) {
    this.sweeper = setInterval(() => this.state.sweep(opts.clock.now()), opts.sweepIntervalMs);
    this.sweeper.unref();
  }

  static async open(opts: EmbeddedStoreOptions): Promise<EmbeddedStore> {
    const { logger, clock } = opts;
    const base = await ensureDir(opts.dataDir);
    if (!base.created && (base.mode & 0o077) !== 0) {
      logger.warn('store: the data directory is accessible to other users; chmod 700 it', {
        dataDir: opts.dataDir,
        mode: base.mode.toString(8),
      });
    }
    const dir = join(opts.dataDir, 'store');
    await ensureDir(dir);
    const lock = await lockDir(dir);
    let wal: Wal | undefined;
    let logs: LogDirectory | undefined;
    try {
      const report = emptyReport();
      if (lock.tookOverStale)
        report.staleLock = { pid: lock.tookOverStale.pid, host: lock.tookOverStale.host };
      const logsDir = join(dir, 'logs');
      await ensureDir(logsDir);
      let fail: (err: unknown) => void = () => undefined;
      const committer = new GroupCommit(opts.groupCommitWindowMs, (err) => fail(err));
      const state = new MemoryState();
      wal = await Wal.open(
        {
          dir,
          sync: opts.fsync,
          compactAfterBytes: opts.compactAfterBytes,
          logger,
          now: () => clock.now(),
          commit: (j) => committer.commit(j),
        },
        state,
        report,
      );
      logs = await LogDirectory.open(logsDir, { sync: opts.fsync, segmentBytes: opts.segmentBytes }, report);
      state.sweep(clock.now());
      const store = new EmbeddedStore(
        dir,
        Object.freeze(report),
        state,
        wal,
        logs,
        committer,
        lock,
        new LocalBus(logger),
        opts,
      );
      fail = (err) => store.onWriteFailure(err);
      for (const torn of report.tornTails) {
        logger.warn(
          'store: dropped an incomplete record at the end of a file (a write interrupted by a crash, never acknowledged)',
          { ...torn },
        );
      }
      if (report.staleLock)
        logger.warn('store: took over the lock of a process that no longer runs', report.staleLock);
      return store;
    } catch (err) {
      // Start-up refused (e.g. a damaged log): close what was opened, write nothing.
      await logs?.close().catch(() => undefined);
      await wal?.close().catch(() => undefined);
      await lock.release().catch(() => undefined);
      throw err;
    }
  }

  private onWriteFailure(err: unknown): void {
    this.failure = `writing to the data directory failed (${err instanceof Error ? err.message : String(err)}); restart after fixing the cause`;
    this.opts.logger.error(`store: ${this.failure}`, { dir: this.dir });
  }

  private guard(): void {
    if (this.closed) throw new BreakglassError('STORE_CLOSED', 'the store is closed');
    if (this.failure !== null)
      throw new BreakglassError('STORE_UNAVAILABLE', `embedded store: ${this.failure}`);
  }

  private async durable(journal: Journal): Promise<void> {
    try {
      await this.committer.commit(journal);
    } catch {
      throw new BreakglassError('STORE_UNAVAILABLE', `embedded store: ${this.failure ?? 'write failed'}`);
    }
  }

  /** Waits until everything a read could have seen is durable. */
  private async settled(): Promise<void> {
    const pending = this.committer.barrier();
    if (pending === null) return;
    try {
      await pending;
    } catch {
      throw new BreakglassError('STORE_UNAVAILABLE', `embedded store: ${this.failure ?? 'write failed'}`);
    }
  }

  async get(ns: string, key: string): Promise<StoredRecord | null> {
    v.checkName('namespace', ns);
    v.checkName('key', key);
    this.guard();
    const rec = this.state.get(ns, key, this.opts.clock.now());
    await this.settled();
    return rec && frozen(rec);
  }

  async put(ns: string, key: string, value: string, options?: PutOptions): Promise<number> {
    v.checkName('namespace', ns);
    v.checkName('key', key);
    v.checkValue('value', value);
    const { ifVersion, ttlMs } = v.checkPutOptions(options);
    this.guard();
    const out = this.state.put(ns, key, value, ifVersion, ttlMs, this.opts.clock.now());
    if (!out.ok) throw conflict(ns, key, ifVersion!, out.current);
    this.wal.queue(out.op);
    await this.durable(this.wal);
    return out.op.version;
  }

  async delete(ns: string, key: string, options?: DeleteOptions): Promise<boolean> {
    v.checkName('namespace', ns);
    v.checkName('key', key);
    const { ifVersion } = v.checkDeleteOptions(options);
    this.guard();
    const out = this.state.delete(ns, key, ifVersion, this.opts.clock.now());
    if (!out.ok) throw conflict(ns, key, ifVersion!, out.current);
    if (out.op === null) {
      await this.settled();
      return false;
    }
    this.wal.queue(out.op);
    await this.durable(this.wal);
    return true;
  }

  async list(ns: string, options?: ListOptions): Promise<Array<{ key: string } & StoredRecord>> {
    v.checkName('namespace', ns);
    const { prefix, limit } = v.checkListOptions(options);
    this.guard();
    const items = this.state.list(ns, prefix, limit, this.opts.clock.now());
    await this.settled();
    return items.map((r) =>
      Object.freeze({ key: r.key, value: r.value, version: r.version, expiresAt: r.expiresAt }),
    );
  }

  async increment(name: string, options?: CounterOptions): Promise<number> {
    v.checkName('counter', name);
    const { windowMs } = v.checkCounterOptions(options);
    this.guard();
    const op = this.state.increment(name, windowMs, this.opts.clock.now());
    this.wal.queue(op);
    await this.durable(this.wal);
    return op.value;
  }

  async append(log: string, build: LogEntryBuilder): Promise<LogEntry> {
    v.checkName('log', log);
    v.checkFunction('the entry builder', build);
    this.guard();
    const journal = this.logs.get(log);
    const { data, hash } = v.checkBuilt(log, build(journal.head));
    const entry = journal.add(hash, data);
    await this.durable(journal);
    return Object.freeze(entry);
  }

  async readLog(log: string, fromSeq: number, limit?: number): Promise<LogEntry[]> {
    v.checkName('log', log);
    const range = v.checkReadLog(fromSeq, limit);
    this.guard();
    const journal = this.logs.find(log);
    await this.settled();
    if (!journal) return [];
    return (await journal.read(range.fromSeq, range.limit)).map((e) => Object.freeze(e));
  }

  async head(log: string): Promise<LogHead> {
    v.checkName('log', log);
    this.guard();
    const head = this.logs.find(log)?.head ?? { seq: 0, hash: null };
    await this.settled();
    return Object.freeze(head);
  }

  async publish(channel: string, message: string): Promise<void> {
    v.checkName('channel', channel);
    v.checkValue('message', message);
    this.guard();
    this.bus.publish(channel, message);
  }

  async subscribe(channel: string, handler: EventHandler): Promise<Unsubscribe> {
    v.checkName('channel', channel);
    v.checkFunction('the event handler', handler);
    this.guard();
    const off = this.bus.subscribe(channel, handler);
    return async () => off();
  }

  async health(): Promise<StoreHealth> {
    if (this.closed) return { ok: false, driver: 'embedded', reason: 'the store is closed' };
    if (this.failure !== null) return { ok: false, driver: 'embedded', reason: this.failure };
    return { ok: true, driver: 'embedded' };
  }

  /** Writes a snapshot now and drops the write-ahead log before it (also done automatically by size). */
  async compact(): Promise<void> {
    this.guard();
    await this.wal.compact();
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    this.closed = true;
    clearInterval(this.sweeper);
    this.bus.clear();
    await this.committer.barrier()?.catch(() => undefined);
    await this.wal
      .close()
      .catch((err) =>
        this.opts.logger.error('store: closing the write-ahead log failed', { error: String(err) }),
      );
    await this.logs.close().catch(() => undefined);
    await this.lock.release();
  }
}

function conflict(ns: string, key: string, expected: number, current: number): BreakglassError {
  return new BreakglassError(
    'STORE_CONFLICT',
    `record ${ns}/${key} is at version ${current}, not ${expected}; read it again and retry`,
    {
      details: { ns, key, expected, current },
    },
  );
}
