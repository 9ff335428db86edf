import { z } from 'zod';
import { BreakglassError } from '../../errors';
import { destroySession, type Identity, type Subject } from '../../identity';
import { defineRoute, type ApiRoute } from './route';

const subjectSchema = z.object({
  sub: z.string(),
  email: z.string().nullable(),
  name: z.string().nullable(),
  groups: z.array(z.string()),
  amr: z.array(z.string()),
});

const tokenSchema = z.object({
  access_token: z.string().describe('Gateway API token (JWT, EdDSA, aud breakglass-api).'),
  token_type: z.literal('Bearer'),
  expires_in: z.number().int().describe('Seconds until it expires.'),
  expires_at: z.string().describe('ISO 8601 expiry.'),
  subject: subjectSchema,
});

const publicSubject = (s: Subject) => ({
  sub: s.sub,
  email: s.email,
  name: s.name,
  groups: [...s.groups],
  amr: [...s.amr],
});

function oidcOf(identity: Identity) {
  if (!identity.oidc)
    throw new BreakglassError(
      'IDENTITY_NOT_CONFIGURED',
      'no OpenID Connect provider is configured (identity.oidc.issuer), so nobody can log in',
    );
  return identity.oidc;
}

/** The identity rows of the API route table. `openapi` returns the document of the whole table. */
export function identityRoutes(deps: {
  identity: Identity;
  openapi: () => Record<string, unknown>;
  csrfTokenOf: (req: import('express').Request) => string;
}): ApiRoute[] {
  const { identity } = deps;
  return [
    defineRoute({
      method: 'get',
      path: '/openapi.json',
      operationId: 'getOpenApi',
      summary: 'This document: every API route with its input and output schemas.',
      tags: ['meta'],
      auth: 'none',
      success: {
        status: 200,
        description: 'The OpenAPI 3.1 document.',
        schema: z.record(z.string(), z.unknown()),
      },
      handler: async () => deps.openapi(),
    }),
    defineRoute({
      method: 'get',
      path: '/me',
      operationId: 'getMe',
      summary: 'Who the caller is (the Subject policy sees) and how they authenticated.',
      tags: ['identity'],
      auth: 'subject',
      success: {
        status: 200,
        description: 'The caller.',
        schema: subjectSchema.extend({
          auth: z.enum(['session', 'gateway-token', 'idp-token']),
          csrf_token: z
            .string()
            .optional()
            .describe(
              'For browser sessions: the token to send in X-CSRF-Token with state-changing requests.',
            ),
        }),
      },
      handler: async ({ req, subject, auth }) => ({
        ...publicSubject(subject),
        auth: auth.kind,
        ...(auth.kind === 'session' ? { csrf_token: deps.csrfTokenOf(req) } : {}),
      }),
    }),
    defineRoute<Record<string, never>>({
      method: 'post',
      path: '/auth/device',
      operationId: 'startDeviceLogin',
      summary: 'CLI login, step 1: start a device authorization at the IdP; show the user the code and URL.',
      tags: ['identity'],
      auth: 'none',
      limit: 'login',
      csrfExempt: true,
      body: z.strictObject({}),
      success: {
        status: 200,
        description:
          'A pending device login; poll POST /auth/token with device_code every `interval` seconds.',
        schema: z.object({
          device_code: z.string(),
          user_code: z.string(),
          verification_uri: z.string(),
          verification_uri_complete: z.string().optional(),
          expires_in: z.number().int(),
          interval: z.number().int(),
        }),
      },
      errors: [
        'IDENTITY_NOT_CONFIGURED',
        'IDENTITY_DEVICE_UNSUPPORTED',
        'IDENTITY_IDP_UNAVAILABLE',
        'IDENTITY_IDP_ERROR',
      ],
      handler: async () => oidcOf(identity).device.start(),
    }),
    defineRoute<{ device_code: string }>({
      method: 'post',
      path: '/auth/token',
      operationId: 'pollDeviceLogin',
      summary: 'CLI login, step 2: poll until the user approved; then a gateway API token is issued.',
      tags: ['identity'],
      auth: 'none',
      limit: 'login',
      csrfExempt: true,
      body: z.strictObject({ device_code: z.string().min(1).max(128) }),
      success: { status: 200, description: 'The login is complete.', schema: tokenSchema },
      errors: [
        'IDENTITY_DEVICE_PENDING',
        'IDENTITY_DEVICE_SLOW_DOWN',
        'IDENTITY_DEVICE_EXPIRED',
        'IDENTITY_DEVICE_DENIED',
        'IDENTITY_EMAIL_UNVERIFIED',
      ],
      handler: async ({ req, body }) => {
        const { login, issued } = await identity.completeDeviceLogin(body.device_code, req.ip ?? null);
        return tokenAnswer(issued, login.subject, identity);
      },
    }),
    defineRoute<Record<string, never>>({
      method: 'post',
      path: '/auth/tokens',
      operationId: 'issueToken',
      summary:
        "Issue a fresh gateway API token for the caller's login (from a browser session, or to renew a gateway token before it expires).",
      tags: ['identity'],
      auth: 'subject',
      body: z.strictObject({}),
      success: {
        status: 201,
        description: 'A new token, ending with the login at the latest.',
        schema: tokenSchema,
      },
      handler: async ({ auth }) => {
        const login = auth.sid ? await identity.sessions.get(auth.sid) : null;
        if (!login) {
          throw new BreakglassError(
            'IDENTITY_UNAUTHENTICATED',
            'API tokens are issued for a login (browser session or gateway token), not for IdP-issued tokens',
          );
        }
        return tokenAnswer(await identity.issueToken(login, auth.kind), login.subject, identity);
      },
    }),
    defineRoute<Record<string, never>>({
      method: 'post',
      path: '/auth/logout',
      operationId: 'logout',
      summary:
        "End the caller's login: the browser session and every API token of that login stop working, on every replica.",
      tags: ['identity'],
      auth: 'subject',
      body: z.strictObject({}),
      success: {
        status: 200,
        description: 'The login has ended.',
        schema: z.object({ revoked: z.boolean() }),
      },
      handler: async ({ req, res, auth, subject }) => {
        const revoked = await identity.endLogin(auth.sid, subject, auth.kind);
        if (auth.kind === 'session') {
          await destroySession(req);
          res.clearCookie(identity.cookieName, { path: '/' });
        }
        return { revoked };
      },
    }),
  ];
}

function tokenAnswer(issued: { token: string; expiresAt: number }, subject: Subject, identity: Identity) {
  return {
    access_token: issued.token,
    token_type: 'Bearer' as const,
    expires_in: Math.max(0, Math.round((issued.expiresAt - identity.clock.now()) / 1000)),
    expires_at: new Date(issued.expiresAt).toISOString(),
    subject: publicSubject(subject),
  };
}
