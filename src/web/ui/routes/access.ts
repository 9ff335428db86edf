import { Router, type NextFunction, type Request, type Response } from 'express';
import {
  HOST_NAME_RE,
  ID_RE,
  samePerson,
  TICKET_RE,
  unsafeTextProblem,
  type RequestView,
} from '../../../access';
import { parseDuration } from '../../../config';
import { BreakglassError, isBreakglassError } from '../../../errors';
import { canReview, SAFE_LOGIN_RE } from '../../../policy';
import type { UiContext } from '../../app';
import type { UiDeps } from '../deps';
import { field, queryParam } from '../forms';
import { flash, guard, render, viewerOf } from '../frame';
import { html } from '../html';
import { candidateLogins, hostOffer, searchHosts } from '../offers';
import { dashboardView } from '../pages/dashboard';
import { certFileName, grantView, type GatewayInfo } from '../pages/grant';
import { requestDetailView } from '../pages/request-detail';
import {
  hostSearchView,
  requestFormView,
  type FieldErrors,
  type RequestFormValues,
} from '../pages/request-form';

const DURATION_RE = /^\d{1,9}[smhd]$/;

function requestId(req: Request): string {
  const id = String(req.params.id ?? '');
  if (!ID_RE.test(id))
    throw new BreakglassError('ACCESS_NOT_FOUND', `no request ${id.slice(0, 40)} that you may see`);
  return id;
}

