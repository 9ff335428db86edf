import { BreakglassError } from '../../errors';

/**
 * A bounded queue consumed as an async iterator: producers `push` lines, `end` or `fail`
 * it; a consumer that falls more than `limit` lines behind gets PROXY_VIEWER_TOO_SLOW (a
 * slow viewer never holds memory or slows the session). `onClose` runs once, whether the
 * producer ended it or the consumer stopped (`return()` / `break`).
 */
export class LineQueue implements AsyncIterableIterator<string> {
  private readonly lines: string[] = [];
  private waiter: ((r: IteratorResult<string>) => void) | undefined;
  private failWaiter: ((err: unknown) => void) | undefined;
  private done = false;
  private error: unknown;
  private closed = false;

  constructor(
    private readonly limit: number,
    private readonly onClose: () => void,
  ) {}

  push(line: string): void {
    if (this.done) return;
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = this.failWaiter = undefined;
      w({ value: line, done: false });
      return;
    }
    if (this.lines.length >= this.limit) {
      this.fail(
        new BreakglassError(
          'PROXY_VIEWER_TOO_SLOW',
          `the viewer fell more than ${this.limit} lines behind the live session and was disconnected`,
        ),
      );
      return;
    }
    this.lines.push(line);
  }

  end(): void {
    if (this.done) return;
    this.done = true;
    this.settle();
  }

  fail(err: unknown): void {
    if (this.done) return;
    this.done = true;
    this.error = err;
    this.lines.length = 0;
    this.settle();
  }

  private settle(): void {
    this.close();
    if (this.lines.length > 0) return;
    if (this.error !== undefined && this.failWaiter) {
      const f = this.failWaiter;
      this.waiter = this.failWaiter = undefined;
      f(this.error);
    } else if (this.waiter) {
      const w = this.waiter;
      this.waiter = this.failWaiter = undefined;
      w({ value: undefined, done: true });
    }
  }

  private close(): void {
    if (this.closed) return;
    this.closed = true;
    this.onClose();
  }

  next(): Promise<IteratorResult<string>> {
    if (this.lines.length > 0) return Promise.resolve({ value: this.lines.shift()!, done: false });
    if (this.done) {
      if (this.error !== undefined) {
        const err = this.error;
        this.error = undefined;
        return Promise.reject(err);
      }
      return Promise.resolve({ value: undefined, done: true });
    }
    return new Promise((resolve, reject) => {
      this.waiter = resolve;
      this.failWaiter = reject;
    });
  }

  return(): Promise<IteratorResult<string>> {
    this.done = true;
    this.lines.length = 0;
    this.error = undefined;
    this.close();
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = this.failWaiter = undefined;
      w({ value: undefined, done: true });
    }
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<string> {
    return this;
  }
}
