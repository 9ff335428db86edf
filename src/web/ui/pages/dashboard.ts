import type { RequestView } from '../../../access';
import type { Abilities } from '../abilities';
import { statusBadge, table, targetText, whenCell } from '../components';
import { countdownEl, timeEl } from '../format';
import { html, type SafeHtml } from '../html';

export interface DashboardData {
  readonly name: string;
  readonly abilities: Abilities;
  readonly mine: readonly RequestView[];
  /** Requests waiting for this person's review (reviewers). */
  readonly toReview: readonly RequestView[] | null;
  /** Emergency access waiting for sign-off (reviewers). */
  readonly postReview: readonly RequestView[] | null;
  /** Live gateway connections (security reviewers; null: not shown or no gateway). */
  readonly liveSessions: number | null;
  readonly now: number;
}

function grantRow(r: RequestView, now: number): SafeHtml {
  return html`<tr>
    <td>
      <a href="/requests/${r.id}">${targetText(r)}</a
      >${r.emergency ? html` <span class="badge badge-emergency">emergency</span>` : ''}
    </td>
    <td><code>${r.login}</code></td>
    <td>
      ${r.grant ? countdownEl(r.grant.ends_at, now) : ''}<br /><span class="muted"
        >until ${r.grant ? timeEl(r.grant.ends_at) : ''}</span
      >
    </td>
    <td><a class="button button-small" href="/grants/${r.id}">Get certificate</a></td>
  </tr>`;
}

function requestRow(r: RequestView, now: number): SafeHtml {
  return html`<tr>
    <td><a href="/requests/${r.id}">${targetText(r)}</a></td>
    <td><code>${r.login}</code></td>
    <td>${statusBadge(r)}</td>
    <td>${r.summary}</td>
    <td class="nowrap">${whenCell(r, now)}</td>
  </tr>`;
}

function stat(label: string, value: number, href: string, hint: string): SafeHtml {
  return html`<a class="card stat-card" href="${href}"
    ><span class="stat">${value}</span><br /><strong>${label}</strong><br /><span class="muted"
      >${hint}</span
    ></a
  >`;
}

export function dashboardView(d: DashboardData): SafeHtml {
  const active = d.mine.filter((r) => r.status === 'active');
  const pending = d.mine.filter((r) => r.status === 'pending');
  const past = d.mine.filter((r) => r.status !== 'active' && r.status !== 'pending').slice(0, 10);
  const a = d.abilities;
  const cards: SafeHtml[] = [];
  if (a.request || d.mine.length > 0) {
    cards.push(stat('Active grants', active.length, '#grants', 'access you can use now'));
    cards.push(stat('Waiting for approval', pending.length, '#pending', 'your open requests'));
  }
  if (d.toReview) cards.push(stat('To review', d.toReview.length, '/reviews', 'requests waiting for you'));
  if (d.postReview)
    cards.push(
      stat('Emergency sign-off', d.postReview.length, '/reviews/emergency', 'break-glass use to review'),
    );
  if (d.liveSessions !== null)
    cards.push(stat('Live sessions', d.liveSessions, '/sessions', 'through the gateway now'));

  const sections: SafeHtml[] = [];
  if (a.request || d.mine.length > 0) {
    sections.push(
      html`<h2 id="grants">Active grants</h2>
        ${table(
          ['Target', 'Login', 'Time left', ''],
          active.map((r) => grantRow(r, d.now)),
          'No active grants. Request access when you need it.',
          'Your active grants',
        )}
        <h2 id="pending">Waiting for approval</h2>
        ${table(
          ['Target', 'Login', 'Status', 'Where it stands', 'When'],
          pending.map((r) => requestRow(r, d.now)),
          'Nothing is waiting.',
          'Your pending requests',
        )}
        <h2>Recent requests</h2>
        ${table(
          ['Target', 'Login', 'Status', 'Outcome', 'When'],
          past.map((r) => requestRow(r, d.now)),
          'No earlier requests.',
          'Your earlier requests',
        )}`,
    );
  }
  if (d.toReview && d.toReview.length > 0) {
    sections.push(
      html`<h2>Waiting for your review</h2>
        ${table(
          ['Requester', 'Target', 'Login', 'Reason', ''],
          d.toReview.slice(0, 5).map(
            (r) =>
              html`<tr>
                <td>${r.requester.email || r.requester.sub}</td>
                <td>${targetText(r)}</td>
                <td><code>${r.login}</code></td>
                <td>${r.reason}</td>
                <td><a class="button button-small" href="/requests/${r.id}">Review</a></td>
              </tr>`,
          ),
          '',
          'Requests waiting for your review',
        )}
        <p><a href="/reviews">All requests to review →</a></p>`,
    );
  }
  if (!a.request && d.mine.length === 0 && !a.review && !a.watch && !a.audit && !a.hosts) {
    sections.push(
      html`<div class="alert alert-info" role="status">
        <strong>Nothing to do here yet</strong>
        <p>
          No role in the policy gives you access to hosts or any review permission. If you need access, ask an
          administrator to add you to a role.
        </p>
      </div>`,
    );
  }
  return html`<div class="page-head">
      <h1>Hello, ${d.name}</h1>
      ${a.request ? html`<a class="button" href="/requests/new">Request access</a>` : ''}
    </div>
    <div class="cards">${cards}</div>
    ${sections}`;
}