/** Admin and approver pages: dashboard, request form, request detail, grant. */
export function accessPages(ctx: UiContext, deps: UiDeps): Router {
  const router = Router();
  const { access, policy, clock } = deps;
  const maxText = deps.config.access.max_reason_length;
  const any = guard(ctx, deps);

  const gatewayInfo = (): GatewayInfo => {
    const g = deps.gateway?.() ?? null;
    const p = deps.config.proxy;
    return g
      ? { host: p.public_host ?? g.address.host, port: g.address.port, knownHostsLine: g.knownHostsLine }
      : { host: p.public_host ?? p.listen, port: p.port, knownHostsLine: null };
  };

  router.get('/dashboard', any, async (req: Request, res: Response, next: NextFunction) => {
    try {
      const v = viewerOf(res);
      const mine = await access.listRequests(v.person, { scope: 'mine', status: 'all', limit: 200 });
      const review = v.abilities.review;
      const toReview = review
        ? await access.listRequests(v.person, { scope: 'review', status: 'open', limit: 100 })
        : null;
      const postReview = review
        ? await access.listRequests(v.person, { scope: 'post-review', status: 'open', limit: 100 })
        : null;
      const gateway = v.abilities.watch ? (deps.gateway?.() ?? null) : null;
      const liveSessions = gateway ? (await gateway.sessions.list()).length : null;
      render(req, res, {
        title: 'Dashboard',
        current: 'dashboard',
        wide: true,
        body: dashboardView({
          name: v.subject.name ?? v.subject.email ?? v.subject.sub,
          abilities: v.abilities,
          mine,
          toReview,
          postReview,
          liveSessions,
          now: clock.now(),
        }),
      });
    } catch (err) {
      next(err);
    }
  });

  const showForm = (
    req: Request,
    res: Response,
    hostName: string,
    values: RequestFormValues,
    errors: FieldErrors,
    status = 200,
  ): void => {
    const v = viewerOf(res);
    const host = policy.inventory().get(hostName);
    if (!host) {
      flash(req, {
        kind: 'warn',
        title: `There is no host named “${hostName}”.`,
        text: 'Search for it below.',
      });
      res.redirect(303, `/requests/new?q=${encodeURIComponent(hostName)}`);
      return;
    }
    const offer = hostOffer(policy, v.person, host, candidateLogins(policy, v.person, clock.now()));
    if (offer.logins.length === 0) {
      render(req, res, {
        title: 'Request access',
        current: 'request',
        status: status === 200 ? 403 : status,
        body: html`<p><a href="/requests/new">← Choose another host</a></p>
          <h1>No access to ${host.name}</h1>
          <div class="alert alert-error" role="alert">
            <strong>The policy gives you no login on ${host.name}.</strong>
            <p>${offer.refusal ?? 'No role grants you access to this host.'}</p>
          </div>`,
      });
      return;
    }
    render(req, res, {
      title: `Request access to ${host.name}`,
      current: 'request',
      status,
      body: requestFormView({ host, offer, values, errors, maxReason: maxText, csrf: v.csrf }),
    });
  };

  router.get(
    '/requests/new',
    guard(ctx, deps, 'request'),
    (req: Request, res: Response, next: NextFunction) => {
      try {
        const v = viewerOf(res);
        const hostName = queryParam(req, 'host', 253).toLowerCase();
        if (hostName) return showForm(req, res, hostName, {}, {});
        const query = queryParam(req, 'q');
        const inventory = policy.inventory();
        const { hosts, more } = searchHosts(inventory.hosts(), query, 50);
        const logins = candidateLogins(policy, v.person, clock.now());
        const offers = hosts.map((h) => hostOffer(policy, v.person, h, logins));
        // Hosts where the person has a login first.
        offers.sort((a, b) => Number(b.logins.length > 0) - Number(a.logins.length > 0));
        render(req, res, {
          title: 'Request access',
          current: 'request',
          body: hostSearchView({ query, offers, more, total: inventory.size }),
        });
      } catch (err) {
        next(err);
      }
    },
  );

  router.post(
    '/requests',
    guard(ctx, deps, 'request'),
    async (req: Request, res: Response, next: NextFunction) => {
      const values: RequestFormValues = {
        host: field(req, 'host').toLowerCase(),
        login: field(req, 'login'),
        ttl: field(req, 'ttl'),
        reason: field(req, 'reason'),
        ticket: field(req, 'ticket'),
        emergency: field(req, 'emergency') === 'yes',
      };
      try {
        const v = viewerOf(res);
        const host = values.host!;
        if (!HOST_NAME_RE.test(host)) {
          flash(req, { kind: 'error', title: 'Choose a host first.' });
          res.redirect(303, '/requests/new');
          return;
        }
        const errors: FieldErrors = {};
        if (!SAFE_LOGIN_RE.test(values.login!)) errors.login = 'Choose one of the listed logins.';
        let ttlMs: number | undefined;
        if (values.ttl) {
          ttlMs = DURATION_RE.test(values.ttl) ? (parseDuration(values.ttl) ?? undefined) : undefined;
          if (!ttlMs) errors.ttl = 'Choose one of the listed durations.';
        }
        const reasonProblem = unsafeTextProblem(values.reason!);
        if (reasonProblem) errors.reason = `The reason ${reasonProblem}.`;
        else if (values.reason!.length > maxText) errors.reason = `At most ${maxText} characters.`;
        if (values.ticket && !TICKET_RE.test(values.ticket))
          errors.ticket = 'Letters, digits and . _ : # / - only (e.g. INC-1234).';
        if (Object.keys(errors).length) return showForm(req, res, host, values, errors, 422);

        const created = await access.createRequest(v.person, {
          host,
          login: values.login!,
          ...(ttlMs !== undefined ? { ttlMs } : {}),
          reason: values.reason!,
          ...(values.ticket ? { ticket: values.ticket } : {}),
          emergency: values.emergency === true,
        });
        flash(req, feedbackFor(created));
        res.redirect(303, `/requests/${created.id}`);
      } catch (err) {
        if (isBreakglassError(err) && err.expose && err.status < 500) {
          flash(req, { kind: 'error', title: 'The request was not filed.', text: err.message });
          return showForm(req, res, values.host!, values, {}, err.status);
        }
        next(err);
      }
    },
  );

  router.get('/requests/:id', any, async (req: Request, res: Response, next: NextFunction) => {
    try {
      const v = viewerOf(res);
      const id = requestId(req);
      const r = await access.getRequest(v.person, id);
      const record = await access.repository.get(id);
      const now = clock.now();
      const isRequester = samePerson(v.person, r.requester);
      const compiled = policy.current().policy;
      const eligible =
        record !== null &&
        canReview(
          compiled,
          v.person,
          {
            effect: record.emergency ? 'emergency_allowed' : 'needs_approval',
            constraints: record.decision.constraints,
          },
          { requester: record.requester, now },
        );
      const reviewed = record?.reviews.some((x) => samePerson(x.reviewer, v.person)) ?? false;
      const canReviewNow = r.status === 'pending' && !r.emergency && eligible && !reviewed && !isRequester;
      let reviewBlocked: string | null = null;
      if (r.status === 'pending' && !canReviewNow && v.abilities.review) {
        reviewBlocked = isRequester
          ? 'You filed this request, so someone else must review it.'
          : reviewed
            ? 'You have reviewed this request; it waits for the other reviewers.'
            : 'The policy does not name you as a reviewer of this request.';
      }
      const canSignOff =
        r.emergency && r.post_review?.status === 'open' && !isRequester && (eligible || v.abilities.review);
      const canRevoke = isRequester || v.abilities.terminate || reviewed || eligible;
      const history =
        !isRequester && (v.abilities.review || v.abilities.audit)
          ? (await access.listRequests(v.person, { scope: 'all', status: 'all', limit: 1000 }))
              .filter((x) => x.id !== r.id && samePerson(x.requester, r.requester))
              .slice(0, 10)
          : null;
      render(req, res, {
        title: `Request ${r.login} on ${r.hosts.join(', ')}`,
        current: isRequester ? 'dashboard' : 'reviews',
        body: requestDetailView(
          r,
          {
            isRequester,
            canReview: canReviewNow,
            reviewBlocked,
            canSignOff,
            canRevoke,
            csrf: v.csrf,
            maxComment: maxText,
            now,
          },
          history,
        ),
      });
    } catch (err) {
      next(err);
    }
  });

  /** Runs a change and comes back to the request with what happened (or why not). */
  const act = (
    path: string,
    run: (
      req: Request,
      res: Response,
      id: string,
    ) => Promise<{ title: string; text?: string; kind?: 'ok' | 'warn' }>,
    back = (id: string) => `/requests/${id}`,
  ) =>
    router.post(path, any, async (req: Request, res: Response, next: NextFunction) => {
      let id: string;
      try {
        id = requestId(req);
      } catch (err) {
        return next(err);
      }
      try {
        const done = await run(req, res, id);
        flash(req, { kind: done.kind ?? 'ok', title: done.title, ...(done.text ? { text: done.text } : {}) });
      } catch (err) {
        if (!(isBreakglassError(err) && err.expose && err.status < 500)) return next(err);
        flash(req, { kind: 'error', title: 'Nothing was changed.', text: err.message });
      }
      res.redirect(303, back(id));
    });

  const comment = (req: Request, name = 'comment'): string => {
    const text = field(req, name);
    const problem = unsafeTextProblem(text);
    if (problem) throw new BreakglassError('BAD_REQUEST', `the ${name} ${problem}`);
    if (text.length > maxText)
      throw new BreakglassError('BAD_REQUEST', `the ${name} is longer than ${maxText} characters`);
    return text;
  };

  act('/requests/:id/cancel', async (_req, res, id) => {
    await access.cancel(viewerOf(res).person, id);
    return {
      title: 'Request cancelled.',
      text: 'It stays in the history; file a new one if you need access later.',
    };
  });

  act('/requests/:id/review', async (req, res, id) => {
    const verdict = field(req, 'verdict');
    if (verdict !== 'approve' && verdict !== 'deny')
      throw new BreakglassError('BAD_REQUEST', 'choose Approve or Deny');
    const r = await access.review(viewerOf(res).person, id, verdict, comment(req));
    if (verdict === 'deny')
      return {
        title: 'You denied the request.',
        text: 'The requester sees your comment. The request is closed.',
      };
    return r.status === 'active'
      ? {
          title: 'You approved the request. Access is now granted.',
          text: `${r.requester.email || r.requester.sub} can issue a certificate now.`,
        }
      : {
          title: 'Your approval is recorded.',
          text: `${r.approvals} of ${r.decision.approvals_required} approvals so far; it waits for the others.`,
        };
  });

  act('/requests/:id/post-review', async (req, res, id) => {
    const outcome = field(req, 'outcome');
    if (outcome !== 'acceptable' && outcome !== 'unacceptable')
      throw new BreakglassError('BAD_REQUEST', 'choose Acceptable or Unacceptable');
    await access.signOff(viewerOf(res).person, id, outcome, comment(req));
    return { title: `Post-hoc review recorded: ${outcome}.`, kind: outcome === 'acceptable' ? 'ok' : 'warn' };
  });

  act('/grants/:id/revoke', async (req, res, id) => {
    const reason = comment(req, 'reason');
    if (!reason) throw new BreakglassError('BAD_REQUEST', 'say why the grant is revoked');
    const { krl } = await access.revoke(viewerOf(res).person, id, reason);
    return {
      title: 'Grant revoked.',
      text: `Its live sessions are being ended and its certificates are in revocation list version ${krl.version}.`,
    };
  });

  const grantPage = async (
    req: Request,
    res: Response,
    extra: { publicKey?: string; keyError?: string } = {},
  ) => {
    const v = viewerOf(res);
    const id = requestId(req);
    const record = await access.repository.get(id);
    if (record && !samePerson(v.person, record.requester)) {
      // Says nothing about the grant: the viewer may not even be allowed to see the request.
      render(req, res, {
        title: 'Not allowed',
        status: 403,
        body: html`<div class="error-page">
          <h1>This grant is not yours</h1>
          <p>Only the person who asked for a grant can get certificates for it.</p>
          <p><a href="/dashboard">Back to your dashboard</a></p>
        </div>`,
      });
      return;
    }
    const r = await access.getRequest(v.person, id);
    const issued = req.session.uiCerts?.[id] ?? null;
    render(req, res, {
      title: 'Your grant',
      current: 'dashboard',
      status: extra.keyError ? 422 : 200,
      body: grantView({
        request: r,
        issued,
        gateway: gatewayInfo(),
        csrf: v.csrf,
        now: clock.now(),
        ...extra,
      }),
    });
  };

  router.get('/grants/:id', any, async (req: Request, res: Response, next: NextFunction) => {
    try {
      await grantPage(req, res);
    } catch (err) {
      next(err);
    }
  });

  router.post('/grants/:id/certificate', any, async (req: Request, res: Response, next: NextFunction) => {
    const publicKey = field(req, 'public_key');
    try {
      const v = viewerOf(res);
      const id = requestId(req);
      if (publicKey.length < 16 || publicKey.length > 16_384 || !/^[\x20-\x7e]+$/.test(publicKey))
        return await grantPage(req, res, {
          publicKey,
          keyError:
            'Paste one OpenSSH public key line, e.g. “ssh-ed25519 AAAAC3Nza… you@laptop” (the .pub file).',
        });
      const cert = await access.issueCertificate(v.person, id, publicKey);
      const certs = (req.session.uiCerts ??= {});
      certs[id] = { certificate: cert.certificate, serial: cert.serial, at: clock.now() };
      for (const key of Object.keys(certs).slice(0, -5)) delete certs[key];
      flash(req, {
        kind: 'ok',
        title: `Certificate issued (serial ${cert.serial}).`,
        text: 'Download it, then connect with the command below.',
      });
      res.redirect(303, `/grants/${id}`);
    } catch (err) {
      if (isBreakglassError(err) && (err.code === 'CA_MALFORMED' || err.code === 'CA_KEY_REFUSED')) {
        try {
          return await grantPage(req, res, { publicKey, keyError: err.message });
        } catch (inner) {
          return next(inner);
        }
      }
      if (isBreakglassError(err) && err.expose && err.status < 500) {
        flash(req, { kind: 'error', title: 'No certificate was issued.', text: err.message });
        res.redirect(303, `/grants/${String(req.params.id)}`);
        return;
      }
      next(err);
    }
  });

  router.get('/grants/:id/certificate', any, (req: Request, res: Response, next: NextFunction) => {
    try {
      const id = requestId(req);
      const issued = req.session.uiCerts?.[id];
      if (!issued) {
        flash(req, {
          kind: 'warn',
          title: 'Issue a certificate first.',
          text: 'Paste your public key below.',
        });
        res.redirect(303, `/grants/${id}`);
        return;
      }
      res.setHeader('Content-Disposition', `attachment; filename="${certFileName(id)}"`);
      res.type('text/plain').send(`${issued.certificate.trim()}\n`);
    } catch (err) {
      next(err);
    }
  });

  return router;
}

/** What the requester is told right after filing. */
export function feedbackFor(r: RequestView): { kind: 'ok' | 'warn' | 'error'; title: string; text: string } {
  switch (r.status) {
    case 'active':
      return r.emergency
        ? {
            kind: 'warn',
            title: 'Emergency access is active.',
            text: 'The people the policy names were paged, and this access will be reviewed afterwards. Issue your certificate now.',
          }
        : {
            kind: 'ok',
            title: 'Access granted.',
            text: 'No approval was needed. Issue your certificate now.',
          };
    case 'pending':
      return {
        kind: 'ok',
        title: 'Request filed.',
        text: 'The reviewers named below see it in their queue now.',
      };
    case 'denied':
      return {
        kind: 'error',
        title: 'The policy denied this request.',
        text: 'The reasons are listed below; nothing was granted.',
      };
    default:
      return { kind: 'warn', title: `Request ${r.status}.`, text: r.summary };
  }
}
