import { z } from 'zod';
import type { Access } from '../../../access';
import { BreakglassError } from '../../../errors';
import { hasPermission } from '../../../policy';
import type { PolicyStore } from '../../../policy';
import { defineRoute, type ApiRoute } from '../route';
import {
  certificateBody,
  certificateView,
  createRequestBody,
  hostNameParams,
  idParams,
  joinTokenBody,
  listQuery,
  policySubject,
  registerBody,
  registrationView,
  renewBody,
  requestView,
  reviewBody,
  revokeBody,
  signOffBody,
} from './schemas';

export interface AccessRouteDeps {
  access: Access;
  policy: PolicyStore;
  maxReasonLength: number;
  clock: { now(): number };
}

type Body<T extends z.ZodType> = z.output<T>;

/** The access rows of the API route table (requests, reviews, grants, certificates, KRL, hosts). */
export function accessRoutes(deps: AccessRouteDeps): ApiRoute[] {
  const { access } = deps;
  const createBody = createRequestBody(deps.maxReasonLength);
  const review = reviewBody(deps.maxReasonLength);
  const signOff = signOffBody(deps.maxReasonLength);
  const revoke = revokeBody(deps.maxReasonLength);
  const requestErrors = ['ACCESS_NOT_FOUND', 'ACCESS_BUSY', 'AUDIT_UNAVAILABLE'];
  return [
    defineRoute<Body<typeof createBody>>({
      method: 'post',
      path: '/requests',
      operationId: 'createAccessRequest',
      summary: 'Ask for access to a host (or hosts by label) as a login for a while, with a reason.',
      description:
        'The policy decides at once: denied (the reasons say why), pending (needs approvals; the summary says from whom), active (no approval needed) or, for emergency requests where policy allows, active at once with a post-hoc review. The decision is stored with the request.',
      tags: ['access'],
      auth: 'subject',
      body: createBody,
      success: { status: 201, description: 'The request as filed, with its decision.', schema: requestView },
      errors: ['AUDIT_UNAVAILABLE', 'POLICY_NOT_LOADED'],
      handler: async ({ subject, body }) =>
        access.createRequest(policySubject(subject), {
          ...(body.host !== undefined ? { host: body.host } : {}),
          ...(body.selector !== undefined ? { selector: body.selector } : {}),
          login: body.login,
          ...(body.ttl !== undefined ? { ttlMs: body.ttl } : {}),
          reason: body.reason,
          ...(body.ticket !== undefined ? { ticket: body.ticket } : {}),
          emergency: body.emergency,
        }),
    }),
    defineRoute<undefined, Record<string, never>, z.output<typeof listQuery>>({
      method: 'get',
      path: '/requests',
      operationId: 'listAccessRequests',
      summary:
        'Requests you filed (mine), may review (review), every one you may see (all), or emergency access awaiting sign-off (post-review).',
      tags: ['access'],
      auth: 'subject',
      query: listQuery,
      success: {
        status: 200,
        description: 'Newest first.',
        schema: z.object({ requests: z.array(requestView) }),
      },
      handler: async ({ subject, query }) => ({
        requests: await access.listRequests(policySubject(subject), query),
      }),
    }),
    defineRoute<undefined, z.output<typeof idParams>>({
      method: 'get',
      path: '/requests/{id}',
      operationId: 'getAccessRequest',
      summary: 'One request with its decision, reviews, grant and full history.',
      tags: ['access'],
      auth: 'subject',
      params: idParams,
      success: { status: 200, description: 'The request.', schema: requestView },
      errors: ['ACCESS_NOT_FOUND'],
      handler: async ({ subject, params }) => access.getRequest(policySubject(subject), params.id),
    }),
    defineRoute<Record<string, never>, z.output<typeof idParams>>({
      method: 'post',
      path: '/requests/{id}/cancel',
      operationId: 'cancelAccessRequest',
      summary: 'Withdraw your pending request.',
      tags: ['access'],
      auth: 'subject',
      params: idParams,
      body: z.strictObject({}),
      success: { status: 200, description: 'The cancelled request.', schema: requestView },
      errors: [...requestErrors, 'ACCESS_FORBIDDEN', 'ACCESS_NOT_PENDING'],
      handler: async ({ subject, params }) => access.cancel(policySubject(subject), params.id),
    }),
    defineRoute<Body<typeof review>, z.output<typeof idParams>>({
      method: 'post',
      path: '/requests/{id}/reviews',
      operationId: 'reviewAccessRequest',
      summary:
        'Approve or deny a pending request (reviewers named by the policy; never your own; once each).',
      tags: ['access'],
      auth: 'subject',
      params: idParams,
      body: review,
      success: { status: 200, description: 'The request after your review.', schema: requestView },
      errors: [
        ...requestErrors,
        'ACCESS_SELF_REVIEW',
        'ACCESS_NOT_REVIEWER',
        'ACCESS_ALREADY_REVIEWED',
        'ACCESS_NOT_PENDING',
      ],
      handler: async ({ subject, params, body }) =>
        access.review(policySubject(subject), params.id, body.verdict, body.comment),
    }),
    defineRoute<Body<typeof signOff>, z.output<typeof idParams>>({
      method: 'post',
      path: '/requests/{id}/post-review',
      operationId: 'signOffEmergencyAccess',
      summary: 'Close the post-hoc review of emergency access (acceptable or unacceptable, with a comment).',
      tags: ['access'],
      auth: 'subject',
      params: idParams,
      body: signOff,
      success: { status: 200, description: 'The request with its review signed off.', schema: requestView },
      errors: [...requestErrors, 'ACCESS_SELF_REVIEW', 'ACCESS_NOT_REVIEWER', 'ACCESS_NO_POST_REVIEW'],
      handler: async ({ subject, params, body }) =>
        access.signOff(policySubject(subject), params.id, body.outcome, body.comment),
    }),
    defineRoute<Body<typeof revoke>, z.output<typeof idParams>>({
      method: 'post',
      path: '/grants/{id}/revoke',
      operationId: 'revokeGrant',
      summary:
        'End an active grant now: its certificates join the KRL (file written before this returns) and its live sessions end on every replica.',
      tags: ['access'],
      auth: 'subject',
      params: idParams,
      body: revoke,
      success: {
        status: 200,
        description: 'The revoked grant and the KRL version that contains it.',
        schema: z.object({
          request: requestView,
          krl: z.object({ version: z.number(), sha256: z.string(), serials: z.number() }),
        }),
      },
      errors: [
        ...requestErrors,
        'ACCESS_FORBIDDEN',
        'ACCESS_GRANT_INACTIVE',
        'ACCESS_GRANT_EXPIRED',
        'ACCESS_GRANT_REVOKED',
        'ACCESS_KRL_WRITE_FAILED',
      ],
      handler: async ({ subject, params, body }) => {
        const { request, krl } = await access.revoke(policySubject(subject), params.id, body.reason);
        return { request, krl: { version: krl.version, sha256: krl.sha256, serials: krl.serials } };
      },
    }),
    defineRoute<z.output<typeof certificateBody>, z.output<typeof idParams>>({
      method: 'post',
      path: '/grants/{id}/certificate',
      operationId: 'issueGrantCertificate',
      summary:
        'A user certificate for your active grant: principals and options from the decision, valid within the grant.',
      tags: ['access'],
      auth: 'subject',
      params: idParams,
      body: certificateBody,
      success: {
        status: 201,
        description: 'The certificate (its audit entry is durable).',
        schema: certificateView,
      },
      errors: [
        'ACCESS_NOT_FOUND',
        'ACCESS_FORBIDDEN',
        'ACCESS_GRANT_INACTIVE',
        'ACCESS_GRANT_EXPIRED',
        'ACCESS_GRANT_REVOKED',
        'CA_MALFORMED',
        'CA_KEY_REFUSED',
        'AUDIT_UNAVAILABLE',
      ],
      handler: async ({ subject, params, body }) =>
        access.issueCertificate(policySubject(subject), params.id, body.public_key),
    }),
    defineRoute({
      method: 'get',
      path: '/krl',
      operationId: 'getKrl',
      summary:
        "The key revocation list in OpenSSH's binary format (for sshd RevokedKeys); the same bytes on every replica.",
      tags: ['access', 'hosts'],
      auth: 'none',
      success: {
        status: 200,
        description: 'application/octet-stream; headers X-KRL-Version and ETag (sha256).',
        schema: z.string().describe('binary KRL'),
      },
      handler: async ({ req, res }) => {
        const snap = await access.krl.current();
        const etag = `"${snap.sha256}"`;
        res.setHeader('X-KRL-Version', String(snap.version));
        res.setHeader('ETag', etag);
        res.setHeader('Cache-Control', 'no-cache');
        if (req.headers['if-none-match'] === etag) {
          res.status(304).end();
          return undefined;
        }
        res.status(200).type('application/octet-stream').send(snap.bytes);
        return undefined;
      },
    }),
    defineRoute<z.output<typeof joinTokenBody>>({
      method: 'post',
      path: '/hosts/tokens',
      operationId: 'createHostJoinToken',
      summary: 'A one-time join token for a booting host (needs the manage_hosts permission).',
      tags: ['hosts'],
      auth: 'subject',
      body: joinTokenBody,
      success: {
        status: 201,
        description: 'The token (shown once; only its hash is stored).',
        schema: z.object({
          token: z.string(),
          id: z.string(),
          expires_at: z.string(),
          labels: z.record(z.string(), z.string()),
          name: z.string().optional(),
        }),
      },
      errors: ['ACCESS_FORBIDDEN', 'POLICY_SCHEMA'],
      handler: async ({ subject, body }) => {
        const s = policySubject(subject);
        if (!hasPermission(deps.policy.current().policy, s, 'manage_hosts', deps.clock.now()))
          throw new BreakglassError(
            'ACCESS_FORBIDDEN',
            'creating host join tokens needs the manage_hosts permission',
          );
        return access.hosts.createToken(
          {
            labels: body.labels,
            ...(body.ttl !== undefined ? { ttlMs: body.ttl } : {}),
            ...(body.name !== undefined ? { name: body.name } : {}),
          },
          `user:${s.email || s.sub}`,
        );
      },
    }),
    defineRoute<z.output<typeof registerBody>>({
      method: 'post',
      path: '/hosts/register',
      operationId: 'registerHost',
      summary:
        'A booting host trades its one-time join token and host key for a host certificate, the host-access CA key and the KRL URL.',
      tags: ['hosts'],
      auth: 'none',
      csrfExempt: true,
      body: registerBody,
      success: {
        status: 201,
        description: 'Everything sshd_config needs (see docs/hosts.md).',
        schema: registrationView,
      },
      errors: [
        'ACCESS_JOIN_TOKEN_INVALID',
        'ACCESS_JOIN_TOKEN_USED',
        'ACCESS_JOIN_TOKEN_EXPIRED',
        'ACCESS_HOST_NAME_TAKEN',
        'CA_KEY_REFUSED',
        'CA_MALFORMED',
      ],
      handler: async ({ body }) => access.hosts.register(body),
    }),
    defineRoute<z.output<typeof renewBody>, z.output<typeof hostNameParams>>({
      method: 'post',
      path: '/hosts/{name}/renew',
      operationId: 'renewHost',
      summary:
        'A registered host renews its registration and certificate with its renewal token (rotated on each renewal).',
      tags: ['hosts'],
      auth: 'none',
      csrfExempt: true,
      params: hostNameParams,
      body: renewBody,
      success: {
        status: 200,
        description: 'A fresh certificate and renewal token.',
        schema: registrationView,
      },
      errors: ['ACCESS_HOST_NOT_FOUND', 'ACCESS_RENEW_TOKEN_INVALID'],
      handler: async ({ params, body }) => access.hosts.renew(params.name, body),
    }),
    defineRoute({
      method: 'get',
      path: '/hosts',
      operationId: 'listRegisteredHosts',
      summary: 'Registered hosts and tainted (drifted) hosts (manage_hosts or view_audit).',
      tags: ['hosts'],
      auth: 'subject',
      success: {
        status: 200,
        description: 'Registered hosts with their expiry; hosts touched by a human session.',
        schema: z.object({
          registered: z.array(z.record(z.string(), z.unknown())),
          tainted: z.array(z.record(z.string(), z.unknown())),
        }),
      },
      errors: ['ACCESS_FORBIDDEN'],
      handler: async ({ subject }) => {
        const s = policySubject(subject);
        const p = deps.policy.current().policy;
        const now = deps.clock.now();
        if (!hasPermission(p, s, 'manage_hosts', now) && !hasPermission(p, s, 'view_audit', now))
          throw new BreakglassError(
            'ACCESS_FORBIDDEN',
            'listing hosts needs the manage_hosts or view_audit permission',
          );
        const iso = (ms: number) => new Date(ms).toISOString();
        return {
          registered: (await access.hosts.list()).map((h) => ({
            name: h.host.name,
            address: h.host.address,
            port: h.host.port,
            labels: h.host.labels,
            key_fingerprint: h.keyFingerprint,
            registered_at: iso(h.registeredAt),
            renewed_at: iso(h.renewedAt),
            expires_at: iso(h.expiresAt),
          })),
          tainted: (await access.drift.taints()).map((t) => ({
            host: t.host,
            first_at: iso(t.firstAt),
            last_at: iso(t.lastAt),
            sessions: t.sessions,
            last_session: t.lastSession,
            ...(t.grant ? { grant: t.grant } : {}),
          })),
        };
      },
    }),
  ];
}
