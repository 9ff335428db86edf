import fc from 'fast-check';
import { frameBytes, RingConsumer, RingProducer, type Frame } from '../../../src/recording/ring';

interface Sent {
  op: number;
  rec: number;
  a: number;
  b: number;
  time: number;
  payload: Buffer;
}

const copy = (f: Frame): Sent => ({ ...f, payload: Buffer.from(f.payload) });

function pair(capacity: number) {
  const producer = RingProducer.create(capacity);
  return { producer, consumer: new RingConsumer(producer.buffer) };
}

describe('the recording ring', () => {
  it('delivers frames in order with their fields and payloads, wrapping around the end many times', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.record({
              kind: fc.constant('write' as const),
              op: fc.integer({ min: 1, max: 12 }),
              rec: fc.nat(),
              a: fc.nat(),
              b: fc.nat(),
              time: fc.double({ noNaN: true }),
              // Sizes that tile the ring exactly too (32-byte header + 0/32/96/224), to hit the
              // case where a frame would end exactly at the reader.
              payload: fc.oneof(
                fc.uint8Array({ maxLength: 300 }),
                fc.constantFrom(0, 32, 96, 224).chain((n) => fc.uint8Array({ minLength: n, maxLength: n })),
              ),
              // Where the payload starts in its own buffer (the ring aligns it the same way).
              offset: fc.integer({ min: 0, max: 15 }),
            }),
            fc.constant({ kind: 'drain' as const }),
          ),
          { maxLength: 200 },
        ),
        (steps) => {
          const { producer, consumer } = pair(2048);
          const queued: Sent[] = []; // accepted, not yet read
          const read: Sent[] = [];
          const expected: Sent[] = [];
          for (const step of steps) {
            if (step.kind === 'drain') {
              consumer.drain((f) => read.push(copy(f)));
              expected.push(...queued.splice(0));
              continue;
            }
            const { op, rec, a, b, time } = step;
            const payload = Buffer.alloc(step.offset + step.payload.length).subarray(step.offset);
            payload.set(step.payload);
            const before = producer.used();
            if (producer.tryWrite(op, rec, a, b, time, payload)) {
              queued.push({ op, rec, a, b, time, payload });
            } else {
              // Refused only when it really does not fit: less than one frame free, or (at the
              // end of the ring) less than one frame before the end and one at the start.
              expect(before).toBeGreaterThanOrEqual(producer.capacity - 2 * frameBytes(payload));
            }
          }
          consumer.drain((f) => read.push(copy(f)));
          expected.push(...queued);
          expect(read).toEqual(expected);
          expect(producer.used()).toBe(0);
        },
      ),
    );
  });

  it('refuses a frame when full, reports that the producer waited, and takes it once there is room', () => {
    const { producer, consumer } = pair(1024);
    const chunk = Buffer.alloc(200, 7);
    let accepted = 0;
    while (producer.tryWrite(2, 1, 0, 0, 0, chunk)) accepted++;
    expect(accepted).toBe(4); // 4 × 232 bytes; a fifth would reach the reader
    const { frames, producerWaiting } = consumer.drain(() => undefined);
    expect(frames).toBe(4);
    expect(producerWaiting).toBe(true);
    expect(producer.tryWrite(2, 1, 0, 0, 0, chunk)).toBe(true);
    expect(consumer.drain(() => undefined)).toEqual({ frames: 1, producerWaiting: false });
  });

  it('never lets a frame end exactly at the reader (a full ring would look empty), at the end or in the middle', () => {
    const { producer, consumer } = pair(1024);
    const frame = Buffer.alloc(256 - 32, 1); // 256 bytes in the ring: four tile it exactly
    const write = (n: number) => producer.tryWrite(2, 1, n, 0, 0, frame);
    const seen: number[] = [];
    const drain = () => consumer.drain((f) => seen.push(f.a));
    // Reader at 0: the fourth frame would wrap the writer onto it.
    expect([write(1), write(2), write(3), write(4)]).toEqual([true, true, true, false]);
    drain(); // reader at 768
    // Writer wraps: 768..1024 fills the tail exactly (reader not at 0), then 0..256, 256..512;
    // 512..768 would end at the reader.
    expect([write(5), write(6), write(7), write(8)]).toEqual([true, true, true, false]);
    drain();
    expect(seen).toEqual([1, 2, 3, 5, 6, 7]);
  });

  it('places each payload at the same offset modulo 8 as its source (word-wise copies into shared memory)', () => {
    const { producer, consumer } = pair(4096);
    const source = Buffer.alloc(64 + 100);
    for (let i = 0; i < source.length; i++) source[i] = i;
    for (let offset = 0; offset < 16; offset++) {
      const payload = source.subarray(offset, offset + 100);
      expect(producer.tryWrite(2, 1, offset, 0, 0, payload)).toBe(true);
      let seen: Frame | undefined;
      consumer.drain((f) => {
        expect(f.payload.byteOffset % 8).toBe(payload.byteOffset % 8);
        expect(Buffer.compare(f.payload, payload)).toBe(0);
        seen = f;
      });
      expect(seen?.a).toBe(offset);
    }
    expect(() => producer.tryWrite(0x10000, 1, 0, 0, 0)).toThrow(RangeError);
  });

  it('refuses frames larger than a quarter of the ring (callers split them) and rings too small to use', () => {
    const { producer } = pair(4096);
    expect(() => producer.tryWrite(2, 1, 0, 0, 0, Buffer.alloc(1024 - 32 + 1))).toThrow(RangeError);
    expect(producer.tryWrite(2, 1, 0, 0, 0, Buffer.alloc(1024 - 32))).toBe(true);
    // maxPayload fits wherever the payload starts (up to 7 bytes of lead).
    const source = Buffer.alloc(producer.maxPayload + 7);
    expect(producer.tryWrite(2, 1, 0, 0, 0, source.subarray(7))).toBe(true);
    expect(() => producer.tryWrite(2, 1, 0, 0, 0, Buffer.alloc(producer.maxPayload + 8).subarray(7))).toThrow(
      RangeError,
    );
    expect(() => new RingConsumer(new SharedArrayBuffer(100))).toThrow(TypeError);
  });

  it('does not sleep when a frame is already queued, sleeps until the timeout when none is, and wakes on a frame or wake()', async () => {
    const { producer, consumer } = pair(1024);
    producer.tryWrite(1, 1, 0, 0, 0);
    expect(await consumer.waitAsync(60_000)).toBe('queued'); // at once, not after a minute
    consumer.drain(() => undefined);
    expect(await consumer.waitAsync(1)).toBe('timed-out');
    // A frame written while it sleeps wakes it.
    const sleeping = consumer.waitAsync(60_000);
    setImmediate(() => producer.tryWrite(2, 1, 0, 0, 0));
    expect(await sleeping).toBe('ok');
    expect(consumer.drain(() => undefined).frames).toBe(1);
    // So does wake(), from this thread (a write that is done).
    const waiting = consumer.waitAsync(60_000);
    setImmediate(() => consumer.wake());
    expect(await waiting).toBe('ok');
  });

  it('reports room when asked, after the consumer next takes frames', () => {
    const { producer, consumer } = pair(1024);
    producer.tryWrite(1, 1, 0, 0, 0);
    expect(consumer.drain(() => undefined).producerWaiting).toBe(false);
    producer.tryWrite(1, 1, 0, 0, 0);
    producer.askForRoom();
    expect(consumer.drain(() => undefined)).toEqual({ frames: 1, producerWaiting: true });
    expect(consumer.drain(() => undefined)).toEqual({ frames: 0, producerWaiting: false }); // reported once
  });
});
