import { BreakglassError } from '../../errors';
import type { LogEntry, LogEntryBuilder, LogHead } from '../types';
import { checkBuilt } from '../validate';

/** Most entries sent in one append script, and roughly the most bytes. */
const MAX_BATCH = 256;
const MAX_BATCH_BYTES = 8 * 1024 * 1024;

interface Job {
  build: LogEntryBuilder;
  /** performance.now() after which it is not sent any more (a network timeout, not business time). */
  deadline: number;
  settled: boolean;
  resolve(entry: LogEntry): void;
  reject(err: unknown): void;
}

export interface AppendBackend {
  /** The current head as Redis has it. */
  fetchHead(log: string): Promise<LogHead>;
  /** Appends `entries` if the head is still `expected`; otherwise returns the actual head. */
  tryAppend(
    log: string,
    expected: LogHead,
    entries: Array<{ hash: string; data: string }>,
  ): Promise<{ ok: true } | { ok: false; head: LogHead }>;
  /** Whether an error means Redis is unreachable (fail everything queued behind it too). */
  isUnavailable(err: unknown): boolean;
}

interface Queue {
  jobs: Job[];
  running: boolean;
  /** Head after our last successful append (saves a round trip; a conflict corrects it). */
  head: LogHead | null;
}

/**
 * Appends to Redis logs. Appends to one log from this process are queued and sent
 * in batches: each batch is built from the head the previous one produced and sent
 * as one script that checks that head first (optimistic concurrency against other
 * replicas). On a conflict the batch is rebuilt from the head Redis returns and
 * retried, at most `retries` times.
 */
export class LogAppender {
  private readonly queues = new Map<string, Queue>();

  constructor(
    private readonly backend: AppendBackend,
    private readonly retries: number,
    private readonly timeoutMs: number,
  ) {}

  append(log: string, build: LogEntryBuilder): Promise<LogEntry> {
    return new Promise((resolve, reject) => {
      let q = this.queues.get(log);
      if (!q) this.queues.set(log, (q = { jobs: [], running: false, head: null }));
      const job: Job = {
        build,
        deadline: performance.now() + this.timeoutMs,
        settled: false,
        resolve: (entry) => {
          job.settled = true;
          resolve(entry);
        },
        reject: (err) => {
          job.settled = true;
          reject(err);
        },
      };
      q.jobs.push(job);
      if (!q.running) {
        q.running = true;
        void this.drain(log, q);
      }
    });
  }

  /** Resolves once nothing is queued or in flight. */
  async idle(): Promise<void> {
    while ([...this.queues.values()].some((q) => q.running)) await new Promise((r) => setTimeout(r, 5));
  }

  private async drain(log: string, q: Queue): Promise<void> {
    // Appends made in the same turn (e.g. Promise.all) join the first batch.
    await Promise.resolve();
    try {
      while (q.jobs.length > 0) {
        const now = performance.now();
        const batch: Job[] = [];
        while (q.jobs.length > 0 && batch.length < MAX_BATCH) {
          const job = q.jobs.shift()!;
          if (job.deadline <= now)
            job.reject(
              new BreakglassError(
                'STORE_UNAVAILABLE',
                `redis store: append to ${log} waited longer than ${this.timeoutMs} ms`,
              ),
            );
          else batch.push(job);
        }
        if (batch.length === 0) continue;
        try {
          await this.commit(log, q, batch);
        } catch (err) {
          q.head = null;
          // Jobs put back in the queue for the next batch were not sent: they stay queued.
          for (const job of batch) if (!job.settled && !q.jobs.includes(job)) job.reject(err);
          if (this.backend.isUnavailable(err)) for (const job of q.jobs.splice(0)) job.reject(err);
        }
      }
    } finally {
      q.running = false;
      if (q.jobs.length === 0) this.queues.delete(log);
    }
  }

  private async commit(log: string, q: Queue, batch: Job[]): Promise<void> {
    let head = q.head ?? (await this.backend.fetchHead(log));
    let live = batch;
    for (let attempt = 0; attempt <= this.retries; attempt++) {
      const entries: LogEntry[] = [];
      const sent: Job[] = [];
      let h = head;
      let bytes = 0;
      for (const job of live) {
        if (sent.length > 0 && bytes >= MAX_BATCH_BYTES) {
          q.jobs.unshift(...live.slice(live.indexOf(job))); // the rest goes in the next batch
          break;
        }
        let built: { data: string; hash: string };
        try {
          built = checkBuilt(log, job.build(h));
        } catch (err) {
          job.reject(err);
          continue;
        }
        const entry = { seq: h.seq + 1, hash: built.hash, data: built.data };
        entries.push(entry);
        sent.push(job);
        bytes += entry.data.length + entry.hash.length;
        h = { seq: entry.seq, hash: entry.hash };
      }
      live = sent;
      if (sent.length === 0) return;
      const result = await this.backend.tryAppend(log, head, entries);
      if (result.ok) {
        q.head = h;
        sent.forEach((job, i) => job.resolve(Object.freeze(entries[i]!)));
        return;
      }
      head = result.head;
    }
    q.head = null;
    throw new BreakglassError(
      'STORE_CONFLICT',
      `log ${log}: other replicas kept appending during ${this.retries + 1} attempts; try again`,
      {
        details: { log, attempts: this.retries + 1 },
      },
    );
  }
}
