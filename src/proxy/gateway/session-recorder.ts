import { createHash } from 'node:crypto';
import type { AuditLog } from '../../audit';
import type { Clock } from '../../core';
import type { BreakglassError } from '../../errors';
import type { Logger } from '../../logging';
import type { ExitStatus, RecordingFiles, RecordingSeal, RecordingWriter } from '../../recording';

const EMPTY_SHA256 = createHash('sha256').digest('hex');

/** Who and what a recorded session is (audit data and the recording header). */
export interface SessionIdentity {
  readonly sessionId: string;
  readonly connectionId: string;
  readonly user: string;
  readonly grantId: string;
  readonly host: string;
  readonly login: string;
  readonly clientAddress: string;
  readonly upstreamSerial: string;
  readonly policyVersion?: string;
}

export interface RecorderDeps {
  readonly audit: Pick<AuditLog, 'append'>;
  readonly files: Pick<RecordingFiles, 'open'>;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly checkpointIntervalMs: number;
  readonly flushIntervalMs: number;
  readonly batchBytes: number;
  readonly maxPendingBytes: number;
}

export interface RecorderOptions {
  readonly kind: 'shell' | 'exec' | 'sftp';
  readonly pty?: { term: string; cols: number; rows: number };
  readonly command?: string;
  readonly recordInput: boolean;
  /** The session cannot be recorded any more (disk full): it must end. */
  readonly onFailure: (err: BreakglassError) => void;
}

/** Byte counts of a session, for its end entry. */
export interface Traffic {
  bytesIn: number;
  bytesOut: number;
}

export interface SessionEnd {
  readonly reason: string;
  readonly exit?: ExitStatus;
}

/**
 * A session's recording and its audit trail: `session.started` before any byte flows
 * (refusing the session when the audit log cannot take it), `session.checkpoint` with the
 * recording's running SHA-256 every interval while it grows, and `session.ended` sealing
 * the final hash and size with duration, bytes and exit status.
 */
export class SessionRecorder {
  readonly traffic: Traffic = { bytesIn: 0, bytesOut: 0 };
  private timer: NodeJS.Timeout | undefined;
  private lastCheckpointSize = -1;
  private ending: Promise<RecordingSeal | null> | undefined;
  private readonly startedAt: number;

  private constructor(
    readonly writer: RecordingWriter,
    private readonly id: SessionIdentity,
    private readonly deps: RecorderDeps,
  ) {
    this.startedAt = deps.clock.now();
  }

  static async start(
    deps: RecorderDeps,
    id: SessionIdentity,
    opts: RecorderOptions,
  ): Promise<SessionRecorder> {
    // The writer reports failures once the session runs; before that, start() itself fails.
    const started: { recorder?: SessionRecorder } = {};
    const writer = await deps.files.open(id.sessionId, {
      clock: deps.clock,
      kind: opts.pty ? 'pty' : 'exec',
      width: opts.pty?.cols ?? 80,
      height: opts.pty?.rows ?? 24,
      recordInput: opts.recordInput,
      ...(opts.pty ? { term: opts.pty.term } : {}),
      ...(opts.command !== undefined ? { command: opts.command } : {}),
      title: `${id.login}@${id.host}`,
      info: { session: id.sessionId, user: id.user, host: id.host, login: id.login, grant: id.grantId },
      flushIntervalMs: deps.flushIntervalMs,
      batchBytes: deps.batchBytes,
      maxPendingBytes: deps.maxPendingBytes,
      onError: (err) => (started.recorder ? opts.onFailure(err) : undefined),
    });
    const recorder = new SessionRecorder(writer, id, deps);
    started.recorder = recorder;
    try {
      await deps.audit.append({
        type: 'session.started',
        actor: `user:${id.user}`,
        target: id.host,
        data: {
          session_id: id.sessionId,
          connection_id: id.connectionId,
          grant: id.grantId,
          host: id.host,
          login: id.login,
          kind: opts.kind,
          pty: opts.pty !== undefined,
          ...(opts.command !== undefined ? { command: opts.command.slice(0, 4096) } : {}),
          client_address: id.clientAddress,
          upstream_serial: id.upstreamSerial,
          recording: id.sessionId,
          record_input: opts.recordInput,
        },
        ...(id.policyVersion ? { policy_version: id.policyVersion } : {}),
      });
    } catch (err) {
      await writer.close().catch(() => undefined);
      throw err;
    }
    recorder.timer = setInterval(() => void recorder.checkpoint(), deps.checkpointIntervalMs);
    recorder.timer.unref();
    return recorder;
  }

  /** Appends the running hash now (skipped when nothing was recorded since the last one). */
  async checkpoint(): Promise<void> {
    if (this.ending) return;
    const cp = await this.writer.checkpoint().catch(() => null);
    // Ending meanwhile: the end entry seals the whole recording.
    if (!cp || this.ending || cp.size === this.lastCheckpointSize) return;
    this.lastCheckpointSize = cp.size;
    try {
      await this.deps.audit.append({
        type: 'session.checkpoint',
        actor: 'system:proxy',
        target: this.id.host,
        data: {
          session_id: this.id.sessionId,
          recording_sha256: cp.sha256,
          recording_size: cp.size,
          events: cp.events,
          bytes_in: this.traffic.bytesIn,
          bytes_out: this.traffic.bytesOut,
        },
      });
    } catch (err) {
      this.deps.logger.error('session checkpoint could not be audited', {
        session: this.id.sessionId,
        error: (err as Error).message,
      });
    }
  }

  /** Closes the recording and seals it into the audit log (once; later calls get the same result). */
  end(end: SessionEnd): Promise<RecordingSeal | null> {
    this.ending ??= this.finish(end);
    return this.ending;
  }

  private async finish(end: SessionEnd): Promise<RecordingSeal | null> {
    if (this.timer) clearInterval(this.timer);
    if (end.exit) {
      try {
        this.writer.exit(end.exit);
      } catch {
        // a closed or failed writer: the seal below says what was written
      }
    }
    let seal: RecordingSeal;
    try {
      seal = await this.writer.close();
    } catch (err) {
      this.deps.logger.error('recording could not be closed; sealing what was recorded', {
        session: this.id.sessionId,
        error: (err as Error).message,
      });
      // What the file holds (no hash at all: an empty recording's, with the reason logged above).
      const cp = await this.writer.checkpoint().catch(() => ({ sha256: EMPTY_SHA256, size: 0, events: 0 }));
      seal = { ...cp, durationMs: this.deps.clock.now() - this.startedAt };
    }
    const exit =
      end.exit === undefined
        ? 'none'
        : 'code' in end.exit
          ? String(end.exit.code)
          : `signal ${end.exit.signal}`;
    try {
      await this.deps.audit.append({
        type: 'session.ended',
        actor: 'system:proxy',
        target: this.id.host,
        data: {
          session_id: this.id.sessionId,
          recording_sha256: seal.sha256,
          recording_size: seal.size,
          reason: end.reason.slice(0, 4096),
          events: seal.events,
          duration_ms: Math.max(0, this.deps.clock.now() - this.startedAt),
          bytes_in: this.traffic.bytesIn,
          bytes_out: this.traffic.bytesOut,
          exit_status: exit,
          grant: this.id.grantId,
          user: this.id.user,
        },
      });
    } catch (err) {
      this.deps.logger.error('session end could not be audited; the recording is unsealed', {
        session: this.id.sessionId,
        error: (err as Error).message,
      });
    }
    return seal;
  }
}
