import { generateKeyPairSync } from 'node:crypto';
import {
  CHECKPOINT_TYPE,
  createKeySigner,
  isoTime,
  prepareEntry,
  publicJwkOf,
  sealEntry,
  SYSTEM_ACTOR,
  type AuditKeyPair,
  type EntryDraft,
  type PublicKeys,
} from '../../../src/audit';
import type { JsonValue } from '../../../src/audit';

export const START = Date.UTC(2026, 0, 1);

export function makeKeyPair(): AuditKeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const publicJwk = publicJwkOf(publicKey);
  return { privateKey, publicKey, publicJwk, kid: publicJwk.kid };
}

export function keysOf(...pairs: AuditKeyPair[]): PublicKeys {
  return new Map(pairs.map((p) => [p.kid, p.publicKey]));
}

/** A few valid events of different types, chosen by index. */
export function sampleDraft(i: number, timeMs: number): EntryDraft {
  const time = isoTime(timeMs);
  const kinds: Array<Omit<EntryDraft, 'time'>> = [
    { type: 'login', actor: `user:u${i % 7}@example.com`, data: { method: 'oidc', groups: ['ops', 'sre'] } },
    {
      type: 'request.created',
      actor: `user:u${i % 7}@example.com`,
      target: `db-${i % 5}`,
      data: {
        request_id: `req-${i}`,
        hosts: [`db-${i % 5}`],
        logins: ['root'],
        ttl_seconds: 3600,
        reason: `ticket OPS-${i} «ünïcode» 😀`,
        emergency: false,
      },
      policy_version: 'p-42',
    },
    {
      type: 'certificate.issued',
      actor: 'system:ca',
      target: `req-${i}`,
      data: {
        serial: String(1000 + i),
        key_fingerprint: 'SHA256:abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG',
        principals: ['root'],
        valid_after: time,
        valid_before: isoTime(timeMs + 3_600_000),
        key_id: `u@example.com/req-${i}`,
        grant: `req-${i}`,
      },
    },
    {
      type: 'session.ended',
      actor: 'system:proxy',
      target: `db-${i % 5}`,
      data: {
        session_id: `s-${i}`,
        recording_sha256: 'a'.repeat(64),
        recording_size: i * 1000,
        reason: 'exit 0',
        extra: { nested: [1, 2.5, null, true] },
      },
    },
  ];
  return { time, ...kinds[i % kinds.length]! };
}

export interface BuiltLog {
  lines: string[];
  /** Hash of each seq (index seq - 1). */
  hashes: string[];
  /** Seqs of checkpoint entries and the seq each commits to. */
  checkpoints: Array<{ entrySeq: number; seq: number; hash: string; time: string; jws: string }>;
}

/**
 * Builds a valid log in memory: `n` ordinary entries, and after every
 * `checkpointEvery` of them a checkpoint entry signed with `key` over the head.
 */
export async function buildLog(opts: {
  n: number;
  checkpointEvery?: number;
  key: AuditKeyPair;
  logId?: string;
  startMs?: number;
  /** Entries to continue from (seq and hash of the head). */
  from?: {
    seq: number;
    hash: string | null;
    lines?: string[];
    hashes?: string[];
    checkpoints?: BuiltLog['checkpoints'];
  };
  draft?: (i: number, timeMs: number) => EntryDraft;
}): Promise<BuiltLog> {
  const signer = createKeySigner(opts.key);
  const logId = opts.logId ?? 'test-log';
  const lines = [...(opts.from?.lines ?? [])];
  const hashes = [...(opts.from?.hashes ?? [])];
  const checkpoints = [...(opts.from?.checkpoints ?? [])];
  let head = { seq: opts.from?.seq ?? 0, hash: opts.from?.hash ?? null };
  let t = opts.startMs ?? START;
  const draft = opts.draft ?? sampleDraft;
  const push = (d: EntryDraft) => {
    const sealed = sealEntry(prepareEntry(d), head);
    lines.push(sealed.line);
    hashes.push(sealed.hash);
    head = { seq: sealed.entry.seq, hash: sealed.hash };
  };
  for (let i = 0; i < opts.n; i++) {
    t += 1000;
    push(draft(i, t));
    if (opts.checkpointEvery && (i + 1) % opts.checkpointEvery === 0) {
      const payload = { seq: head.seq, hash: head.hash!, time: isoTime(t), log_id: logId };
      const jws = await signer.sign(payload);
      push({
        time: isoTime(t),
        type: CHECKPOINT_TYPE,
        actor: SYSTEM_ACTOR,
        data: { seq: payload.seq, hash: payload.hash, log_id: logId, jws } as Record<string, JsonValue>,
      });
      checkpoints.push({ entrySeq: head.seq, ...payload, jws });
    }
  }
  return { lines, hashes, checkpoints };
}

/** Re-seals lines (after an edit) so every hash and prev is recomputed, as a forger would. */
export function reseal(lines: string[], fromIndex = 0): string[] {
  const out = lines.slice(0, fromIndex);
  let head: { seq: number; hash: string | null } =
    fromIndex === 0
      ? { seq: 0, hash: null }
      : { seq: JSON.parse(out[fromIndex - 1]!).seq, hash: JSON.parse(out[fromIndex - 1]!).hash };
  for (const line of lines.slice(fromIndex)) {
    const o = JSON.parse(line) as EntryDraft;
    const sealed = sealEntry(
      prepareEntry({
        time: o.time,
        type: o.type,
        actor: o.actor,
        ...(o.target === undefined ? {} : { target: o.target }),
        data: o.data,
        ...(o.policy_version === undefined ? {} : { policy_version: o.policy_version }),
      }),
      head,
    );
    out.push(sealed.line);
    head = { seq: sealed.entry.seq, hash: sealed.hash };
  }
  return out;
}

export const text = (lines: string[]) => lines.map((l) => `${l}\n`).join('');
