import { open, type FileHandle } from 'node:fs/promises';
import { QueuedTransport, type ForwardRecord, type QueuedTransportOptions } from './forward';

type Common = Omit<QueuedTransportOptions, 'name' | 'batchSize'> & { batchSize?: number };

/**
 * Appends each entry's canonical line to a file (mode 0600). The file is itself a
 * log `breakglass audit verify` accepts (entries from this process only when several
 * replicas share one store: then it may have gaps, which verify reports as deletions).
 */
export class FileTransport extends QueuedTransport {
  private handle: Promise<FileHandle> | null = null;

  constructor(
    private readonly path: string,
    opts: Common,
  ) {
    super({ name: 'file', batchSize: 1000, ...opts });
  }

  protected async send(batch: readonly ForwardRecord[]): Promise<void> {
    this.handle ??= open(this.path, 'a', 0o600);
    const fh = await this.handle.catch((err: unknown) => {
      this.handle = null;
      throw err;
    });
    await fh.appendFile(batch.map((r) => `${r.line}\n`).join(''));
  }

  protected override async shutdown(): Promise<void> {
    const h = this.handle;
    this.handle = null;
    if (h) await (await h.catch(() => null))?.close();
  }
}

export interface HttpTransportOptions extends Common {
  url: string;
  /** Authorization header value; never logged. */
  authorization?: string;
  timeoutMs: number;
}

/**
 * POSTs batches of entries as a JSON array (`[entry, entry, …]`, each the canonical
 * entry object) with `Content-Type: application/json`. A non-2xx answer, a network
 * error or a timeout is retried with exponential back-off, then the batch is dropped
 * and counted.
 */
export class HttpTransport extends QueuedTransport {
  constructor(private readonly options: HttpTransportOptions) {
    super({ name: 'http', batchSize: 100, ...options });
  }

  protected async send(batch: readonly ForwardRecord[]): Promise<void> {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (this.options.authorization) headers.authorization = this.options.authorization;
    const res = await fetch(this.options.url, {
      method: 'POST',
      headers,
      body: `[${batch.map((r) => r.line).join(',')}]`,
      signal: AbortSignal.timeout(this.options.timeoutMs),
    });
    // Drain the body so the connection can be reused.
    await res.arrayBuffer().catch(() => undefined);
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
  }
}
