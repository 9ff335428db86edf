import type { RequestView } from '../../../access';
import { badge, filterActions, personText, statusBadge, table, targetText, whenCell } from '../components';
import { timeEl } from '../format';
import { html, type SafeHtml } from '../html';

export interface QueueFilters {
  readonly show: 'mine' | 'open' | 'all';
  readonly requester: string;
  readonly host: string;
  readonly emergency: boolean;
}

export function filterRequests(list: readonly RequestView[], f: QueueFilters): RequestView[] {
  const who = f.requester.trim().toLowerCase();
  const host = f.host.trim().toLowerCase();
  return list.filter(
    (r) =>
      (!who ||
        personText(r.requester).toLowerCase().includes(who) ||
        (r.requester.name ?? '').toLowerCase().includes(who)) &&
      (!host || r.hosts.some((h) => h.includes(host)) || targetText(r).toLowerCase().includes(host)) &&
      (!f.emergency || r.emergency),
  );
}

function subnav(current: 'queue' | 'emergency', counts: { emergency: number }): SafeHtml {
  return html`<nav aria-label="Reviews" class="actions">
    <a
      href="/reviews"
      class="button ${current === 'queue' ? '' : 'button-secondary'}"
      ${current === 'queue' ? html` aria-current="page"` : ''}
      >Access requests</a
    >
    <a
      href="/reviews/emergency"
      class="button ${current === 'emergency' ? '' : 'button-secondary'}"
      ${current === 'emergency' ? html` aria-current="page"` : ''}
      >Emergency sign-off (${counts.emergency})</a
    >
  </nav>`;
}

export function queueView(d: {
  requests: readonly RequestView[];
  filters: QueueFilters;
  emergencyOpen: number;
  now: number;
}): SafeHtml {
  const f = d.filters;
  const opt = (v: QueueFilters['show'], label: string) =>
    html`<option value="${v}" ${f.show === v ? ' selected' : ''}>${label}</option>`;
  const rows = d.requests.map(
    (r) =>
      html`<tr>
        <td>${personText(r.requester)}</td>
        <td>${targetText(r)}</td>
        <td><code>${r.login}</code></td>
        <td>
          ${r.reason || html`<span class="muted">none</span>`}${r.ticket ? html`<br /><span class="muted">${r.ticket}</span>` : ''}
        </td>
        <td>
          ${statusBadge(r)}<br /><span class="muted"
            >${r.approvals}/${r.decision.approvals_required} approvals</span
          >
        </td>
        <td class="nowrap">${timeEl(r.created_at)}<br /><span class="muted">${whenCell(r, d.now)}</span></td>
        <td>
          <a
            class="button button-small${r.status === 'pending' && f.show === 'mine' ? '' : ' button-secondary'}"
            href="/requests/${r.id}"
            >${f.show === 'mine' ? 'Review' : 'Open'}</a
          >
        </td>
      </tr>`,
  );
  return html`<h1>Reviews</h1>
    ${subnav('queue', { emergency: d.emergencyOpen })}
    <form class="filters" method="get" action="/reviews" aria-label="Filter requests">
      <div class="field">
        <label for="show">Show</label
        ><select id="show" name="show">
          ${opt('mine', 'Waiting for my review')}${opt('open', 'All open requests')}${opt('all', 'All requests')}
        </select>
      </div>
      <div class="field">
        <label for="requester">Requester</label
        ><input
          type="search"
          id="requester"
          name="requester"
          value="${f.requester}"
          placeholder="name or e-mail"
        />
      </div>
      <div class="field">
        <label for="host">Host</label
        ><input type="search" id="host" name="host" value="${f.host}" placeholder="host name" />
      </div>
      <div class="field">
        <label class="check"
          ><input type="checkbox" name="emergency" value="yes" ${f.emergency ? ' checked' : ''} />
          <span>Emergency only</span></label
        >
      </div>
      ${filterActions('/reviews')}
    </form>
    <p class="muted" aria-live="polite">${d.requests.length} request${d.requests.length === 1 ? '' : 's'}.</p>
    ${table(
      ['Requester', 'Target', 'Login', 'Reason', 'Status', 'Filed', ''],
      rows,
      f.show === 'mine' ? 'Nothing is waiting for your review.' : 'No requests match these filters.',
      'Access requests',
    )}`;
}

export function emergencyQueueView(d: {
  open: readonly RequestView[];
  recent: readonly RequestView[];
  now: number;
}): SafeHtml {
  const row = (r: RequestView) =>
    html`<tr>
      <td>${personText(r.requester)}</td>
      <td>${targetText(r)}</td>
      <td><code>${r.login}</code></td>
      <td>${r.reason}</td>
      <td>${statusBadge(r)}</td>
      <td class="nowrap">${timeEl(r.grant?.starts_at ?? r.created_at)}</td>
      <td>
        ${r.post_review?.status === 'signed_off' ? html`${badge(r.post_review.outcome ?? 'reviewed', r.post_review.outcome === 'acceptable' ? 'ok' : 'bad')}<br /><span class="muted">${r.post_review.by ?? ''}${r.post_review.comment ? `: ${r.post_review.comment}` : ''}</span>` : html`<a class="button button-small" href="/requests/${r.id}">Review</a>`}
      </td>
    </tr>`;
  return html`<h1>Reviews</h1>
    ${subnav('emergency', { emergency: d.open.length })}
    <p class="lead">
      Break-glass access starts without approval; each use must be reviewed afterwards. Open the request, look
      at its sessions, then record whether it was acceptable.
    </p>
    <h2>Waiting for sign-off</h2>
    ${table(['Requester', 'Target', 'Login', 'Reason', 'Status', 'Started', ''], d.open.map(row), 'No emergency access is waiting for review.', 'Emergency access waiting for sign-off')}
    <h2>Recently signed off</h2>
    ${table(['Requester', 'Target', 'Login', 'Reason', 'Status', 'Started', 'Outcome'], d.recent.map(row), 'None yet.', 'Emergency access signed off')}`;
}
