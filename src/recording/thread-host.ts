import { once } from 'node:events';
import type { Worker } from 'node:worker_threads';
import { startWorker } from '../core';
import { BreakglassError } from '../errors';
import { RingProducer } from './ring';
import { OP, type ThreadReply } from './thread-protocol';

/** The ring between the event loop and the recording thread (one per process, shared by all recordings). */
const RING_BYTES = 4 * 1024 * 1024;
/** Recorded bytes not yet written above which the thread stops taking frames (see thread.ts). */
const MAX_BACKLOG_BYTES = 16 * 1024 * 1024;
/** How long close() waits for the thread to finish its files before stopping it. */
const STOP_TIMEOUT_MS = 10_000;

/** What the thread tells one recording's writer. */
export interface ThreadClient {
  failed(error: string): void;
  lines(lines: string[]): void;
}

type Reply = Exclude<Extract<ThreadReply, { req: number }>, { kind: 'refused' }>;

interface Queued {
  readonly op: number;
  readonly rec: number;
  readonly a: number;
  readonly b: number;
  readonly time: number;
  readonly payload?: Buffer;
}

/**
 * The event loop's end of the recording thread: a worker that encodes, hashes and writes
 * every recording of this process, fed through a shared ring (ring.ts), so that the data
 * path of a session costs the event loop one copy per chunk. Frames that find the ring
 * full wait here, in order, until the thread reports room; `pressure()` tells writers to
 * pause their sources meanwhile. If the thread dies every recording fails (its sessions
 * end: nothing goes unrecorded).
 */
export class RecordingThread {
  private readonly ring = RingProducer.create(RING_BYTES);
  private readonly worker: Worker;
  private readonly overflow: Queued[] = [];
  private readonly clients = new Map<number, ThreadClient>();
  private readonly requests = new Map<number, { resolve: (r: Reply) => void; reject: (e: Error) => void }>();
  private roomWaiters: { resolve: () => void; reject: (e: Error) => void }[] = [];
  private nextRec = 1;
  private nextReq = 1;
  private stopped: string | undefined;

  /**
   * `maxBacklogBytes`: recorded bytes not yet in their files above which the thread takes
   * no more frames until the disk catches up (default 16 MiB; tests make it small).
   */
  constructor(o: { maxBacklogBytes?: number } = {}) {
    this.worker = startWorker(__dirname, 'thread', {
      workerData: { ring: this.ring.buffer, maxBacklogBytes: o.maxBacklogBytes ?? MAX_BACKLOG_BYTES },
    });
    this.worker.unref(); // kept referenced only while a request waits (see request())
    this.worker.on('message', (m: ThreadReply) => this.onReply(m));
    this.worker.on('error', (err) => this.die(`the recording thread failed: ${err.message}`));
    this.worker.on('exit', (code) => this.die(`the recording thread stopped (exit ${code})`));
  }

  /** Whether writers should pause their sources until a flush (frames are waiting for room). */
  pressure(): boolean {
    return this.overflow.length > 0 || this.ring.used() > this.ring.capacity / 2;
  }

  /**
   * Resolves when the pressure is off (the thread has taken what the ring held); at once
   * when it is already. Rejects when the thread is gone.
   */
  room(): Promise<void> {
    if (this.stopped) return Promise.reject(this.failure(this.stopped));
    if (!this.pressure()) return Promise.resolve();
    const wait = new Promise<void>((resolve, reject) => this.roomWaiters.push({ resolve, reject }));
    this.ring.askForRoom();
    return wait;
  }

  register(client: ThreadClient): number {
    if (this.stopped) throw this.failure(this.stopped);
    const id = this.nextRec++;
    this.clients.set(id, client);
    return id;
  }

  unregister(rec: number): void {
    this.clients.delete(rec);
  }

  /** Queues a frame for recording `rec`; session data longer than a frame is split. */
  send(op: number, rec: number, a: number, b: number, time: number, payload?: Uint8Array): void {
    if (this.stopped) return;
    const max = this.ring.maxPayload;
    if (payload && payload.length > max) {
      for (let i = 0; i < payload.length; i += max)
        this.put(op, rec, a, b, time, payload.subarray(i, Math.min(i + max, payload.length)));
      return;
    }
    this.put(op, rec, a, b, time, payload);
  }

  private put(op: number, rec: number, a: number, b: number, time: number, payload?: Uint8Array): void {
    if (this.overflow.length === 0 && this.ring.tryWrite(op, rec, a, b, time, payload)) return;
    // The ring is full: keep a copy (the caller's buffer may be reused) until there is room.
    this.overflow.push({ op, rec, a, b, time, ...(payload ? { payload: Buffer.from(payload) } : {}) });
  }

  /** Sends a request frame (`a` carries its id, `b` the argument) and resolves with the thread's reply. */
  request(op: number, rec: number, time: number, b = 0): Promise<Reply> {
    if (this.stopped) return Promise.reject(this.failure(this.stopped));
    const req = this.nextReq++;
    const reply = new Promise<Reply>((resolve, reject) => this.requests.set(req, { resolve, reject }));
    if (this.requests.size === 1) this.worker.ref();
    this.send(op, rec, req, b, time);
    return reply;
  }

  private onReply(m: ThreadReply): void {
    switch (m.kind) {
      case 'room':
        this.drainOverflow();
        return this.answerRoom();
      case 'failed':
        return this.clients.get(m.rec)?.failed(m.error);
      case 'lines':
        return this.clients.get(m.rec)?.lines(m.lines);
      default: {
        const waiting = this.requests.get(m.req);
        this.requests.delete(m.req);
        if (this.requests.size === 0) this.worker.unref();
        if (m.kind === 'refused') waiting?.reject(this.failure(m.error));
        else waiting?.resolve(m);
      }
    }
  }

  private drainOverflow(): void {
    let sent = 0;
    for (const q of this.overflow) {
      if (!this.ring.tryWrite(q.op, q.rec, q.a, q.b, q.time, q.payload)) break;
      sent++;
    }
    this.overflow.splice(0, sent);
  }

  private answerRoom(): void {
    if (this.roomWaiters.length === 0) return;
    if (this.pressure()) return this.ring.askForRoom();
    const waiters = this.roomWaiters;
    this.roomWaiters = [];
    for (const w of waiters) w.resolve();
  }

  private failure(message: string): BreakglassError {
    return new BreakglassError('RECORDING_WRITE_FAILED', message);
  }

  private die(reason: string): void {
    if (this.stopped) return;
    this.stopped = reason;
    for (const client of this.clients.values()) client.failed(reason);
    for (const { reject } of [...this.requests.values(), ...this.roomWaiters]) reject(this.failure(reason));
    this.requests.clear();
    this.roomWaiters = [];
    this.overflow.length = 0;
  }

  /** Stops the thread once it has written what it holds (recordings should be closed first). */
  async close(): Promise<void> {
    if (this.stopped) return;
    this.send(OP.STOP, 0, 0, 0, 0);
    this.stopped = 'the recording thread was closed';
    this.worker.ref();
    const exited = once(this.worker, 'exit');
    const timer = setTimeout(() => void this.worker.terminate(), STOP_TIMEOUT_MS);
    try {
      await exited;
    } finally {
      clearTimeout(timer);
    }
  }
}
