import type { Authority, Signer } from '../ca';
import type { Config } from '../config';
import type { Clock, Random } from '../core';
import { BreakglassError } from '../errors';
import type { Logger } from '../logging';
import { canReview, hasPermission, type Decision, type PolicyStore, type Subject } from '../policy';
import type { Store, Unsubscribe } from '../store';
import { createCertificateIssuer, type CertificateIssuer, type GrantCertificate } from './certificates';
import { createDrift, type Drift, type SessionEnd } from './drift';
import { createHostRegistry, HOSTS_CHANNEL, type HostRegistry } from './hosts';
import { newRequestId } from './ids';
import { createKrlPublisher, KRL_CHANNEL, type KrlPublisher, type KrlSnapshot } from './krl';
import { SYSTEM_ACCESS, samePerson, type Transition } from './transition';
import { createNotifier, type Notifier } from './notify';
import { createRepository, type AuditAppender, type Repository } from './repository';
import { createSweeper, type Sweeper } from './sweeper';
import type { AccessRecord, Person, Requester, StoredDecision } from './types';
import { toView, type RequestView } from './view';

/** Pub/sub channels the gateway listens to (message: JSON with `grant`, `hosts`, `login`, `requester`). */
export const GRANT_REVOKED_CHANNEL = 'grant.revoked';
export const GRANT_ENDED_CHANNEL = 'grant.ended';

export interface CreateRequestInput {
  readonly host?: string;
  readonly selector?: Readonly<Record<string, string>>;
  readonly login: string;
  readonly ttlMs?: number;
  readonly reason: string;
  readonly ticket?: string;
  readonly emergency?: boolean;
}

export type ListScope = 'mine' | 'review' | 'all' | 'post-review';

export interface AccessDeps {
  store: Store;
  audit: AuditAppender;
  policy: PolicyStore;
  authority: Authority;
  /**
   * Unused: grant certificates come from `authority` (its user CA) since the
   * authority names serials in key ids. Stop passing it; it will be removed.
   * @deprecated
   */
  userSigner?: Signer;
  config: Config['access'];
  clock: Clock;
  random: Random;
  logger: Logger;
  /** The server's public URL (for the KRL URL given to hosts). */
  publicUrl: () => string;
  /** Whether the audit table knows an event type (optional events). */
  hasEvent?: (type: string) => boolean;
  /** KRL file path (resolved); absent: none written. */
  krlFile?: string;
}

export interface Access {
  readonly notifier: Notifier;
  readonly hosts: HostRegistry;
  readonly krl: KrlPublisher;
  readonly drift: Drift;
  readonly certificates: CertificateIssuer;
  readonly repository: Repository;
  createRequest(subject: Subject, input: CreateRequestInput): Promise<RequestView>;
  getRequest(subject: Subject, id: string): Promise<RequestView>;
  listRequests(
    subject: Subject,
    options: { scope: ListScope; status: 'open' | 'all'; limit: number },
  ): Promise<RequestView[]>;
  cancel(subject: Subject, id: string): Promise<RequestView>;
  review(subject: Subject, id: string, verdict: 'approve' | 'deny', comment: string): Promise<RequestView>;
  signOff(
    subject: Subject,
    id: string,
    outcome: 'acceptable' | 'unacceptable',
    comment: string,
  ): Promise<RequestView>;
  revoke(
    subject: Subject | null,
    id: string,
    reason: string,
  ): Promise<{ request: RequestView; krl: KrlSnapshot }>;
  issueCertificate(subject: Subject, grantId: string, publicKey: string): Promise<GrantCertificate>;
  /** Active grants of a person (the gateway looks up host and login in them). */
  activeGrants(person: Pick<Person, 'sub' | 'email'>): Promise<AccessRecord[]>;
  markSessionEnded(end: SessionEnd): Promise<{ tainted: boolean }>;
  /** One pass of the expiry job (the timer calls it; tests call it with a fake clock). */
  sweep(): Promise<{ expired: number; published: number }>;
  /** Subscribes to the store's channels, loads registered hosts, writes the KRL file, starts the sweeper. */
  start(): Promise<void>;
  close(): Promise<void>;
}

function personOf(s: Subject): Person {
  return { sub: s.sub, email: s.email, ...(s.name ? { name: s.name } : {}) };
}

function requesterOf(s: Subject): Requester {
  return { ...personOf(s), groups: [...s.groups], amr: [...s.amr] };
}

function storedDecision(d: Decision): StoredDecision {
  return {
    effect: d.effect,
    reasons: d.reasons,
    policyVersion: d.policyVersion,
    matchedRoles: d.matchedRoles,
    hosts: d.hosts,
    constraints: d.constraints,
  };
}

