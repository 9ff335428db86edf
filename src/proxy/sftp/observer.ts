import { FXP, PrefixReader, SftpPacketSplitter, type PacketView } from './packets';

/** One file operation of an SFTP session, as it goes into the audit log. */
export interface SftpOperation {
  /** `read`, `write`, `read-write` (a file opened, used and closed), `list`, `remove`, `rename`, `mkdir`, `rmdir`, `setstat`, `symlink`, `link`. */
  readonly op: string;
  readonly path: string;
  /** Second path of rename, symlink and link. */
  readonly target?: string;
  /** File bytes moved by read/write operations. */
  readonly bytesRead?: number;
  readonly bytesWritten?: number;
  /** Whether the server said it succeeded. */
  readonly ok: boolean;
  /** The server's status message when it failed. */
  readonly error?: string;
}

const SSH_FXF_READ = 0x1;
const SSH_FXF_WRITE = 0x2;
const SSH_FX_OK = 0;
/** Requests in flight remembered at most (a misbehaving client cannot grow memory). */
const MAX_PENDING = 4096;
const MAX_HANDLES = 1024;
const PATH_MAX_CHARS = 1024;

type Pending =
  | { kind: 'open'; path: string; flags: number }
  | { kind: 'opendir'; path: string }
  | { kind: 'simple'; op: string; path: string; target?: string }
  | { kind: 'read'; handle: string }
  | { kind: 'write'; handle: string; bytes: number }
  | { kind: 'close'; handle: string };

interface OpenFile {
  path: string;
  flags: number;
  bytesRead: number;
  bytesWritten: number;
}

const SIMPLE: Record<number, string> = {
  [FXP.REMOVE]: 'remove',
  [FXP.MKDIR]: 'mkdir',
  [FXP.RMDIR]: 'rmdir',
  [FXP.SETSTAT]: 'setstat',
};

const EXTENDED_TWO_PATHS: Record<string, string> = {
  'posix-rename@openssh.com': 'rename',
  'hardlink@openssh.com': 'link',
};

function clip(path: string): string {
  return path.length > PATH_MAX_CHARS ? `${path.slice(0, PATH_MAX_CHARS)}…` : path;
}

function fileOp(flags: number): string {
  const r = (flags & SSH_FXF_READ) !== 0;
  const w = (flags & SSH_FXF_WRITE) !== 0;
  return r && w ? 'read-write' : w ? 'write' : 'read';
}

/**
 * Watches both directions of an SFTP session and reports each file operation once the
 * server has answered it: files are reported when closed (or when the session ends) with
 * the bytes read and written; directory listings, removals, renames, mkdir/rmdir,
 * attribute changes and links as they complete. Queries (stat, realpath, readdir
 * pages) are not reported. Pure: feed it bytes, it calls `onOperation`.
 */
export class SftpObserver {
  private readonly requests: SftpPacketSplitter;
  private readonly replies: SftpPacketSplitter;
  private readonly pending = new Map<number, Pending>();
  private readonly files = new Map<string, OpenFile>();
  private readonly dirs = new Set<string>();

  constructor(private readonly onOperation: (op: SftpOperation) => void) {
    this.requests = new SftpPacketSplitter((p) => this.request(p));
    this.replies = new SftpPacketSplitter((p) => this.reply(p));
  }

  /** Bytes from the client (requests). */
  fromClient(chunk: Buffer): void {
    this.requests.push(chunk);
  }

  /** Bytes from the server (replies). */
  fromServer(chunk: Buffer): void {
    this.replies.push(chunk);
  }

  /** Whether either direction stopped parsing as SFTP. */
  get failed(): boolean {
    return this.requests.failed || this.replies.failed;
  }

  /** Reports files still open when the session ends. */
  end(): void {
    for (const file of this.files.values())
      this.reportFile(file, false, 'the session ended before the file was closed');
    this.files.clear();
    this.pending.clear();
  }

  private remember(id: number | undefined, p: Pending): void {
    if (id === undefined || this.pending.size >= MAX_PENDING) return;
    this.pending.set(id, p);
  }

