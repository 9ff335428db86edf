import type { Subject } from '../identity';

export const escapeHtml = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/**
 * The page frame: no inline script or style (the CSP forbids them); the CSRF token is
 * in a meta tag for scripts served from /static, and in every form.
 */
export function layout(opts: {
  title: string;
  body: string;
  csrf?: string;
  subject?: Subject | null;
}): string {
  const who = opts.subject
    ? `<span>${escapeHtml(opts.subject.email ?? opts.subject.sub)}</span> ` +
      `<form class="inline" method="post" action="/auth/logout"><input type="hidden" name="_csrf" value="${escapeHtml(opts.csrf ?? '')}"><button type="submit">Log out</button></form>`
    : '<a class="button" href="/auth/login">Log in</a>';
  return (
    '<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">' +
    `<title>${escapeHtml(opts.title)} · Breakglass</title>` +
    (opts.csrf ? `<meta name="csrf-token" content="${escapeHtml(opts.csrf)}">` : '') +
    '<link rel="stylesheet" href="/static/app.css"></head><body>' +
    `<header><a class="brand" href="/">Breakglass</a><nav>${who}</nav></header>` +
    `<main>${opts.body}</main></body></html>`
  );
}

export function homePage(opts: { subject: Subject | null; csrf?: string; loginAvailable: boolean }): string {
  if (!opts.subject) {
    const body = opts.loginAvailable
      ? '<h1>Just-in-time SSH access</h1><p>Log in with your company account to request access, review requests and watch sessions.</p><p><a class="button" href="/auth/login">Log in</a></p>'
      : '<h1>Just-in-time SSH access</h1><p>No identity provider is configured yet (identity.oidc), so nobody can log in. See docs/identity.md.</p>';
    return layout({ title: 'Welcome', body, subject: null });
  }
  const s = opts.subject;
  const list = (v: readonly string[]) =>
    v.length ? v.map(escapeHtml).join(', ') : '<span class="muted">none</span>';
  const body =
    `<h1>Hello, ${escapeHtml(s.name ?? s.email ?? s.sub)}</h1>` +
    '<dl class="subject">' +
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
