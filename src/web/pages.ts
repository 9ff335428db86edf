import type { Subject } from '../identity';

export const escapeHtml = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** One link of the main navigation. */
export interface NavItem {
  readonly href: string;
  readonly label: string;
  readonly current?: boolean;
}

/** Navigation for pages that do not know the person's permissions (identity pages). */
const DEFAULT_NAV: readonly NavItem[] = [{ href: '/dashboard', label: 'Dashboard' }];

/**
 * The page frame: a skip link, the header with the main navigation (links the person
 * may use) and the logout button, then the page. No inline script or style (the CSP
 * forbids them); the CSRF token is in a meta tag for scripts served from /static, and
 * in every form.
 */
export function layout(opts: {
  title: string;
  body: string;
  csrf?: string;
  subject?: Subject | null;
  nav?: readonly NavItem[];
  /** Pages that need more room (tables, the player). */
  wide?: boolean;
  /** Extra stylesheets and scripts from /static (e.g. the player). */
  styles?: readonly string[];
  scripts?: readonly string[];
}): string {
  const who = opts.subject
    ? `<span class="who" title="${escapeHtml(opts.subject.sub)}">${escapeHtml(opts.subject.email ?? opts.subject.sub)}</span>` +
      `<form class="inline" method="post" action="/auth/logout"><input type="hidden" name="_csrf" value="${escapeHtml(opts.csrf ?? '')}"><button type="submit" class="button-quiet">Log out</button></form>`
    : '<a class="button" href="/auth/login">Log in</a>';
  const items = opts.subject ? (opts.nav ?? DEFAULT_NAV) : [];
  const nav = items.length
    ? `<nav class="main-nav" aria-label="Main"><ul>${items
        .map(
          (i) =>
            `<li><a href="${escapeHtml(i.href)}"${i.current ? ' aria-current="page"' : ''}>${escapeHtml(i.label)}</a></li>`,
        )
        .join('')}</ul></nav>`
    : '';
  const styles =
    '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' +
    ['/static/app.css', ...(opts.styles ?? [])]
      .map((s) => `<link rel="stylesheet" href="${escapeHtml(s)}">`)
      .join('');
  // Page scripts (e.g. the player) first: ui.js uses them once it runs.
  const scripts = [...(opts.scripts ?? []), '/static/ui.js']
    .map((s) => `<script src="${escapeHtml(s)}" defer></script>`)
    .join('');
  return (
    '<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">' +
    `<title>${escapeHtml(opts.title)} · Breakglass</title>` +
    (opts.csrf ? `<meta name="csrf-token" content="${escapeHtml(opts.csrf)}">` : '') +
    `${styles}${scripts}</head><body>` +
    '<a class="skip-link" href="#main">Skip to content</a>' +
    `<header class="site-header"><a class="brand" href="/">Breakglass</a>${nav}<div class="account">${who}</div></header>` +
    `<main id="main" tabindex="-1"${opts.wide ? ' class="wide"' : ''}>${opts.body}</main></body></html>`
  );
}

export function homePage(opts: { subject: Subject | null; csrf?: string; loginAvailable: boolean }): string {
  if (!opts.subject) {
    const body = opts.loginAvailable
      ? '<h1>Just-in-time SSH access</h1><p class="lead">Nobody keeps standing access to production. Ask for it when you need it, get a short-lived certificate, and every session is recorded.</p><p>Log in with your company account to request access, review requests and watch sessions.</p><p><a class="button" href="/auth/login">Log in</a></p>'
      : '<h1>Just-in-time SSH access</h1><p>No identity provider is configured yet (identity.oidc), so nobody can log in. See docs/identity.md.</p>';
    return layout({ title: 'Welcome', body, subject: null });
  }
  const s = opts.subject;
  const list = (v: readonly string[]) =>
    v.length ? v.map(escapeHtml).join(', ') : '<span class="muted">none</span>';
  const body =
    `<h1>Hello, ${escapeHtml(s.name ?? s.email ?? s.sub)}</h1>` +
    '<p class="lead">Your requests, grants and everything your role lets you do start on the dashboard.</p>' +
    '<p><a class="button" href="/dashboard">Open your dashboard</a></p>' +
    '<h2>Your login</h2><dl class="subject">' +
    `<dt>Subject</dt><dd><code>${escapeHtml(s.sub)}</code></dd>` +
    `<dt>E-mail</dt><dd>${s.email ? escapeHtml(s.email) : '<span class="muted">none</span>'}</dd>` +
    `<dt>Groups</dt><dd>${list(s.groups)}</dd>` +
    `<dt>Authentication</dt><dd>${list(s.amr)}</dd>` +
    '</dl>' +
    '<p class="muted">Command line: <code>breakglass login --server URL</code>.</p>';
  return layout({ title: 'Home', body, csrf: opts.csrf, subject: s });
}

export function logoutPage(csrf: string): string {
  return layout({
    title: 'Log out',
    csrf,
    body:
      '<h1>Log out?</h1><p>This ends your Breakglass session and every API token issued for it.</p>' +
      `<form method="post" action="/auth/logout"><input type="hidden" name="_csrf" value="${escapeHtml(csrf)}"><button type="submit">Log out</button></form>`,
  });
}
