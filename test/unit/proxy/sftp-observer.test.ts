import fc from 'fast-check';
import { SftpObserver, type SftpOperation } from '../../../src/proxy';
import { FXP, SftpPacketSplitter } from '../../../src/proxy/sftp/packets';

const u32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
};
const u64 = (n: number) => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt(n));
  return b;
};
const str = (s: string | Buffer) => {
  const b = typeof s === 'string' ? Buffer.from(s) : s;
  return Buffer.concat([u32(b.length), b]);
};
const packet = (type: number, ...fields: Buffer[]) => {
  const body = Buffer.concat([Buffer.from([type]), ...fields]);
  return Buffer.concat([u32(body.length), body]);
};
const status = (id: number, code: number, msg = '') =>
  packet(FXP.STATUS, u32(id), u32(code), str(msg), str(''));
const handle = (id: number, h: string) => packet(FXP.HANDLE, u32(id), str(h));
const ATTRS_NONE = u32(0);

/** A client session: upload, download, rename, remove, mkdir, list, a failed open. */
function conversation(): { requests: Buffer[]; replies: Buffer[] } {
  const data = Buffer.alloc(70_000, 7);
  return {
    requests: [
      packet(FXP.INIT, u32(3)),
      packet(FXP.OPEN, u32(1), str('/tmp/up.bin'), u32(0x1a), ATTRS_NONE), // write|creat|trunc
      packet(FXP.WRITE, u32(2), str('h1'), u64(0), str(data.subarray(0, 32768))),
      packet(FXP.WRITE, u32(3), str('h1'), u64(32768), str(data.subarray(32768))),
      packet(FXP.CLOSE, u32(4), str('h1')),
      packet(FXP.OPEN, u32(5), str('/etc/hostname'), u32(0x1), ATTRS_NONE),
      packet(FXP.READ, u32(6), str('h2'), u64(0), u32(32768)),
      packet(FXP.READ, u32(7), str('h2'), u64(5), u32(32768)),
      packet(FXP.CLOSE, u32(8), str('h2')),
      packet(FXP.RENAME, u32(9), str('/tmp/up.bin'), str('/tmp/up2.bin')),
      packet(FXP.REMOVE, u32(10), str('/tmp/up2.bin')),
      packet(FXP.MKDIR, u32(11), str('/tmp/d'), ATTRS_NONE),
      packet(FXP.OPENDIR, u32(12), str('/tmp')),
      packet(FXP.STAT, u32(13), str('/tmp')),
      packet(FXP.OPEN, u32(14), str('/root/secret'), u32(0x1), ATTRS_NONE),
      packet(FXP.EXTENDED, u32(15), str('posix-rename@openssh.com'), str('/a'), str('/b')),
    ],
    replies: [
      packet(FXP.VERSION, u32(3)),
      handle(1, 'h1'),
      status(2, 0),
      status(3, 0),
      status(4, 0),
      handle(5, 'h2'),
      packet(FXP.DATA, u32(6), str('hello')),
      status(7, 1, 'EOF'),
      status(8, 0),
      status(9, 0),
      status(10, 0),
      status(11, 0),
      handle(12, 'd1'),
      packet(FXP.ATTRS, u32(13), ATTRS_NONE),
      status(14, 3, 'Permission denied'),
      status(15, 0),
    ],
  };
}

const EXPECTED: SftpOperation[] = [
  { op: 'write', path: '/tmp/up.bin', bytesRead: 0, bytesWritten: 70_000, ok: true },
  { op: 'read', path: '/etc/hostname', bytesRead: 5, bytesWritten: 0, ok: true },
  { op: 'rename', path: '/tmp/up.bin', target: '/tmp/up2.bin', ok: true },
  { op: 'remove', path: '/tmp/up2.bin', ok: true },
  { op: 'mkdir', path: '/tmp/d', ok: true },
  { op: 'list', path: '/tmp', ok: true },
  { op: 'read', path: '/root/secret', ok: false, error: 'Permission denied' },
  { op: 'rename', path: '/a', target: '/b', ok: true },
];

/** Feeds request i, then reply i (as a real client waits for each answer). */
function run(split: (b: Buffer) => Buffer[]): SftpOperation[] {
  const ops: SftpOperation[] = [];
  const o = new SftpObserver((op) => ops.push(op));
  const { requests, replies } = conversation();
  requests.forEach((r, i) => {
    for (const part of split(r)) o.fromClient(part);
    for (const part of split(replies[i]!)) o.fromServer(part);
  });
  o.end();
  expect(o.failed).toBe(false);
  return ops;
}

describe('SftpObserver', () => {
  it('reports each file operation with its path and bytes once the server answered', () => {
    expect(run((b) => [b])).toEqual(EXPECTED);
  });

  it('gives the same report however the stream is cut into chunks', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 5000 }), { minLength: 1, maxLength: 20 }), (cuts) => {
        const split = (b: Buffer) => {
          const parts: Buffer[] = [];
          let pos = 0;
          let i = 0;
          while (pos < b.length) {
            const n = cuts[i++ % cuts.length]!;
            parts.push(b.subarray(pos, pos + n));
            pos += n;
          }
          return parts;
        };
        expect(run(split)).toEqual(EXPECTED);
      }),
      { numRuns: 60 },
    );
  });

  it('reports a file still open when the session ends', () => {
    const ops: SftpOperation[] = [];
    const o = new SftpObserver((op) => ops.push(op));
    o.fromClient(packet(FXP.OPEN, u32(1), str('/var/log/x'), u32(0x3), ATTRS_NONE));
    o.fromServer(handle(1, 'h'));
    o.fromClient(packet(FXP.WRITE, u32(2), str('h'), u64(0), str('abc')));
    o.fromServer(status(2, 0));
    o.end();
    expect(ops).toEqual([
      {
        op: 'read-write',
        path: '/var/log/x',
        bytesRead: 0,
        bytesWritten: 3,
        ok: false,
        error: 'the session ended before the file was closed',
      },
    ]);
  });

  it('stops parsing a stream that is not SFTP (an absurd packet length) without throwing', () => {
    const ops: SftpOperation[] = [];
    const o = new SftpObserver((op) => ops.push(op));
    o.fromClient(Buffer.from([0xff, 0xff, 0xff, 0xff, 1, 2, 3]));
    o.fromClient(packet(FXP.REMOVE, u32(1), str('/x')));
    expect(o.failed).toBe(true);
    expect(ops).toEqual([]);
  });

  it('never buffers file data: a 4 MiB write keeps only a small prefix', () => {
    const seen: number[] = [];
    const s = new SftpPacketSplitter((p) => seen.push(p.prefix.length, p.length));
    s.push(packet(FXP.WRITE, u32(1), str('h'), u64(0), str(Buffer.alloc(4 * 1024 * 1024 - 64))));
    expect(seen[0]).toBeLessThan(300);
    expect(seen[1]).toBeGreaterThan(4_000_000);
  });
});
