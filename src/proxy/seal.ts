import type { SealedRecording, SealPoint } from '../recording';

/** The part of an audit entry the seal collector reads. */
export interface AuditEntryLike {
  readonly seq: number;
  readonly type: string;
  readonly data: Readonly<Record<string, unknown>>;
}

/** What the audit log holds for one recording, with the entries it came from. */
export interface AuditSeal {
  readonly sealed: SealedRecording;
  /** Audit seq of each checkpoint, in order. */
  readonly checkpointSeqs: readonly number[];
  /** Audit seq of the `session.ended` entry (the final seal), when there is one. */
  readonly endSeq?: number;
}

const HEX64 = /^[0-9a-f]{64}$/;

function point(data: Readonly<Record<string, unknown>>): SealPoint | null {
  const sha256 = data.recording_sha256;
  const size = data.recording_size;
  if (
    typeof sha256 !== 'string' ||
    !HEX64.test(sha256) ||
    !Number.isSafeInteger(size) ||
    (size as number) < 0
  )
    return null;
  return { sha256, size: size as number };
}

/**
 * Gathers, from audit entries in log order, the running hashes (`session.checkpoint`)
 * and the final seal (`session.ended`) of one session's recording, for `verifyRecording`.
 * Feed it every entry (or only those of the session); read `result()` at the end.
 */
export class SealCollector {
  private readonly checkpoints: SealPoint[] = [];
  private readonly checkpointSeqs: number[] = [];
  private final: { point: SealPoint; seq: number } | undefined;

  constructor(readonly sessionId: string) {}

  add(entry: AuditEntryLike): void {
    if (entry.data.session_id !== this.sessionId) return;
    if (entry.type !== 'session.checkpoint' && entry.type !== 'session.ended') return;
    const p = point(entry.data);
    if (!p) return;
    if (entry.type === 'session.ended') {
      this.final ??= { point: p, seq: entry.seq };
      return;
    }
    // A checkpoint after the end cannot belong to this recording; equal sizes add nothing.
    if (this.final) return;
    const last = this.checkpoints[this.checkpoints.length - 1];
    if (last && p.size < last.size) return;
    if (last && p.size === last.size && p.sha256 === last.sha256) return;
    this.checkpoints.push(p);
    this.checkpointSeqs.push(entry.seq);
  }

  /** Null when the log holds nothing for the session. */
  result(): AuditSeal | null {
    if (this.checkpoints.length === 0 && !this.final) return null;
    const sealed: SealedRecording = {
      checkpoints: [...this.checkpoints],
      ...(this.final ? { sha256: this.final.point.sha256, size: this.final.point.size } : {}),
    };
    return {
      sealed,
      checkpointSeqs: [...this.checkpointSeqs],
      ...(this.final ? { endSeq: this.final.seq } : {}),
    };
  }
}