export function createAccess(deps: AccessDeps): Access {
  const { store, audit, policy, config, clock, random, logger } = deps;
  const repo = createRepository({ store, audit, clock, random, leaseMs: config.lock_timeout });
  const notifier = createNotifier({
    config: config.notifications,
    logger: logger.child({ component: 'webhooks' }),
    clock,
    random,
  });
  const krl = createKrlPublisher({
    store,
    caKeys: () => ({
      user: deps.authority.publicKey('user'),
      'host-access': deps.authority.publicKey('host-access'),
    }),
    clock,
    random,
    logger,
    ...(deps.krlFile ? { file: deps.krlFile } : {}),
  });
  const hosts = createHostRegistry({
    store,
    audit,
    authority: deps.authority,
    policy,
    config: config.hosts,
    clock,
    random,
    logger,
    krlUrl: () => `${deps.publicUrl()}/api/v1/krl`,
    hasEvent: deps.hasEvent ?? (() => false),
  });
  const certificates = createCertificateIssuer({
    store,
    repo,
    audit,
    authority: deps.authority,
    clock,
    krl,
  });
  const drift = createDrift({ store, audit, policy, repo, notifier, clock });
  const subscriptions: Unsubscribe[] = [];
  let sweeper: Sweeper | null = null;

  const now = () => clock.now();
  const compiled = () => policy.current().policy;
  const may = (s: Subject, p: Parameters<typeof hasPermission>[2]) => hasPermission(compiled(), s, p, now());

  function reviewable(s: Subject, r: AccessRecord): boolean {
    const effect = r.emergency ? 'emergency_allowed' : 'needs_approval';
    return canReview(
      compiled(),
      s,
      { effect, constraints: r.decision.constraints },
      { requester: r.requester, now: now() },
    );
  }

  function canSee(s: Subject, r: AccessRecord): boolean {
    return (
      samePerson(s, r.requester) ||
      r.reviews.some((v) => samePerson(v.reviewer, s)) ||
      reviewable(s, r) ||
      may(s, 'review_requests') ||
      may(s, 'view_audit')
    );
  }

  function canRevoke(s: Subject | null, r: AccessRecord): boolean {
    if (s === null) return true;
    return (
      samePerson(s, r.requester) ||
      r.reviews.some((v) => samePerson(v.reviewer, s)) ||
      reviewable(s, r) ||
      may(s, 'terminate_sessions')
    );
  }

  async function visible(s: Subject, id: string): Promise<AccessRecord> {
    const r = await repo.get(id);
    if (!r || !canSee(s, r))
      throw new BreakglassError('ACCESS_NOT_FOUND', `no request ${id} that you may see`, {
        details: { request_id: id },
      });
    return r;
  }

  function after(t: Transition | null): void {
    for (const n of t?.notifications ?? []) notifier.notify(n);
  }

  async function publishRevocation(r: AccessRecord): Promise<KrlSnapshot> {
    const snap = await krl.revokeGrant(r.id, r.grant?.endsAt ?? clock.now());
    const done = await repo.patch(r.id, (cur) =>
      cur.revocationPublished === false ? { ...cur, revocationPublished: true } : null,
    );
    if (done) await repo.settle(done);
    await audit.append({
      type: 'krl.published',
      actor: SYSTEM_ACCESS,
      target: r.id,
      data: { version: snap.version, revoked: snap.serials, sha256: snap.sha256, grant: r.id },
    });
    const message = JSON.stringify({
      grant: r.id,
      hosts: r.decision.hosts,
      login: r.login,
      requester: r.requester.email || r.requester.sub,
      at: new Date(clock.now()).toISOString(),
    });
    await store
      .publish(GRANT_REVOKED_CHANNEL, message)
      .catch((err: unknown) => logger.error('could not publish grant.revoked', { err }));
    await store.publish(KRL_CHANNEL, String(snap.version)).catch(() => undefined);
    return snap;
  }

  const access: Access = {
    notifier,
    hosts,
    krl,
    drift,
    certificates,
    repository: repo,

    async createRequest(subject, input) {
      const decision = policy.evaluate(subject, {
        ...(input.host !== undefined ? { host: input.host } : {}),
        ...(input.selector !== undefined ? { selector: input.selector } : {}),
        login: input.login,
        ...(input.ttlMs !== undefined ? { ttlMs: input.ttlMs } : {}),
        reason: input.reason,
        ...(input.ticket !== undefined ? { ticket: input.ticket } : {}),
        emergency: input.emergency === true,
      });
      const { record, transition } = await repo.create({
        type: 'create',
        id: newRequestId(clock, random),
        requester: requesterOf(subject),
        target: input.host !== undefined ? { host: input.host } : { selector: { ...input.selector } },
        login: input.login,
        ...(input.ttlMs !== undefined ? { ttlMs: input.ttlMs } : {}),
        reason: input.reason,
        ...(input.ticket !== undefined ? { ticket: input.ticket } : {}),
        emergency: input.emergency === true,
        decision: storedDecision(decision),
        pendingTtlMs: config.pending_ttl,
      });
      after(transition);
      return toView(record, now());
    },

    async getRequest(subject, id) {
      return toView(await visible(subject, id), now());
    },

    async listRequests(subject, { scope, status, limit }) {
      let records: AccessRecord[];
      if (status === 'open') {
        const ids = await repo.openIds();
        records = (await Promise.all(ids.map((id) => repo.get(id)))).filter(
          (r): r is AccessRecord => r !== null,
        );
      } else {
        records = await repo.list();
      }
      if (scope === 'post-review') {
        if (status === 'open') records = await repo.list();
        records = records.filter((r) => r.postReview?.status === 'open');
      }
      const mine = (r: AccessRecord) => samePerson(subject, r.requester);
      const filtered = records.filter((r) => {
        if (status === 'open' && r.status !== 'pending' && r.status !== 'active' && scope !== 'post-review')
          return false;
        switch (scope) {
          case 'mine':
            return mine(r);
          case 'review':
            return (
              !mine(r) &&
              r.status === 'pending' &&
              reviewable(subject, r) &&
              !r.reviews.some((v) => samePerson(v.reviewer, subject))
            );
          case 'post-review':
            return !mine(r) && (reviewable(subject, r) || may(subject, 'review_requests'));
          case 'all':
            return canSee(subject, r);
        }
      });
      filtered.sort((a, b) => (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
      return filtered.slice(0, limit).map((r) => toView(r, now()));
    },

    async cancel(subject, id) {
      await visible(subject, id);
      const { record } = await repo.apply(id, () => ({ type: 'cancel', actor: personOf(subject) }));
      return toView(record, now());
    },

    async review(subject, id, verdict, comment) {
      await visible(subject, id);
      const { record, transition } = await repo.apply(id, (r) => ({
        type: 'review',
        reviewer: personOf(subject),
        verdict,
        comment,
        allowed: reviewable(subject, r),
      }));
      after(transition);
      return toView(record, now());
    },

    async signOff(subject, id, outcome, comment) {
      await visible(subject, id);
      const { record, transition } = await repo.apply(id, (r) => ({
        type: 'signoff',
        reviewer: personOf(subject),
        outcome,
        comment,
        allowed: r.emergency && (reviewable(subject, r) || may(subject, 'review_requests')),
      }));
      after(transition);
      return toView(record, now());
    },

    async revoke(subject, id, reason) {
      if (subject) await visible(subject, id);
      const { record, transition } = await repo.apply(id, (r) => ({
        type: 'revoke',
        actor: subject ? personOf(subject) : null,
        reason,
        allowed: canRevoke(subject, r),
      }));
      after(transition);
      const snap = await publishRevocation(record);
      const final = (await repo.get(id)) ?? record;
      return { request: toView(final, now()), krl: snap };
    },

    issueCertificate: (subject, grantId, publicKey) =>
      certificates.issue(grantId, personOf(subject), publicKey),

    async activeGrants(person) {
      const ids = await repo.openIds();
      const out: AccessRecord[] = [];
      for (const id of ids) {
        const r = await repo.get(id);
        if (
          r &&
          r.status === 'active' &&
          r.grant &&
          r.grant.endsAt > now() &&
          samePerson(person, r.requester)
        )
          out.push(r);
      }
      return out;
    },

    markSessionEnded: (end) => drift.markSessionEnded(end),

    async sweep() {
      let expired = 0;
      let published = 0;
      const t = now();
      for (const row of await store.list('access.open')) {
        const r = await repo.get(row.key);
        if (!r) {
          await store.delete('access.open', row.key).catch(() => false);
          continue;
        }
        if (r.status === 'revoked' && r.revocationPublished !== true) {
          await publishRevocation(r);
          published++;
          continue;
        }
        const deadline = Number(row.value);
        if (deadline > t && (r.status === 'pending' || r.status === 'active')) continue;
        const applied = await repo.apply(r.id, () => ({ type: 'expire' }));
        if (applied.transition) {
          expired++;
          if (r.status === 'active') {
            const message = JSON.stringify({
              grant: r.id,
              hosts: r.decision.hosts,
              login: r.login,
              requester: r.requester.email || r.requester.sub,
              at: new Date(t).toISOString(),
            });
            await store.publish(GRANT_ENDED_CHANNEL, message).catch(() => undefined);
          }
        } else {
          await repo.settle(applied.record);
        }
      }
      await krl.prune(t);
      await krl.current();
      await hosts.sync();
      return { expired, published };
    },

    async start() {
      await hosts.sync();
      await krl.refresh();
      subscriptions.push(
        await store.subscribe(HOSTS_CHANNEL, () => {
          hosts.sync().catch((err: unknown) => logger.error('could not reload registered hosts', { err }));
        }),
      );
      subscriptions.push(
        await store.subscribe(KRL_CHANNEL, () => {
          krl.refresh().catch((err: unknown) => logger.error('could not rebuild the KRL', { err }));
        }),
      );
      sweeper = createSweeper({ intervalMs: config.sweep_interval, run: () => access.sweep(), logger });
    },

    async close() {
      await sweeper?.stop();
      for (const u of subscriptions.splice(0)) await u().catch(() => undefined);
      await notifier.close();
    },
  };
  return access;
}
