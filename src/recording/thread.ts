import { parentPort, workerData } from 'node:worker_threads';
import { RingConsumer } from './ring';
import { RecordingSink } from './sink';
import { OP, type ThreadReply } from './thread-protocol';

/** Longest sleep between looks at the flush deadlines (ms). */
const MAX_SLEEP_MS = 1000;

/**
 * The recording thread (a worker): takes frames from the ring until STOP, encodes and
 * hashes them and hands the lines to the file writes (RecordingSink), which run in libuv's
 * pool while it goes on; it sleeps on the ring when there is nothing to do. A write that
 * is done wakes it (its deadlines may have changed). Nothing it does blocks the gateway.
 */
async function run(
  port: NonNullable<typeof parentPort>,
  ring: RingConsumer,
  /** Recorded bytes not yet in their files above which no frames are taken until the disk catches up: the ring then fills and the gateway pauses the sessions. */
  maxBacklogBytes: number,
): Promise<void> {
  // Waiting on the ring (Atomics.waitAsync) does not keep a worker alive by itself.
  const alive = setInterval(() => undefined, 1 << 30);
  const post = (reply: ThreadReply) => port.postMessage(reply);
  let caughtUp: (() => void) | undefined;
  const sink = new RecordingSink(post, {
    onProgress: () => {
      ring.wake();
      caughtUp?.();
    },
  });
  let stopped = false;
  while (!stopped) {
    if (sink.backlogBytes > maxBacklogBytes) {
      sink.writeAll();
      await new Promise<void>((resolve) => (caughtUp = resolve));
      caughtUp = undefined;
      continue;
    }
    const { producerWaiting } = ring.drain((frame) => {
      if (frame.op === OP.STOP) stopped = true;
      else sink.handle(frame);
    });
    sink.afterBatch();
    if (producerWaiting) post({ kind: 'room' });
    const next = sink.writeDue();
    if (!stopped) await ring.waitAsync(Math.min(next, MAX_SLEEP_MS));
  }
  await sink.shutdown();
  clearInterval(alive);
}

if (parentPort) {
  const data = workerData as { ring: SharedArrayBuffer; maxBacklogBytes: number };
  void run(parentPort, new RingConsumer(data.ring), data.maxBacklogBytes);
}
