import type { RequestView } from '../../access';
import { countdownEl, timeEl } from './format';
import { html, type SafeHtml } from './html';

const STATUS_TEXT: Record<string, string> = {
  pending: 'pending',
  active: 'active',
  denied: 'denied',
  cancelled: 'cancelled',
  expired: 'expired',
  revoked: 'revoked',
};

export function badge(text: string, kind = text): SafeHtml {
  return html`<span class="badge badge-${kind.replace(/[^a-z0-9-]/gi, '')}">${text}</span>`;
}

export function statusBadge(r: Pick<RequestView, 'status' | 'emergency'>): SafeHtml {
  return html`${badge(STATUS_TEXT[r.status] ?? r.status, r.status)}${r.emergency ? html` ${badge('emergency')}` : ''}`;
}

export function labelsEl(labels: Readonly<Record<string, string>>): SafeHtml {
  const entries = Object.entries(labels);
  if (entries.length === 0) return html`<span class="muted">no labels</span>`;
  return html`<span class="labels"
    >${entries.map(([k, v]) => html`<span class="label">${k}=${v}</span>`)}</span
  >`;
}

export function targetText(r: Pick<RequestView, 'hosts' | 'target'>): string {
  if (r.target.host) return r.target.host;
  const sel = Object.entries(r.target.selector ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');
  return `${sel} (${r.hosts.length} host${r.hosts.length === 1 ? '' : 's'})`;
}

export function personText(p: { email: string; sub: string; name?: string }): string {
  return p.email || p.sub;
}

/** The time a grant has left, or when the request stands. */
export function whenCell(r: RequestView, now: number): SafeHtml {
  if (r.status === 'active' && r.grant) return countdownEl(r.grant.ends_at, now);
  if (r.status === 'pending') return html`expires ${timeEl(r.pending_until)}`;
  return timeEl(r.ended_at ?? r.created_at);
}

export function table(
  head: readonly string[],
  rows: readonly SafeHtml[],
  empty: string,
  caption?: string,
): SafeHtml {
  return html`<div class="table-wrap">
    <table>
      ${
        caption
          ? html`<caption class="visually-hidden">
              ${caption}
            </caption>`
          : ''
      }
      <thead>
        <tr>
          ${head.map((h) => html`<th scope="col">${h}</th>`)}
        </tr>
      </thead>
      <tbody>
        ${
          rows.length
            ? rows
            : html`<tr>
                <td class="empty" colspan="${head.length}">${empty}</td>
              </tr>`
        }
      </tbody>
    </table>
  </div>`;
}

export function csrfField(csrf: string): SafeHtml {
  return html`<input type="hidden" name="_csrf" value="${csrf}" />`;
}

export function reasonsList(reasons: readonly { rule: string; effect: string; message: string }[]): SafeHtml {
  if (reasons.length === 0) return html`<p class="muted">The policy gave no reasons.</p>`;
  return html`<ul class="reasons">
    ${reasons.map((r) => html`<li>${r.message} <span class="muted">(${r.rule})</span></li>`)}
  </ul>`;
}

/** A block of text with a Copy button (the page script copies it; without script it can be selected). */
export function snippet(
  id: string,
  title: string,
  text: string,
  hint?: SafeHtml | string,
  opts: { wrap?: boolean } = {},
): SafeHtml {
  return html`<div class="snippet">
    <div class="snippet-head">
      <h3 id="${id}-title">${title}</h3>
      <button
        type="button"
        class="button-quiet button-small"
        data-copy="${id}"
        aria-describedby="${id}-title"
      >
        Copy
      </button>
    </div>
    <pre
      id="${id}"
      aria-labelledby="${id}-title"
      ${opts.wrap ? html` class="wrap"` : ''}
    ><code>${text}</code></pre>
    ${hint ? html`<p class="hint">${hint}</p>` : ''}
  </div>`;
}

export function reviewersText(r: RequestView): string {
  return (
    r.decision.reviewers
      .map((s) =>
        [...s.roles.map((x) => `role ${x}`), ...s.groups.map((x) => `group ${x}`), ...s.emails].join(' or '),
      )
      .join('; and ') || 'nobody named'
  );
}

/** Where the request stands, in words (times as <time> elements). */
export function standing(r: RequestView, now: number): SafeHtml {
  if (r.status === 'pending') {
    const n = r.decision.approvals_required;
    return html`<p>
      Needs ${n} approval${n === 1 ? '' : 's'} from ${reviewersText(r)}; ${r.approvals} so far. Expires
      ${timeEl(r.pending_until)} if not approved.
    </p>`;
  }
  if (r.status === 'active' && r.grant)
    return html`<p>
      ${r.emergency ? 'Emergency access' : 'Access'} as <code>${r.login}</code> on ${r.hosts.join(', ')} until
      ${timeEl(r.grant.ends_at)} (${countdownEl(r.grant.ends_at, now)}).
    </p>`;
  return html`<p>${r.summary}</p>`;
}

/** The From/To (UTC) fields of a filter form, with their current values. */
export function timeRangeFields(v: { readonly from: string; readonly to: string }): SafeHtml {
  return html`<div class="field">
      <label for="from">From (UTC)</label
      ><input type="datetime-local" id="from" name="from" value="${v.from}" />
    </div>
    <div class="field">
      <label for="to">To (UTC)</label><input type="datetime-local" id="to" name="to" value="${v.to}" />
    </div>`;
}

/** The submit and reset row of a filter form whose page lives at `path`. */
export function filterActions(path: string): SafeHtml {
  return html`<div class="actions">
    <button type="submit" class="button-secondary">Apply filters</button><a href="${path}">Reset</a>
  </div>`;
}
