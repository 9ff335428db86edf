import type { Config } from '../config';
import type { Clock } from '../core';
import { BreakglassError } from '../errors';
import type { Logger } from '../logging';
import type { Store } from '../store';
import type { JsonValue } from './canonical';
import type { AuditSigner, Checkpoint } from './checkpoint';
import { isoTime, prepareEntry, sealEntry, type AuditEntry, type SealedEntry } from './entry';
import { CHECKPOINT_TYPE, validateEvent, type EventType } from './events';
import type { AuditForwarder } from './forward';
import type { AuditPublicJwk } from './keys';

type AuditConfig = Config['audit'];

/** What a caller records; the log adds seq, time, prev and hash. */
export interface AuditEvent {
  type: EventType;
  /** Who did it: `user:<email>`, `system:<component>`, `host:<id>`… */
  actor: string;
  /** What it was done to (a host, request or session id), when there is one. */
  target?: string;
  data: Record<string, unknown>;
  /** Version of the policy that decided, when one did. */
  policy_version?: string;
}

export interface AuditLog {
  readonly logId: string;
  /** The store log the entries live in (`audit/<log_id>`). */
  readonly storeLog: string;
  /**
   * Validates, appends and resolves once the entry is durable. Rejects with
   * AUDIT_INVALID_EVENT / AUDIT_NOT_JSON (nothing appended) or AUDIT_UNAVAILABLE (the
   * store failed: the caller must not go on with the operation it wanted to record).
   */
  append(event: AuditEvent): Promise<AuditEntry>;
  /** Writes a signed checkpoint over the current head now; null when the log is empty. */
  checkpoint(): Promise<Checkpoint | null>;
  /** The last checkpoint this process wrote (to keep outside the log), or null. */
  exportCheckpoint(): Checkpoint | null;
  /** The public key checkpoints verify with (what `audit_key.pub` holds). */
  publicKey(): AuditPublicJwk;
  /** Counters for metrics and tests. */
  stats(): { appended: number; failed: number; checkpoints: number };
  /** Waits for appends in flight, writes a final checkpoint, stops forwarding. */
  close(): Promise<void>;
}

export interface AuditLogDeps {
  store: Pick<Store, 'append' | 'head'>;
  signer: AuditSigner;
  clock: Clock;
  logger: Logger;
  config: AuditConfig;
  forwarders?: readonly AuditForwarder[];
}

export const SYSTEM_ACTOR = 'system:audit';

/** The store log name for a log id. */
export function auditStoreLog(logId: string): string {
  return `audit/${logId}`;
}

