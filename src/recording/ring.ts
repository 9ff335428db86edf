/**
 * A single-producer, single-consumer queue of frames in a SharedArrayBuffer: the gateway's
 * event loop (producer) hands recording data to the recording thread (consumer) without
 * allocating, copying each payload once, and without a message per chunk. Pure: no I/O.
 *
 * Layout: a 64-byte control block of Int32 slots, then `capacity` bytes of frames. A frame
 * is a 32-byte header (length, op, lead, recording id, two integer arguments, a time), a
 * lead of 0–7 bytes, and its payload, padded to 8 bytes. Positions are byte offsets into
 * the data area; a frame never wraps: when it does not fit before the end, a WRAP length
 * sends the reader back to 0. One free 8-byte slot always separates the writer from the
 * reader (full ≠ empty).
 *
 * The lead puts the payload at the same offset modulo 8 as its source: V8 copies into
 * shared memory with relaxed atomic stores, a word at a time only when source and target
 * are equally aligned and a byte at a time otherwise (about 7× slower; SSH channel data
 * sits 14 bytes into its packet).
 */

const WRITE = 0; // next write offset
const READ = 1; // next read offset
const SLEEPING = 2; // 1 while the consumer waits for frames
const WAITING = 3; // 1 while the producer waits for room
const CONTROL_BYTES = 64;
const FRAME_HEADER = 32;
const WRAP = 0xffffffff;

export interface Frame {
  readonly op: number;
  readonly rec: number;
  readonly a: number;
  readonly b: number;
  readonly time: number;
  /** A view into the ring: valid only until the callback returns. */
  readonly payload: Buffer;
}

const align8 = (n: number) => (n + 7) & ~7;

/** Bytes before the payload that align it in the ring as its source is aligned. */
const leadOf = (payload: Uint8Array | undefined) => (payload ? payload.byteOffset & 7 : 0);

/** Bytes a frame with this payload takes in the ring. */
export function frameBytes(payload?: Uint8Array): number {
  return align8(FRAME_HEADER + leadOf(payload) + (payload ? payload.length : 0));
}

class RingView {
  protected readonly ctrl: Int32Array;
  protected readonly view: DataView;
  protected readonly bytes: Buffer;
  readonly capacity: number;

  constructor(readonly buffer: SharedArrayBuffer) {
    if (buffer.byteLength < CONTROL_BYTES + 1024 || (buffer.byteLength - CONTROL_BYTES) % 8 !== 0)
      throw new TypeError(`ring buffer of ${buffer.byteLength} bytes is too small or not 8-aligned`);
    this.ctrl = new Int32Array(buffer, 0, CONTROL_BYTES / 4);
    this.capacity = buffer.byteLength - CONTROL_BYTES;
    this.view = new DataView(buffer, CONTROL_BYTES, this.capacity);
    this.bytes = Buffer.from(buffer, CONTROL_BYTES, this.capacity);
  }

  /** Bytes queued and not yet consumed. */
  used(): number {
    const w = Atomics.load(this.ctrl, WRITE);
    const r = Atomics.load(this.ctrl, READ);
    return w >= r ? w - r : this.capacity - r + w;
  }

  /** Ends the consumer's wait on the ring, if it is waiting. */
  protected wakeConsumer(): void {
    if (Atomics.load(this.ctrl, SLEEPING) !== 1) return;
    Atomics.store(this.ctrl, SLEEPING, 0);
    Atomics.notify(this.ctrl, SLEEPING);
  }
}

/** The writing end (the gateway's event loop). */
export class RingProducer extends RingView {
  static create(capacity: number): RingProducer {
    return new RingProducer(new SharedArrayBuffer(CONTROL_BYTES + align8(capacity)));
  }

  /** Largest payload one frame may carry wherever it starts (callers split longer data). */
  get maxPayload(): number {
    return (Math.floor(this.capacity / 4) & ~7) - FRAME_HEADER - 7;
  }

