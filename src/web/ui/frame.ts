import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { isBreakglassError } from '../../errors';
import type { Subject as IdentitySubject } from '../../identity';
import type { Subject } from '../../policy';
import { layout, type NavItem } from '../pages';
import { abilitiesOf, PAGE_RULES, policySubject, type Abilities, type PageName } from './abilities';
import { html, type SafeHtml } from './html';
import type { UiDeps } from './deps';
import type { UiContext } from '../app';

declare module 'express-session' {
  interface SessionData {
    /** Messages shown once on the next page (after a form post and redirect). */
    uiFlash?: Flash[];
    /** The certificates last issued in this session, by grant (public material; for the download link). */
    uiCerts?: Record<string, { certificate: string; serial: string; at: number }>;
  }
}

export interface Flash {
  readonly kind: 'ok' | 'warn' | 'error' | 'info';
  readonly title: string;
  readonly text?: string;
}

/** Who is asking, with what the policy lets them do (set on every UI route). */
export interface Viewer {
  readonly subject: IdentitySubject;
  readonly person: Subject;
  readonly abilities: Abilities;
  readonly csrf: string;
}

export type NavKey = 'dashboard' | PageName;

const NAV: Array<{ key: NavKey; href: string; label: string; show: (a: Abilities) => boolean }> = [
  { key: 'dashboard', href: '/dashboard', label: 'Dashboard', show: () => true },
  { key: 'request', href: '/requests/new', label: 'Request access', show: PAGE_RULES.request.allowed },
  { key: 'reviews', href: '/reviews', label: 'Reviews', show: PAGE_RULES.reviews.allowed },
  { key: 'sessions', href: '/sessions', label: 'Sessions', show: PAGE_RULES.sessions.allowed },
  { key: 'audit', href: '/audit', label: 'Audit log', show: PAGE_RULES.audit.allowed },
  { key: 'hosts', href: '/hosts', label: 'Hosts', show: PAGE_RULES.hosts.allowed },
];

export function navFor(abilities: Abilities, current?: NavKey): NavItem[] {
  return NAV.filter((n) => n.show(abilities)).map((n) => ({
    href: n.href,
    label: n.label,
    current: n.key === current,
  }));
}

export function viewerOf(res: Response): Viewer {
  const v = res.locals.viewer as Viewer | undefined;
  if (!v) throw new TypeError('UI route without the viewer middleware');
  return v;
}

/** Queues a message for the next page this session sees. */
export function flash(req: Request, message: Flash): void {
  (req.session.uiFlash ??= []).push(message);
  if (req.session.uiFlash.length > 5) req.session.uiFlash.splice(0, req.session.uiFlash.length - 5);
}

export function alertBox(f: Flash): SafeHtml {
  const role = f.kind === 'error' || f.kind === 'warn' ? 'alert' : 'status';
  return html`<div class="alert alert-${f.kind}" role="${role}">
    <strong>${f.title}</strong>${f.text ? html`<p>${f.text}</p>` : ''}
  </div>`;
}

export interface RenderOptions {
  title: string;
  body: SafeHtml;
  current?: NavKey;
  status?: number;
  wide?: boolean;
  styles?: readonly string[];
  scripts?: readonly string[];
}

/** Sends a page in the frame, with the navigation this person may use and any queued messages. */
export function render(req: Request, res: Response, opts: RenderOptions): void {
  const v = res.locals.viewer as Viewer | undefined;
  const messages = req.session?.uiFlash ?? [];
  if (req.session?.uiFlash) delete req.session.uiFlash;
  const body = html`${messages.map(alertBox)}${opts.body}`;
  res
    .status(opts.status ?? 200)
    .type('html')
    .send(
      layout({
        title: opts.title,
        body: body.value,
        csrf: v?.csrf,
        subject: v?.subject ?? null,
        ...(v ? { nav: navFor(v.abilities, opts.current) } : {}),
        ...(opts.wide ? { wide: true } : {}),
        ...(opts.styles ? { styles: opts.styles } : {}),
        ...(opts.scripts ? { scripts: opts.scripts } : {}),
      }),
    );
}

/** The 403 page: what the page is for, who may see it, and what this person's roles are. */
export function renderForbidden(req: Request, res: Response, page: PageName): void {
  const v = viewerOf(res);
  const rule = PAGE_RULES[page];
  render(req, res, {
    title: 'Not allowed',
    status: 403,
    body: html`<div class="error-page">
      <h1>You cannot open this page</h1>
      <p><strong>${rule.label}</strong> is for ${rule.who}. The policy does not give you that.</p>
      <p class="muted">
        Your roles: ${v.abilities.roles.length ? v.abilities.roles.join(', ') : 'none'}. If you need this, ask
        an administrator to change the roles in the policy.
      </p>
      <p><a href="/dashboard">Back to your dashboard</a></p>
    </div>`,
  });
}

/** Middleware for UI routes: login (redirect), the viewer, and optionally a page rule (403 otherwise). */
export function guard(
  ctx: UiContext,
  deps: Pick<UiDeps, 'policy' | 'clock'>,
  page?: PageName,
): RequestHandler[] {
  const auth = ctx.requireSubject();
  const setViewer = (req: Request, res: Response, next: NextFunction): void => {
    try {
      const subject = req.subject!;
      const person = policySubject(subject);
      const abilities = abilitiesOf(deps.policy.current().policy, person, deps.clock.now());
      const viewer: Viewer = { subject, person, abilities, csrf: ctx.csrfToken(req) };
      res.locals.viewer = viewer;
      if (page && !PAGE_RULES[page].allowed(abilities)) {
        renderForbidden(req, res, page);
        return;
      }
      next();
    } catch (err) {
      next(err);
    }
  };
  return [auth, setViewer];
}

const TITLES: Record<number, string> = {
  400: 'That did not work',
  401: 'Please log in again',
  403: 'Not allowed',
  404: 'Not found',
  409: 'Something changed meanwhile',
  413: 'Too large',
  422: 'That did not work',
  429: 'Too many requests',
  503: 'Temporarily unavailable',
};

/**
 * Error pages for the UI routes: coded errors that may be shown say what went wrong and
 * what to do; anything else is logged and shown as a 500 with the request id only.
 */
export function uiErrorHandler() {
  return (err: unknown, req: Request, res: Response, next: NextFunction): void => {
    if (res.headersSent || req.path.startsWith('/api/')) return next(err);
    const coded = isBreakglassError(err) ? err : null;
    if (!coded || coded.status >= 500) {
      req.log?.error('page failed', { err, path: req.path, method: req.method, code: coded?.code });
    }
    const status = coded?.status ?? 500;
    const shown = coded && coded.expose && status < 500;
    const message = shown
      ? coded.message
      : status === 503 && coded?.expose
        ? coded.message
        : 'Something went wrong on our side. Nothing you did caused it; try again in a moment. If it keeps happening, give the operators the request id below.';
    const next401 = status === 401 ? html`<p><a class="button" href="/auth/login">Log in</a></p>` : '';
    render(req, res, {
      title: TITLES[status] ?? 'Error',
      status,
      body: html`<div class="error-page">
        <h1>${TITLES[status] ?? 'Something went wrong'}</h1>
        <p>${message}</p>
        ${next401}
        <p class="muted">
          Error ${status}${coded ? html` · code <code>${coded.code}</code>` : ''} · request
          <code>${req.id ?? '-'}</code>
        </p>
        <p><a href="/dashboard">Back to your dashboard</a></p>
      </div>`,
    });
  };
}
