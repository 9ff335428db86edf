/** Something with writes queued in memory that one flush makes durable (a file's pending frame). */
export interface Journal {
  /** Writes everything queued so far as one frame and syncs it. */
  flush(): Promise<void>;
}

interface Batch {
  promise: Promise<void>;
  resolve(): void;
  reject(err: unknown): void;
}

/** Resolves after pending promise callbacks and I/O callbacks have run. */
const yieldToIo = () => new Promise<void>((r) => setImmediate(r));

function newBatch(): Batch {
  let resolve!: () => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  promise.catch(() => undefined); // callers that await it still see the rejection
  return { promise, resolve, reject };
}

/**
 * Group commit: every write that arrives while a flush is running (or during the
 * window before the first one) shares the next flush, i.e. one fsync per file for
 * all of them. Callers get the batch's promise and resolve only after the fsync.
 * A failed flush stops the committer for good (`onFailure`): the files may hold
 * less than memory says, so nothing further may be acknowledged.
 */
export class GroupCommit {
  private readonly dirty = new Set<Journal>();
  private current: Batch | null = null;
  private inflight: Batch | null = null;
  private running = false;
  private failure: unknown = null;

  constructor(
    private readonly windowMs: number,
    private readonly onFailure: (err: unknown) => void,
  ) {}

  get failed(): unknown {
    return this.failure;
  }

  /** Registers queued data in `journal`; resolves once it is durable. */
  commit(journal: Journal): Promise<void> {
    if (this.failure !== null) return Promise.reject(this.failure);
    this.dirty.add(journal);
    if (!this.current) this.current = newBatch();
    const { promise } = this.current;
    if (!this.running) {
      this.running = true;
      void this.run();
    }
    return promise;
  }

  /** Resolves once everything queued so far is durable; null when nothing is pending. */
  barrier(): Promise<void> | null {
    if (this.failure !== null) return Promise.reject(this.failure);
    return this.current?.promise ?? this.inflight?.promise ?? null;
  }

  private async run(): Promise<void> {
    // Everyone ready in this turn of the event loop joins the first batch; a write that
    // found the committer idle also waits the window for others to arrive.
    await yieldToIo();
    if (this.windowMs > 0) await new Promise((r) => setTimeout(r, this.windowMs));
    while (this.current && this.failure === null) {
      const batch = this.current;
      const journals = [...this.dirty];
      this.current = null;
      this.dirty.clear();
      this.inflight = batch;
      try {
        await Promise.all(journals.map((j) => j.flush()));
        this.inflight = null;
        batch.resolve();
      } catch (err) {
        this.inflight = null;
        this.failure = err;
        batch.reject(err);
        const next = this.current as Batch | null; // writes queued during the failed flush
        next?.reject(err);
        this.current = null;
        this.onFailure(err);
      }
      // Callers resolved just now often write again at once (a busy server): let them
      // join the next batch without waiting the window again.
      await yieldToIo();
    }
    this.running = false;
  }
}