  /**
   * Appends a frame; returns false (and asks the consumer to report room) when it does
   * not fit now.
   */
  tryWrite(op: number, rec: number, a: number, b: number, time: number, payload?: Uint8Array): boolean {
    const length = payload ? payload.length : 0;
    const lead = leadOf(payload);
    const need = frameBytes(payload);
    if (need > this.capacity / 4) throw new RangeError(`frame of ${length} bytes exceeds the ring's limit`);
    if (op >>> 16 !== 0) throw new RangeError(`op ${op} is not a 16-bit code`);
    for (;;) {
      let w = Atomics.load(this.ctrl, WRITE);
      const r = Atomics.load(this.ctrl, READ);
      let fits = true;
      let wrap = false;
      if (w >= r) {
        const tail = this.capacity - w;
        // Filling the tail exactly wraps the write offset to 0, which must not meet the reader there.
        if (tail < need || (tail === need && r === 0)) {
          wrap = true;
          fits = r > need; // at the start, the frame must end before the reader
        }
      } else {
        fits = r - w > need;
      }
      if (!fits) {
        // Ask for a report of room, then look again: the consumer may have made room
        // between the two loads above and its own look at WAITING.
        Atomics.store(this.ctrl, WAITING, 1);
        if (Atomics.load(this.ctrl, READ) === r) return false;
        continue;
      }
      const v = this.view;
      if (wrap) {
        v.setUint32(w, WRAP, true);
        w = 0;
      }
      v.setUint32(w, need, true);
      v.setUint16(w + 4, op, true);
      v.setUint16(w + 6, lead, true);
      v.setUint32(w + 8, rec, true);
      v.setUint32(w + 12, a >>> 0, true);
      v.setUint32(w + 16, b >>> 0, true);
      v.setUint32(w + 20, length, true);
      v.setFloat64(w + 24, time, true);
      if (payload) this.bytes.set(payload, w + FRAME_HEADER + lead);
      let next = w + need;
      if (next === this.capacity) next = 0;
      Atomics.store(this.ctrl, WRITE, next);
      this.wakeConsumer();
      return true;
    }
  }

  /** Asks the consumer to report when it has next taken frames (as a full ring does). */
  askForRoom(): void {
    Atomics.store(this.ctrl, WAITING, 1);
    this.wakeConsumer();
  }
}

/** The reading end (the recording thread). */
export class RingConsumer extends RingView {
  /**
   * Calls `each` for every frame queued now, in order, then frees their room. Returns
   * the number of frames read and whether the producer was waiting for room (it then
   * needs to be told, e.g. with a message).
   */
  drain(each: (frame: Frame) => void): { frames: number; producerWaiting: boolean } {
    const end = Atomics.load(this.ctrl, WRITE);
    let r = Atomics.load(this.ctrl, READ);
    let frames = 0;
    const v = this.view;
    while (r !== end) {
      const need = v.getUint32(r, true);
      if (need === WRAP) {
        r = 0;
        continue;
      }
      const length = v.getUint32(r + 20, true);
      const start = r + FRAME_HEADER + v.getUint16(r + 6, true);
      each({
        op: v.getUint16(r + 4, true),
        rec: v.getUint32(r + 8, true),
        a: v.getUint32(r + 12, true),
        b: v.getUint32(r + 16, true),
        time: v.getFloat64(r + 24, true),
        payload: this.bytes.subarray(start, start + length),
      });
      frames++;
      r += need;
      if (r === this.capacity) r = 0;
    }
    Atomics.store(this.ctrl, READ, r);
    const producerWaiting = Atomics.load(this.ctrl, WAITING) === 1;
    if (producerWaiting) Atomics.store(this.ctrl, WAITING, 0);
    return { frames, producerWaiting };
  }

  /**
   * Resolves when a frame is queued, `wake()` is called or `timeoutMs` passes (`ok` or
   * `timed-out`); `queued` at once (after the event loop's pending callbacks, so that I/O
   * gets its turn) when a frame already is.
   */
  async waitAsync(timeoutMs: number): Promise<'queued' | 'ok' | 'not-equal' | 'timed-out'> {
    Atomics.store(this.ctrl, SLEEPING, 1);
    if (Atomics.load(this.ctrl, WRITE) !== Atomics.load(this.ctrl, READ)) {
      Atomics.store(this.ctrl, SLEEPING, 0);
      await new Promise<void>((resolve) => setImmediate(resolve));
      return 'queued';
    }
    const waiting = Atomics.waitAsync(this.ctrl, SLEEPING, 1, Math.max(0, timeoutMs));
    const woke = waiting.async ? await waiting.value : waiting.value;
    Atomics.store(this.ctrl, SLEEPING, 0);
    return woke;
  }

  /** Ends a `waitAsync` of this thread's (e.g. from an I/O callback). */
  wake(): void {
    this.wakeConsumer();
  }
}