  private request(packet: PacketView): void {
    const r = new PrefixReader(packet.prefix);
    if (packet.type === FXP.INIT) return;
    const id = r.u32();
    switch (packet.type) {
      case FXP.OPEN: {
        const path = r.text();
        const flags = r.u32();
        if (path !== undefined && flags !== undefined)
          this.remember(id, { kind: 'open', path: clip(path), flags });
        return;
      }
      case FXP.OPENDIR: {
        const path = r.text();
        if (path !== undefined) this.remember(id, { kind: 'opendir', path: clip(path) });
        return;
      }
      case FXP.READ: {
        const handle = r.bytes();
        if (handle) this.remember(id, { kind: 'read', handle: handle.toString('hex') });
        return;
      }
      case FXP.WRITE: {
        const handle = r.bytes();
        r.u64();
        const bytes = r.lengthOnly();
        if (handle && bytes !== undefined)
          this.remember(id, { kind: 'write', handle: handle.toString('hex'), bytes });
        return;
      }
      case FXP.CLOSE: {
        const handle = r.bytes();
        if (handle) this.remember(id, { kind: 'close', handle: handle.toString('hex') });
        return;
      }
      case FXP.RENAME:
      case FXP.SYMLINK: {
        const a = r.text();
        const b = r.text();
        if (a !== undefined && b !== undefined)
          this.remember(id, {
            kind: 'simple',
            op: packet.type === FXP.RENAME ? 'rename' : 'symlink',
            path: clip(a),
            target: clip(b),
          });
        return;
      }
      case FXP.EXTENDED: {
        const name = r.text();
        const op = name === undefined ? undefined : EXTENDED_TWO_PATHS[name];
        const a = r.text();
        const b = r.text();
        if (op && a !== undefined && b !== undefined)
          this.remember(id, { kind: 'simple', op, path: clip(a), target: clip(b) });
        return;
      }
      default: {
        const op = SIMPLE[packet.type];
        const path = op ? r.text() : undefined;
        if (op && path !== undefined) this.remember(id, { kind: 'simple', op, path: clip(path) });
      }
    }
  }

  private reply(packet: PacketView): void {
    if (packet.type === FXP.VERSION) return;
    const r = new PrefixReader(packet.prefix);
    const id = r.u32();
    if (id === undefined) return;
    const pending = this.pending.get(id);
    if (!pending) return;
    this.pending.delete(id);
    let ok = false;
    let error: string | undefined;
    if (packet.type === FXP.STATUS) {
      const code = r.u32();
      ok = code === SSH_FX_OK;
      if (!ok) error = (r.text() ?? `status ${String(code)}`).slice(0, 200) || `status ${String(code)}`;
    }
    switch (pending.kind) {
      case 'open': {
        if (packet.type === FXP.HANDLE) {
          const handle = r.bytes();
          if (handle && this.files.size < MAX_HANDLES)
            this.files.set(handle.toString('hex'), {
              path: pending.path,
              flags: pending.flags,
              bytesRead: 0,
              bytesWritten: 0,
            });
        } else {
          this.onOperation({
            op: fileOp(pending.flags),
            path: pending.path,
            ok: false,
            ...(error ? { error } : {}),
          });
        }
        return;
      }
      case 'opendir': {
        if (packet.type === FXP.HANDLE) {
          const handle = r.bytes();
          if (handle && this.dirs.size < MAX_HANDLES) this.dirs.add(handle.toString('hex'));
          this.onOperation({ op: 'list', path: pending.path, ok: true });
        } else {
          this.onOperation({ op: 'list', path: pending.path, ok: false, ...(error ? { error } : {}) });
        }
        return;
      }
      case 'read': {
        const file = this.files.get(pending.handle);
        if (file && packet.type === FXP.DATA) file.bytesRead += r.lengthOnly() ?? 0;
        return;
      }
      case 'write': {
        const file = this.files.get(pending.handle);
        if (file && ok) file.bytesWritten += pending.bytes;
        return;
      }
      case 'close': {
        const file = this.files.get(pending.handle);
        this.dirs.delete(pending.handle);
        if (file) {
          this.files.delete(pending.handle);
          this.reportFile(file, ok);
        }
        return;
      }
      case 'simple':
        this.onOperation({
          op: pending.op,
          path: pending.path,
          ...(pending.target !== undefined ? { target: pending.target } : {}),
          ok,
          ...(error ? { error } : {}),
        });
    }
  }

  private reportFile(file: OpenFile, ok: boolean, error?: string): void {
    this.onOperation({
      op: fileOp(file.flags),
      path: file.path,
      bytesRead: file.bytesRead,
      bytesWritten: file.bytesWritten,
      ok,
      ...(error !== undefined ? { error } : {}),
    });
  }
}
