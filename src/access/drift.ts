import type { Clock } from '../core';
import type { PolicyStore } from '../policy';
import { updateRecord, type Store } from '../store';
import type { Notifier } from './notify';
import { NS, type AuditAppender, type Repository } from './repository';

export interface SessionEnd {
  /** Inventory name of the host the session ran on. */
  readonly hostName: string;
  readonly sessionId: string;
  /** The grant the session used, when known (its decision may mark the host immutable). */
  readonly grantId?: string;
  readonly login?: string;
  /** Who ran the session (`user:<email>`). */
  readonly actor?: string;
}

export interface Taint {
  readonly host: string;
  readonly firstAt: number;
  readonly lastAt: number;
  readonly sessions: number;
  readonly lastSession: string;
  readonly grant?: string;
}

/**
 * Drift: a human session on an immutable host (per the host entry or the grant's
 * decision) flags the host as tainted, writes `host.tainted` to the audit log and
 * notifies the `host.tainted` webhooks so the platform replaces it.
 */
export function createDrift(deps: {
  store: Store;
  audit: AuditAppender;
  policy: PolicyStore;
  repo: Repository;
  notifier: Notifier;
  clock: Clock;
}) {
  return {
    async markSessionEnded(end: SessionEnd): Promise<{ tainted: boolean }> {
      const host = deps.policy.inventory().get(end.hostName);
      const grant = end.grantId ? await deps.repo.get(end.grantId) : null;
      const immutable = host?.immutable === true || grant?.decision.constraints.immutable === true;
      if (!immutable) return { tainted: false };
      const now = deps.clock.now();
      await deps.audit.append({
        type: 'host.tainted',
        actor: end.actor ?? 'system:access',
        target: end.hostName,
        ...(grant ? { policy_version: grant.decision.policyVersion } : {}),
        data: {
          host_id: end.hostName,
          session_id: end.sessionId,
          ...(end.grantId ? { grant: end.grantId } : {}),
          ...(end.login ? { login: end.login } : {}),
        },
      });
      await updateRecord(
        deps.store,
        NS.taints,
        end.hostName,
        (cur) => {
          const prev = cur ? (JSON.parse(cur.value) as Taint) : null;
          const next: Taint = {
            host: end.hostName,
            firstAt: prev?.firstAt ?? now,
            lastAt: now,
            sessions: (prev?.sessions ?? 0) + 1,
            lastSession: end.sessionId,
            ...(end.grantId ? { grant: end.grantId } : {}),
          };
          return JSON.stringify(next);
        },
        { clock: deps.clock },
      );
      deps.notifier.notify({
        event: 'host.tainted',
        data: {
          host: end.hostName,
          session_id: end.sessionId,
          ...(host ? { address: host.address, labels: { ...host.labels } } : {}),
          ...(end.grantId ? { request_id: end.grantId } : {}),
          ...(end.login ? { login: end.login } : {}),
          ...(end.actor ? { actor: end.actor } : {}),
        },
      });
      return { tainted: true };
    },
    async taints(): Promise<Taint[]> {
      return (await deps.store.list(NS.taints)).map((r) => JSON.parse(r.value) as Taint);
    },
  };
}

export type Drift = ReturnType<typeof createDrift>;
