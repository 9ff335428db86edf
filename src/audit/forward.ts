import winston from 'winston';
import TransportStream from 'winston-transport';
import type { Logger } from '../logging';
import type { AuditEntry } from './entry';

/** Hands every durable entry to SIEM transports without ever waiting for them. */
export interface AuditForwarder {
  readonly name: string;
  /** Queues one entry (its canonical line too); never throws for a slow or dead peer. */
  forward(entry: AuditEntry, line: string): void;
  stats(): Record<string, ForwardStats>;
  /** Sends what is queued (bounded by `timeoutMs`), then stops. */
  close(timeoutMs?: number): Promise<void>;
}

export interface ForwardStats {
  /** Entries waiting in this transport's queue. */
  queued: number;
  sent: number;
  /** Dropped because the queue was full. */
  dropped: number;
  /** Dropped after the peer failed every retry. */
  failed: number;
}

/** One forwarded entry as a transport sees it. */
export interface ForwardRecord {
  readonly entry: AuditEntry;
  readonly line: string;
}

export interface QueuedTransportOptions {
  /** Shown in stats and errors (`file`, `syslog`, `http`). */
  name: string;
  /** Most records waiting; beyond it new records are dropped and counted. */
  maxQueue: number;
  /** Most records handed to one `send`. */
  batchSize: number;
  /** Retries of a failed batch before it is dropped and counted (default 0). */
  retries?: number;
  /** First back-off between retries in ms, doubled each time (default 250). */
  backoffMs?: number;
  /** Called with a short reason when a batch is given up (no secrets). */
  onError?: (reason: string) => void;
}

/**
 * A winston transport with its own bounded queue: `log()` only enqueues (or drops and
 * counts when full) and returns at once, so the winston pipe never backs up; a worker
 * sends batches in order with retries. Subclasses implement `send`.
 */
export abstract class QueuedTransport extends TransportStream {
  readonly name: string;
  private readonly queue: ForwardRecord[] = [];
  private readonly opts: Required<Omit<QueuedTransportOptions, 'onError'>> &
    Pick<QueuedTransportOptions, 'onError'>;
  private running: Promise<void> | null = null;
  private stopped = false;
  private readonly counts = { sent: 0, dropped: 0, failed: 0 };

  constructor(opts: QueuedTransportOptions) {
    super({ level: 'info' });
    this.name = opts.name;
    this.opts = { retries: 0, backoffMs: 250, ...opts };
  }

  /** Sends one batch; throws when the peer did not take it. */
  protected abstract send(batch: readonly ForwardRecord[]): Promise<void>;

  /** Releases sockets/handles after the queue is drained or abandoned. */
  protected async shutdown(): Promise<void> {}

  override log(info: { entry?: AuditEntry; line?: string }, next: () => void): void {
    if (info.entry && typeof info.line === 'string') this.enqueue({ entry: info.entry, line: info.line });
    next();
  }

  enqueue(record: ForwardRecord): void {
    if (this.stopped || this.queue.length >= this.opts.maxQueue) {
      this.counts.dropped++;
      return;
    }
    this.queue.push(record);
    if (!this.running) this.running = this.drain().finally(() => (this.running = null));
  }

  stats(): ForwardStats {
    return { queued: this.queue.length, ...this.counts };
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0 && !this.stopped) {
      const batch = this.queue.splice(0, this.opts.batchSize);
      let attempt = 0;
      for (;;) {
        try {
          await this.send(batch);
          this.counts.sent += batch.length;
          break;
        } catch (err) {
          if (attempt >= this.opts.retries || this.stopped) {
            this.counts.failed += batch.length;
            this.opts.onError?.(
              `${this.name}: gave up on ${batch.length} entries: ${(err as Error).message}`,
            );
            break;
          }
          await delay(this.opts.backoffMs * 2 ** attempt++);
        }
      }
    }
  }

  /** Waits for the queue to drain for up to `timeoutMs`, then drops the rest and stops. */
  async flushAndStop(timeoutMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMs);
      timer.unref();
    });
    await Promise.race([this.idle(), deadline]);
    clearTimeout(timer);
    this.stopped = true;
    this.counts.dropped += this.queue.splice(0).length;
    await this.shutdown();
  }

  private async idle(): Promise<void> {
    while (this.running) await this.running;
  }
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

/**
 * Wraps queued transports in a winston logger: each durable entry is logged once and
 * every transport gets it. Nothing here can delay or fail an append.
 */
export function createWinstonForwarder(
  transports: readonly QueuedTransport[],
  logger?: Logger,
): AuditForwarder {
  const sink = winston.createLogger({
    level: 'info',
    format: winston.format((info) => info)(),
    transports: [...transports],
    exitOnError: false,
  });
  sink.on('error', (err: Error) => logger?.warn('audit forwarding error', { error: err.message }));
  let closed = false;
  return {
    name: 'siem',
    forward(entry, line) {
      if (closed) return;
      sink.log({ level: 'info', message: entry.type, entry, line });
    },
    stats() {
      return Object.fromEntries(transports.map((t) => [t.name, t.stats()]));
    },
    async close(timeoutMs = 5000) {
      if (closed) return;
      closed = true;
      // Let records already in winston's pipe reach the transports' queues.
      await new Promise((resolve) => setImmediate(resolve));
      await Promise.all(transports.map((t) => t.flushAndStop(timeoutMs)));
      sink.close();
    },
  };
}
