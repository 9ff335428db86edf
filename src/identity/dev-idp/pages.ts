import { DEMO_USERS } from './users';

/** Plain HTML pages of the development IdP: no scripts, no styles, easy to drive with HTTP. */

export const escapeHtml = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

const BANNER =
  '<p><strong>Breakglass development IdP: for development only, never for production.</strong></p>';

export function page(title: string, body: string): string {
  return (
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)} · dev IdP</title></head>` +
    `<body><main>${BANNER}<h1>${escapeHtml(title)}</h1>${body}</main></body></html>`
  );
}

/** The sign-in form: pick a demo user, type the password (the user name). */
export function loginPage(opts: {
  action: string;
  clientId: string;
  error?: string;
  selected?: string;
}): string {
  const options = DEMO_USERS.map(
    (u) =>
      `<option value="${escapeHtml(u.email)}"${u.email === opts.selected ? ' selected' : ''}>` +
      `${escapeHtml(u.name)} (${escapeHtml(u.email)}; ${escapeHtml(u.role)}; groups: ${escapeHtml(u.groups.join(', '))}${u.mfa ? '; MFA' : ''})</option>`,
  ).join('');
  return page(
    'Sign in',
    (opts.error ? `<p role="alert">${escapeHtml(opts.error)}</p>` : '') +
      `<p>Signing in to <code>${escapeHtml(opts.clientId)}</code>. The password of each demo user is the part of the address before the @.</p>` +
      `<form id="login" method="post" action="${escapeHtml(opts.action)}">` +
      `<label>User <select name="login">${options}</select></label> ` +
      `<label>Password <input type="password" name="password" autocomplete="current-password"></label> ` +
      `<button type="submit">Sign in</button></form>`,
  );
}

/** The device flow's code entry page; `form` is oidc-provider's form (with its xsrf field). */
export function deviceInputPage(form: string, error?: string): string {
  const formWithButton = form.replace('</form>', '<button type="submit">Continue</button></form>');
  return page(
    'Connect a device',
    (error
      ? `<p role="alert">${escapeHtml(error)}</p>`
      : '<p>Enter the code shown by the command line.</p>') + formWithButton,
  );
}

export function deviceConfirmPage(form: string, clientName: string, userCode: string): string {
  const formWithButton = form.replace('</form>', '<button type="submit">Allow</button></form>');
  return page(
    'Confirm the device',
    `<p><code>${escapeHtml(clientName)}</code> asks to sign in. Allow only if the command line shows the code <code id="user-code">${escapeHtml(userCode)}</code>.</p>` +
      formWithButton,
  );
}

export function deviceSuccessPage(): string {
  return page('Device connected', '<p>You can close this page and return to the command line.</p>');
}

export function logoutPage(form: string): string {
  const formWithButton = form.replace(
    '</form>',
    '<button type="submit" name="logout" value="yes">Sign out</button></form>',
  );
  return page('Sign out', `<p>Sign out of the development IdP?</p>${formWithButton}`);
}

export function loggedOutPage(): string {
  return page('Signed out', '<p>You are signed out of the development IdP.</p>');
}

export function errorPage(out: Record<string, unknown>): string {
  const rows = Object.entries(out)
    .map(([k, v]) => `<dt>${escapeHtml(k)}</dt><dd>${escapeHtml(String(v))}</dd>`)
    .join('');
  return page('Error', `<dl>${rows}</dl>`);
}
