import { auditStoreLog, type AuditEntry } from '../../audit';
import type { SealPoint } from '../../recording';
import type { Store } from '../../store';
import type { LiveSessionView } from './deps';

/** One recorded session (a shell, exec or sftp channel) as the audit log tells it. */
export interface SessionSummary {
  readonly id: string;
  readonly connectionId: string;
  readonly user: string;
  readonly host: string;
  readonly login: string;
  readonly grant: string;
  readonly kind: string;
  readonly pty: boolean;
  readonly command?: string;
  readonly clientAddress?: string;
  readonly startedAt: number;
  readonly recordInput: boolean;
  readonly ended?: {
    readonly at: number;
    readonly reason: string;
    readonly exitStatus?: string;
    readonly durationMs?: number;
    readonly bytesIn?: number;
    readonly bytesOut?: number;
    readonly sha256: string;
    readonly size: number;
  };
  /** Running hashes (oldest first). */
  readonly checkpoints: readonly SealPoint[];
  /** `live`: a gateway reports it running; `ended`: sealed; `interrupted`: no end recorded and not running. */
  readonly state: 'live' | 'ended' | 'interrupted';
}

export interface SessionFilter {
  readonly user?: string;
  readonly host?: string;
  readonly fromMs?: number;
  readonly toMs?: number;
  readonly state?: 'live' | 'ended';
  readonly limit: number;
}

const PAGE = 2000;
const SCAN_LIMIT = 500_000;
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);

interface Partial {
  ended?: SessionSummary['ended'];
  checkpoints: SealPoint[];
}

function summary(e: AuditEntry, p: Partial | undefined, live: ReadonlySet<string>): SessionSummary {
  const d = e.data;
  const id = str(d.session_id)!;
  const state = live.has(id) ? 'live' : p?.ended ? 'ended' : 'interrupted';
  return {
    id,
    connectionId: str(d.connection_id) ?? id.replace(/-\d+$/, ''),
    user: e.actor.replace(/^user:/, ''),
    host: str(d.host) ?? e.target ?? '',
    login: str(d.login) ?? '',
    grant: str(d.grant) ?? '',
    kind: str(d.kind) ?? 'shell',
    pty: d.pty === true,
    ...(str(d.command) !== undefined ? { command: str(d.command)! } : {}),
    ...(str(d.client_address) !== undefined ? { clientAddress: str(d.client_address)! } : {}),
    startedAt: Date.parse(e.time),
    recordInput: d.record_input === true,
    ...(p?.ended ? { ended: p.ended } : {}),
    checkpoints: [...(p?.checkpoints ?? [])].reverse(),
    state,
  };
}

function matches(s: SessionSummary, f: SessionFilter): boolean {
  if (f.user && !s.user.toLowerCase().includes(f.user.toLowerCase())) return false;
  if (f.host && !s.host.toLowerCase().includes(f.host.toLowerCase())) return false;
  if (f.toMs !== undefined && s.startedAt > f.toMs) return false;
  if (f.fromMs !== undefined && (s.ended?.at ?? Number.MAX_SAFE_INTEGER) < f.fromMs) return false;
  if (f.state === 'live' && s.state !== 'live') return false;
  if (f.state === 'ended' && s.state === 'live') return false;
  return true;
}

/**
 * Sessions from the audit log (newest first): `session.started` gives who, where and
 * what; `session.ended` the seal, reason and exit; `session.checkpoint` the running
 * hashes. Reads backwards and stops at `limit` matches (or `stopAt`: one session id).
 */
export async function scanSessions(
  store: Pick<Store, 'readLog' | 'head'>,
  logId: string,
  live: readonly LiveSessionView[],
  f: SessionFilter & { only?: string },
): Promise<SessionSummary[]> {
  const log = auditStoreLog(logId);
  const liveIds = new Set(live.flatMap((c) => c.channels.map((ch) => ch.id)));
  const partial = new Map<string, Partial>();
  const out: SessionSummary[] = [];
  let scanned = 0;
  let upTo = (await store.head(log)).seq;
  outer: while (upTo >= 1 && scanned < SCAN_LIMIT) {
    const from = Math.max(1, upTo - PAGE + 1);
    const page = await store.readLog(log, from, upTo - from + 1);
    for (let i = page.length - 1; i >= 0; i--) {
      scanned++;
      const line = page[i]!.data;
      if (!line.includes('"session.')) continue;
      let e: AuditEntry;
      try {
        e = JSON.parse(line) as AuditEntry;
      } catch {
        continue;
      }
      const id = str(e.data.session_id);
      if (!id || (f.only !== undefined && id !== f.only)) continue;
      const p = partial.get(id) ?? { checkpoints: [] };
      partial.set(id, p);
      if (e.type === 'session.ended') {
        const sha256 = str(e.data.recording_sha256);
        const size = num(e.data.recording_size);
        if (sha256 && size !== undefined)
          p.ended = {
            at: Date.parse(e.time),
            reason: str(e.data.reason) ?? '',
            // The gateway writes `none` when the session ended without an exit status (killed, dropped).
            ...(str(e.data.exit_status) !== undefined && e.data.exit_status !== 'none'
              ? { exitStatus: str(e.data.exit_status)! }
              : {}),
            ...(num(e.data.duration_ms) !== undefined ? { durationMs: num(e.data.duration_ms)! } : {}),
            ...(num(e.data.bytes_in) !== undefined ? { bytesIn: num(e.data.bytes_in)! } : {}),
            ...(num(e.data.bytes_out) !== undefined ? { bytesOut: num(e.data.bytes_out)! } : {}),
            sha256,
            size,
          };
      } else if (e.type === 'session.checkpoint') {
        const sha256 = str(e.data.recording_sha256);
        const size = num(e.data.recording_size);
        if (sha256 && size !== undefined) p.checkpoints.push({ sha256, size });
      } else if (e.type === 'session.started') {
        partial.delete(id);
        const s = summary(e, p, liveIds);
        if (matches(s, f)) {
          out.push(s);
          if (out.length >= f.limit || f.only !== undefined) break outer;
        }
        // Sessions last at most a grant (days): far older starts cannot reach into the window.
        if (f.fromMs !== undefined && s.startedAt < f.fromMs - 7 * 86_400_000) break outer;
      }
    }
    upTo = from - 1;
  }
  return out;
}
