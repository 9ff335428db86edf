import { crc32 } from './crc32';

/**
 * Frames on disk: `u32 LE length ‖ u32 LE CRC-32(length bytes ‖ payload) ‖ payload`.
 * The CRC covers the length, so a damaged length is caught like damaged data.
 * Every file of the embedded store (write-ahead log, snapshot, log segments) is a
 * sequence of frames; one group commit writes exactly one frame per file, so a crash
 * can leave at most one incomplete frame, at the very end of the file.
 */
export const FRAME_HEADER_BYTES = 8;
/** Largest payload accepted when reading (a group commit is capped well below this). */
export const MAX_FRAME_PAYLOAD = 0x7fffffff;

export function frameHeader(payloadLength: number, payloadCrc: (initial: number) => number): Buffer {
  const header = Buffer.allocUnsafe(FRAME_HEADER_BYTES);
  header.writeUInt32LE(payloadLength, 0);
  const lenCrc = crc32(header.subarray(0, 4));
  header.writeUInt32LE(payloadCrc(lenCrc), 4);
  return header;
}

/** The frame for `payload` given as pieces (written with writev, never concatenated). */
export function encodeFrame(pieces: readonly Buffer[]): Buffer[] {
  let length = 0;
  for (const p of pieces) length += p.length;
  if (length < 1 || length > MAX_FRAME_PAYLOAD) throw new RangeError(`frame payload of ${length} bytes`);
  const header = frameHeader(length, (initial) => {
    let crc = initial;
    for (const p of pieces) crc = crc32(p, crc);
    return crc;
  });
  return [header, ...pieces];
}

export type FrameAt =
  | { kind: 'ok'; payloadStart: number; end: number }
  /** Not a valid frame: bad CRC, impossible length, or extends past the end of the data. */
  | { kind: 'bad'; reason: string };

/** Checks the frame starting at `offset` in `buf` (which holds the file from `base`). */
export function frameAt(buf: Buffer, offset: number): FrameAt {
  if (buf.length - offset < FRAME_HEADER_BYTES) return { kind: 'bad', reason: 'incomplete frame header' };
  const length = buf.readUInt32LE(offset);
  if (length < 1 || length > MAX_FRAME_PAYLOAD)
    return { kind: 'bad', reason: `impossible frame length ${length}` };
  const end = offset + FRAME_HEADER_BYTES + length;
  if (end > buf.length)
    return { kind: 'bad', reason: `frame of ${length} bytes runs past the end of the file` };
  const expected = buf.readUInt32LE(offset + 4);
  const actual = crc32(
    buf.subarray(offset + FRAME_HEADER_BYTES, end),
    crc32(buf.subarray(offset, offset + 4)),
  );
  if (actual !== expected) return { kind: 'bad', reason: 'checksum mismatch' };
  return { kind: 'ok', payloadStart: offset + FRAME_HEADER_BYTES, end };
}

/** Whether any valid frame starts somewhere in `buf` at or after `from`. */
export function validFrameAfter(buf: Buffer, from: number): number | null {
  for (let at = from; at + FRAME_HEADER_BYTES < buf.length; at++) {
    const length = buf.readUInt32LE(at);
    if (length < 1 || at + FRAME_HEADER_BYTES + length > buf.length) continue;
    if (frameAt(buf, at).kind === 'ok') return at;
  }
  return null;
}

export type ScanEnd =
  | { kind: 'clean' }
  /** The last frame is incomplete: what a crash during a write leaves. Drop bytes from `offset`. */
  | { kind: 'torn'; offset: number; reason: string }
  /** A damaged frame followed by valid data: not something a crash can produce. */
  | { kind: 'corrupt'; offset: number; reason: string };

export interface Scan {
  /** Payloads (views into the buffer) with their frame offsets, in file order. */
  frames: Array<{ offset: number; payload: Buffer }>;
  /** Offset just past the last valid frame. */
  validEnd: number;
  end: ScanEnd;
}

/**
 * Splits a whole file into frames. A bad frame with nothing valid after it is a torn
 * tail (the write that a crash interrupted was never acknowledged); a bad frame with
 * a valid frame anywhere after it means the file was damaged in the middle.
 */
export function scanFrames(buf: Buffer): Scan {
  const frames: Scan['frames'] = [];
  let offset = 0;
  while (offset < buf.length) {
    const f = frameAt(buf, offset);
    if (f.kind === 'bad') {
      const next = validFrameAfter(buf, offset + 1);
      const end: ScanEnd =
        next === null
          ? { kind: 'torn', offset, reason: f.reason }
          : { kind: 'corrupt', offset, reason: `${f.reason}, yet a valid frame follows at offset ${next}` };
      return { frames, validEnd: offset, end };
    }
    frames.push({ offset, payload: buf.subarray(f.payloadStart, f.end) });
    offset = f.end;
  }
  return { frames, validEnd: offset, end: { kind: 'clean' } };
}
