import type { Clock } from '../../core';
import type { Logger } from '../../logging';
import type { Store } from '../../store';

/** Namespace of live-session records in the store. */
export const SESSIONS_NS = 'proxy.sessions';
/** Pub/sub channel: `{ "id": SESSION_OR_CONNECTION_ID, "by": ACTOR, "reason": TEXT }` ends a session on every replica. */
export const KILL_CHANNEL = 'session.kill';

/** One channel of a connection: what is recorded and audited as a "session". */
export interface LiveChannel {
  /** Session id: the recording id and the audit entries' `session_id` (`<connection>-<n>`). */
  readonly id: string;
  readonly kind: 'shell' | 'exec' | 'sftp';
  readonly pty: boolean;
  readonly command?: string;
  readonly startedAt: number;
}

/** A live gateway connection as every replica sees it in the store. */
export interface LiveSessionRecord {
  /** Connection id (named in the upstream certificate's key id). */
  readonly id: string;
  readonly replica: string;
  readonly user: string;
  readonly host: string;
  readonly login: string;
  readonly grant: string;
  readonly clientAddress: string;
  readonly upstreamSerial?: string;
  readonly startedAt: number;
  readonly lastActivityAt: number;
  readonly channels: readonly LiveChannel[];
}

export interface SessionRegistry {
  /** Writes (or rewrites) a record; it stays visible while this replica keeps renewing it. */
  put(record: LiveSessionRecord): Promise<void>;
  remove(id: string): Promise<void>;
  /** Every live connection on every replica. */
  list(): Promise<LiveSessionRecord[]>;
  /** A connection by its id, or by the id of one of its sessions. */
  find(id: string): Promise<LiveSessionRecord | null>;
  /** Asks every replica to end the connection (or the connection of the session) `id`. */
  kill(id: string, by: string, reason?: string): Promise<void>;
  /** Stops renewing (records then expire); does not delete them. */
  close(): void;
}

export interface KillMessage {
  readonly id: string;
  readonly by: string;
  readonly reason: string;
}

/** The connection id of a connection or session id (`<connection>-<n>` → `<connection>`). */
export function connectionIdOf(id: string): string {
  const m = /^(.+)-\d{1,6}$/.exec(id);
  return m ? m[1]! : id;
}

/** Reads a kill message; null when it is not one. */
export function parseKillMessage(text: string): KillMessage | null {
  try {
    const v = JSON.parse(text) as Record<string, unknown>;
    if (typeof v.id !== 'string' || v.id.length === 0 || v.id.length > 200) return null;
    return {
      id: v.id,
      by: typeof v.by === 'string' && v.by.length > 0 ? v.by.slice(0, 256) : 'unknown',
      reason: typeof v.reason === 'string' ? v.reason.slice(0, 500) : '',
    };
  } catch {
    return null;
  }
}

/**
 * Live sessions in the store (`proxy.sessions/<connection id>`), each with a TTL the
 * owning replica renews, so a replica that dies takes its records with it. Reading and
 * killing work from any replica, also one that runs no gateway.
 */
export function createSessionRegistry(deps: {
  store: Store;
  clock: Clock;
  logger: Logger;
  ttlMs: number;
}): SessionRegistry {
  const { store, logger, ttlMs } = deps;
  const local = new Map<string, LiveSessionRecord>();
  const write = (r: LiveSessionRecord) => store.put(SESSIONS_NS, r.id, JSON.stringify(r), { ttlMs });
  const timer = setInterval(
    () => {
      for (const r of local.values())
        write(r).catch((err: unknown) =>
          logger.warn('could not renew a live-session record', {
            session: r.id,
            error: (err as Error).message,
          }),
        );
    },
    Math.max(500, Math.floor(ttlMs / 3)),
  );
  timer.unref();
  const parse = (value: string): LiveSessionRecord | null => {
    try {
      return JSON.parse(value) as LiveSessionRecord;
    } catch {
      return null;
    }
  };
  return {
    async put(record) {
      local.set(record.id, record);
      await write(record);
    },
    async remove(id) {
      local.delete(id);
      await store.delete(SESSIONS_NS, id);
    },
    async list() {
      const rows = await store.list(SESSIONS_NS);
      return rows.map((r) => parse(r.value)).filter((r): r is LiveSessionRecord => r !== null);
    },
    async find(id) {
      const rec = await store.get(SESSIONS_NS, connectionIdOf(id));
      return rec ? parse(rec.value) : null;
    },
    async kill(id, by, reason = '') {
      await store.publish(KILL_CHANNEL, JSON.stringify({ id, by, reason }));
    },
    close() {
      clearInterval(timer);
      local.clear();
    },
  };
}
