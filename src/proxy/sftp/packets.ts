/**
 * Splits an SFTP byte stream (draft-ietf-secsh-filexfer-02, version 3, as OpenSSH speaks
 * it) into packets without copying their payloads: for each packet the caller gets its
 * type, its length and a prefix of its body, enough to read ids, paths and handles. File
 * data (WRITE requests, DATA replies) is never buffered. Pure: no I/O.
 */

/** Most bytes of a packet body kept for parsing (paths are far shorter in practice). */
export const MAX_PREFIX = 16 * 1024;
/** Prefix kept for packets that carry file data: type, id, handle, offset, data length. */
export const DATA_PACKET_PREFIX = 1 + 4 + 4 + 256 + 8 + 4;
/** OpenSSH refuses SFTP packets above 256 KiB; anything far above is not SFTP. */
export const MAX_PACKET = 4 * 1024 * 1024;

export const FXP = {
  INIT: 1,
  VERSION: 2,
  OPEN: 3,
  CLOSE: 4,
  READ: 5,
  WRITE: 6,
  LSTAT: 7,
  FSTAT: 8,
  SETSTAT: 9,
  FSETSTAT: 10,
  OPENDIR: 11,
  READDIR: 12,
  REMOVE: 13,
  MKDIR: 14,
  RMDIR: 15,
  REALPATH: 16,
  STAT: 17,
  RENAME: 18,
  READLINK: 19,
  SYMLINK: 20,
  STATUS: 101,
  HANDLE: 102,
  DATA: 103,
  NAME: 104,
  ATTRS: 105,
  EXTENDED: 200,
  EXTENDED_REPLY: 201,
} as const;

export interface PacketView {
  readonly type: number;
  /** Length of the body (type byte included), as the length field says. */
  readonly length: number;
  /** The first bytes of the body (type byte included), at most the prefix limit for its type. */
  readonly prefix: Buffer;
}

function prefixLimit(type: number): number {
  return type === FXP.WRITE || type === FXP.DATA ? DATA_PACKET_PREFIX : MAX_PREFIX;
}

/** Incremental splitter for one direction of an SFTP channel. */
export class SftpPacketSplitter {
  private lenBuf = Buffer.alloc(4);
  private lenHave = 0;
  /** Body bytes still to come for the current packet (0: reading a length). */
  private remaining = 0;
  private length = 0;
  private limit = 0;
  private prefixParts: Buffer[] = [];
  private prefixHave = 0;
  private broken = false;

  constructor(private readonly onPacket: (packet: PacketView) => void) {}

  /** Whether the stream stopped looking like SFTP (the splitter then ignores the rest). */
  get failed(): boolean {
    return this.broken;
  }

  push(chunk: Buffer): void {
    let pos = 0;
    while (pos < chunk.length && !this.broken) {
      if (this.remaining === 0) {
        const take = Math.min(4 - this.lenHave, chunk.length - pos);
        chunk.copy(this.lenBuf, this.lenHave, pos, pos + take);
        this.lenHave += take;
        pos += take;
        if (this.lenHave < 4) return;
        this.lenHave = 0;
        this.length = this.lenBuf.readUInt32BE(0);
        if (this.length === 0 || this.length > MAX_PACKET) {
          this.broken = true;
          return;
        }
        this.remaining = this.length;
        this.limit = 0; // known once the type byte is seen
        this.prefixParts = [];
        this.prefixHave = 0;
        continue;
      }
      const take = Math.min(this.remaining, chunk.length - pos);
      if (this.limit === 0) this.limit = Math.min(prefixLimit(chunk[pos]!), this.length);
      const keep = Math.min(take, this.limit - this.prefixHave);
      if (keep > 0) {
        this.prefixParts.push(chunk.subarray(pos, pos + keep));
        this.prefixHave += keep;
      }
      pos += take;
      this.remaining -= take;
      if (this.remaining === 0) {
        const prefix =
          this.prefixParts.length === 1 ? Buffer.from(this.prefixParts[0]!) : Buffer.concat(this.prefixParts);
        this.prefixParts = [];
        this.onPacket({ type: prefix[0]!, length: this.length, prefix });
      }
    }
  }
}

/** Reads SSH wire fields from a packet prefix; a field past the prefix reads as undefined. */
export class PrefixReader {
  private pos: number;

  constructor(
    private readonly buf: Buffer,
    start = 1,
  ) {
    this.pos = start;
  }

  u32(): number | undefined {
    if (this.pos + 4 > this.buf.length) return undefined;
    const v = this.buf.readUInt32BE(this.pos);
    this.pos += 4;
    return v;
  }

  u64(): number | undefined {
    if (this.pos + 8 > this.buf.length) return undefined;
    const v = Number(this.buf.readBigUInt64BE(this.pos));
    this.pos += 8;
    return v;
  }

  bytes(): Buffer | undefined {
    const len = this.u32();
    if (len === undefined || this.pos + len > this.buf.length) return undefined;
    const v = this.buf.subarray(this.pos, this.pos + len);
    this.pos += len;
    return v;
  }

  /** A string field's length only (its bytes may lie past the prefix). */
  lengthOnly(): number | undefined {
    return this.u32();
  }

  text(): string | undefined {
    const b = this.bytes();
    return b === undefined ? undefined : b.toString('utf8');
  }
}
