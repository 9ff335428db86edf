import fc from 'fast-check';
import { FRAME_HEADER_BYTES, encodeFrame, scanFrames } from '../../../src/store/embedded/frame';

const fileOf = (payloads: Buffer[]) => Buffer.concat(payloads.flatMap((p) => encodeFrame([p])));
const payloads = fc.array(
  fc.uint8Array({ minLength: 1, maxLength: 200 }).map((a) => Buffer.from(a)),
  { minLength: 1, maxLength: 6 },
);

describe('frames', () => {
  it('reads back exactly the payloads written, with a clean end', () => {
    fc.assert(
      fc.property(payloads, (ps) => {
        const scan = scanFrames(fileOf(ps));
        expect(scan.end).toEqual({ kind: 'clean' });
        expect(scan.frames.map((f) => Buffer.from(f.payload))).toEqual(ps);
      }),
    );
  });

  it('encodes a payload given in pieces like the same payload in one piece', () => {
    const whole = Buffer.concat(encodeFrame([Buffer.from('hello world')]));
    const pieces = Buffer.concat(encodeFrame([Buffer.from('hello'), Buffer.from(' '), Buffer.from('world')]));
    expect(pieces).toEqual(whole);
  });

  it('reports any cut inside the last frame as a torn tail at that frame, keeping the frames before it', () => {
    fc.assert(
      fc.property(payloads, fc.nat(), (ps, seed) => {
        const file = fileOf(ps);
        const lastStart = file.length - FRAME_HEADER_BYTES - ps[ps.length - 1]!.length;
        const cut = lastStart + 1 + (seed % (file.length - lastStart - 1));
        const scan = scanFrames(file.subarray(0, cut));
        expect(scan.end).toMatchObject({ kind: 'torn', offset: lastStart });
        expect(scan.validEnd).toBe(lastStart);
        expect(scan.frames).toHaveLength(ps.length - 1);
      }),
    );
  });

  it.each([
    ['zeros', Buffer.alloc(64)],
    ['a partial header', Buffer.from([7, 0, 0])],
    ['a header promising more than the file has', Buffer.from([200, 0, 0, 0, 1, 2, 3, 4, 9, 9])],
    ['random garbage', Buffer.from('not a frame at all, just text a crash left')],
  ])('treats %s after the last good frame as a torn tail', (_label, junk) => {
    const good = fileOf([Buffer.from('one'), Buffer.from('two')]);
    const scan = scanFrames(Buffer.concat([good, junk]));
    expect(scan.end).toMatchObject({ kind: 'torn', offset: good.length });
    expect(scan.frames.map((f) => f.payload.toString())).toEqual(['one', 'two']);
  });

  it('reports a damaged frame followed by a valid one as corruption at the damaged frame', () => {
    fc.assert(
      fc.property(
        payloads.filter((ps) => ps.length >= 2),
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        (ps, seed, flip) => {
          const file = fileOf(ps);
          const victim = seed % (ps.length - 1); // never the last frame
          const start = ps.slice(0, victim).reduce((n, p) => n + FRAME_HEADER_BYTES + p.length, 0);
          const at = start + (seed % (FRAME_HEADER_BYTES + ps[victim]!.length));
          const damaged = Buffer.from(file);
          damaged[at] = damaged[at]! ^ flip;
          const scan = scanFrames(damaged);
          expect(scan.end).toMatchObject({ kind: 'corrupt', offset: start });
          expect(scan.frames).toHaveLength(victim);
        },
      ),
    );
  });

  it('reads an empty file as clean and empty', () => {
    expect(scanFrames(Buffer.alloc(0))).toEqual({ frames: [], validEnd: 0, end: { kind: 'clean' } });
  });
});
