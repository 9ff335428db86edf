import { parentPort, workerData } from 'node:worker_threads';
import { RingConsumer } from './ring';
import { RecordingSink } from './sink';
import { OP, type ThreadReply } from './thread-protocol';

/** Longest sleep between looks at the flush deadlines (ms). */
const MAX_SLEEP_MS = 1000;

/**
 * The recording thread (a worker): takes frames from the ring until STOP, encodes, hashes
 * and writes them (RecordingSink), and sleeps on the ring when there is nothing to do.
 * Its file writes are synchronous: they block this thread only, never the gateway.
 */
function run(port: NonNullable<typeof parentPort>, ring: RingConsumer): void {
  const post = (reply: ThreadReply) => port.postMessage(reply);
  const sink = new RecordingSink(post);
  let stopped = false;
  while (!stopped) {
    const { producerWaiting } = ring.drain((frame) => {
      if (frame.op === OP.STOP) stopped = true;
      else sink.handle(frame);
    });
    sink.afterBatch();
    if (producerWaiting) post({ kind: 'room' });
    const next = sink.writeDue();
    if (!stopped) ring.wait(Math.min(next, MAX_SLEEP_MS));
  }
  sink.shutdown();
}

if (parentPort) run(parentPort, new RingConsumer((workerData as { ring: SharedArrayBuffer }).ring));