export function createAuditLog(deps: AuditLogDeps): AuditLog {
  const { store, signer, clock, logger, config } = deps;
  const forwarders = deps.forwarders ?? [];
  const logId = config.log_id;
  const storeLog = auditStoreLog(logId);
  const everyEntries = config.checkpoint.every_entries;
  const intervalMs = config.checkpoint.interval;
  const inflight = new Set<Promise<unknown>>();
  let closed = false;
  let sinceCheckpoint = 0;
  let lastCheckpointAt = clock.now();
  let lastCheckpointEntrySeq = 0;
  let last: Checkpoint | null = null;
  let checkpointing: Promise<Checkpoint | null> | null = null;
  const counters = { appended: 0, failed: 0, checkpoints: 0 };

  const timer = setInterval(() => maybeCheckpoint(), intervalMs);
  timer.unref();

  async function appendInternal(event: AuditEvent, internal: boolean): Promise<AuditEntry> {
    validateEvent(event, internal);
    const prepared = prepareEntry({
      time: isoTime(clock.now()),
      type: event.type,
      actor: event.actor,
      ...(event.target === undefined ? {} : { target: event.target }),
      data: event.data as Record<string, JsonValue>,
      ...(event.policy_version === undefined ? {} : { policy_version: event.policy_version }),
    });
    let sealed: SealedEntry | undefined;
    let stored: { seq: number; hash: string };
    try {
      stored = await store.append(storeLog, (head) => {
        sealed = sealEntry(prepared, head);
        return { data: sealed.line, hash: sealed.hash };
      });
    } catch (err) {
      counters.failed++;
      logger.error('audit append failed; the operation it records must not proceed', {
        type: event.type,
        code: (err as { code?: unknown }).code,
      });
      throw new BreakglassError(
        'AUDIT_UNAVAILABLE',
        `the audit entry (${event.type}) could not be made durable: ${(err as Error).message}`,
        { cause: err },
      );
    }
    if (!sealed || stored.seq !== sealed.entry.seq || stored.hash !== sealed.hash) {
      counters.failed++;
      throw new BreakglassError(
        'AUDIT_UNAVAILABLE',
        `the store acknowledged entry ${stored.seq} but not the one built for it`,
      );
    }
    counters.appended++;
    const entry: AuditEntry = {
      ...sealed.entry,
      data: JSON.parse(prepared.dataText) as Record<string, JsonValue>,
    };
    for (const f of forwarders) {
      try {
        f.forward(entry, sealed.line);
      } catch (err) {
        logger.warn('audit forwarder failed to queue an entry', {
          forwarder: f.name,
          error: (err as Error).message,
        });
      }
    }
    return entry;
  }

  function maybeCheckpoint(): void {
    if (checkpointing || sinceCheckpoint === 0) return;
    if (sinceCheckpoint < everyEntries && clock.now() - lastCheckpointAt < intervalMs) return;
    startCheckpoint().then(
      () => maybeCheckpoint(), // entries appended meanwhile may already call for the next one
      (err: unknown) =>
        logger.error('audit checkpoint failed; it is retried with the next entries', {
          error: (err as Error).message,
        }),
    );
  }

  function startCheckpoint(): Promise<Checkpoint | null> {
    if (checkpointing) {
      const again = () => startCheckpoint();
      return checkpointing.then(again, again);
    }
    const covering = sinceCheckpoint;
    const run = (async () => {
      const head = await store.head(storeLog);
      if (head.seq === 0 || head.hash === null) return null;
      // Nothing new since our own checkpoint, which covered everything before it.
      if (head.seq === lastCheckpointEntrySeq && last?.seq === head.seq - 1) return last;
      const payload = { seq: head.seq, hash: head.hash, time: isoTime(clock.now()), log_id: logId };
      const jws = await signer.sign(payload);
      const entry = await appendInternal(
        {
          type: CHECKPOINT_TYPE,
          actor: SYSTEM_ACTOR,
          data: { seq: payload.seq, hash: payload.hash, log_id: logId, jws },
        },
        true,
      );
      sinceCheckpoint = Math.max(0, sinceCheckpoint - covering);
      lastCheckpointAt = clock.now();
      lastCheckpointEntrySeq = entry.seq;
      counters.checkpoints++;
      last = { ...payload, kid: signer.kid, jws };
      return last;
    })();
    checkpointing = run;
    const clear = () => {
      if (checkpointing === run) checkpointing = null;
    };
    run.then(clear, clear);
    return run;
  }

  async function append(event: AuditEvent): Promise<AuditEntry> {
    if (closed)
      throw new BreakglassError(
        'AUDIT_CLOSED',
        `the audit log is closed; ${String(event?.type)} was not recorded`,
      );
    const p = appendInternal(event, false);
    inflight.add(p);
    try {
      const entry = await p;
      sinceCheckpoint++;
      maybeCheckpoint();
      return entry;
    } finally {
      inflight.delete(p);
    }
  }

  async function close(): Promise<void> {
    if (closed) return;
    closed = true;
    clearInterval(timer);
    await Promise.allSettled([...inflight]);
    try {
      if (checkpointing) await checkpointing.catch(() => null);
      if (sinceCheckpoint > 0) await startCheckpoint();
    } finally {
      await Promise.allSettled(forwarders.map((f) => f.close()));
    }
  }

  return {
    logId,
    storeLog,
    append,
    checkpoint: () => startCheckpoint(),
    exportCheckpoint: () => last,
    publicKey: () => signer.publicJwk,
    stats: () => ({ ...counters }),
    close,
  };
}
