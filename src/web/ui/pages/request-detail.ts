import type { RequestView } from '../../../access';
import {
  badge,
  csrfField,
  personText,
  reasonsList,
  reviewersText as reviewers,
  standing,
  statusBadge,
  table,
  targetText,
  whenCell,
} from '../components';
import { formatSpan, timeEl } from '../format';
import { html, type SafeHtml } from '../html';

export interface DetailFlags {
  readonly isRequester: boolean;
  /** The viewer may approve or deny now (eligible, pending, not yet reviewed by them). */
  readonly canReview: boolean;
  /** Why the viewer cannot review (shown to reviewers), or null. */
  readonly reviewBlocked: string | null;
  readonly canSignOff: boolean;
  readonly canRevoke: boolean;
  readonly csrf: string;
  readonly maxComment: number;
  readonly now: number;
}

const HEADLINES: Record<RequestView['status'], [string, string]> = {
  pending: ['warn', 'Waiting for approval'],
  active: ['ok', 'Access granted'],
  denied: ['error', 'Denied'],
  cancelled: ['info', 'Cancelled'],
  expired: ['info', 'Expired'],
  revoked: ['error', 'Revoked'],
};

function nextStep(r: RequestView, f: DetailFlags): SafeHtml {
  if (r.status === 'pending' && f.isRequester)
    return html`<p>
      Nothing to do now: reviewers (${reviewers(r)}) see it in their queue, and this page updates by itself
      once it is decided. You may cancel it below.
    </p>`;
  if (r.status === 'active' && f.isRequester)
    return html`<p><a class="button" href="/grants/${r.id}">Get your certificate</a></p>`;
  if (r.status === 'denied' && f.isRequester)
    return html`<p>
      Read the reasons below. If the request can be changed to fit the policy,
      <a href="/requests/new?host=${encodeURIComponent(r.hosts[0] ?? '')}">file a new one</a>.
    </p>`;
  return html``;
}

function sshFeatures(r: RequestView): string {
  const s = r.decision.ssh;
  const on = [
    s.pty && 'interactive shell',
    s.exec && 'commands (exec)',
    s.sftp && 'file transfer (sftp)',
    s.port_forwarding && 'port forwarding',
    s.agent_forwarding && 'agent forwarding',
    s.x11_forwarding && 'X11',
  ].filter((x): x is string => typeof x === 'string');
  return on.join(', ') || 'none';
}

export function requestDetailView(
  r: RequestView,
  f: DetailFlags,
  history: readonly RequestView[] | null,
): SafeHtml {
  const [kind, title] = HEADLINES[r.status];
  const actions: SafeHtml[] = [];
  if (f.canReview) {
    actions.push(
      html`<section class="card" aria-labelledby="review-title">
        <h2 id="review-title">Your review</h2>
        <p>
          Approve only if the reason justifies ${r.login} on
          ${targetText(r)}${r.decision.ttl_seconds ? ` for ${formatSpan(r.decision.ttl_seconds * 1000)}` : ''}.
          Your decision and comment go into the audit log.
        </p>
        <form method="post" action="/requests/${r.id}/review" class="stacked">
          ${csrfField(f.csrf)}
          <div class="field">
            <label for="comment"
              >Comment <span class="muted">(optional when approving; say why when denying)</span></label
            >
            <textarea id="comment" name="comment" maxlength="${f.maxComment}"></textarea>
          </div>
          <div class="actions">
            <button type="submit" name="verdict" value="approve" class="button-ok">Approve</button>
            <button type="submit" name="verdict" value="deny" class="button-secondary">Deny</button>
          </div>
        </form>
      </section>`,
    );
  } else if (f.reviewBlocked) {
    actions.push(html`<p class="muted">${f.reviewBlocked}</p>`);
  }
  if (f.canSignOff) {
    actions.push(
      html`<section class="card" aria-labelledby="signoff-title">
        <h2 id="signoff-title">Post-hoc review of emergency access</h2>
        <p>
          Look at what was done (the sessions of this grant), then record whether the use of emergency access
          was acceptable.
        </p>
        <form method="post" action="/requests/${r.id}/post-review" class="stacked">
          ${csrfField(f.csrf)}
          <fieldset>
            <legend>Outcome</legend>
            <label class="check"
              ><input type="radio" name="outcome" value="acceptable" required />
              <span>Acceptable: the emergency justified it</span></label
            >
            <label class="check"
              ><input type="radio" name="outcome" value="unacceptable" />
              <span>Unacceptable: follow up with the requester</span></label
            >
          </fieldset>
          <div class="field">
            <label for="signoff-comment">Comment</label
            ><textarea id="signoff-comment" name="comment" maxlength="${f.maxComment}"></textarea>
          </div>
          <div class="actions"><button type="submit">Record the review</button></div>
        </form>
      </section>`,
    );
  }
  if (r.status === 'pending' && f.isRequester) {
    actions.push(
      html`<form
        method="post"
        action="/requests/${r.id}/cancel"
        class="actions"
        data-confirm="Withdraw this request?"
      >
        ${csrfField(f.csrf)}<button type="submit" class="button-secondary">Cancel this request</button>
      </form>`,
    );
  }
  if (r.status === 'active' && f.canRevoke) {
    actions.push(
      html`<details class="card">
        <summary><strong>End this grant now</strong></summary>
        <p>
          Revoking ends every live session of this grant on every gateway and puts its certificates on the
          revocation list.
        </p>
        <form
          method="post"
          action="/grants/${r.id}/revoke"
          class="stacked"
          data-confirm="Revoke this grant and end its sessions now?"
        >
          ${csrfField(f.csrf)}
          <div class="field">
            <label for="revoke-reason">Why</label
            ><input type="text" id="revoke-reason" name="reason" required maxlength="${f.maxComment}" />
          </div>
          <div class="actions"><button type="submit">Revoke grant</button></div>
        </form>
      </details>`,
    );
  }

  const reviewsRows = r.reviews.map(
    (v) =>
      html`<tr>
        <td>${v.reviewer}</td>
        <td>
          ${badge(v.verdict === 'approve' ? 'approved' : 'denied', v.verdict === 'approve' ? 'ok' : 'bad')}
        </td>
        <td>${v.comment || html`<span class="muted">no comment</span>`}</td>
        <td>${timeEl(v.at)}</td>
      </tr>`,
  );
  return html`<p>
      <a href="${f.isRequester ? '/dashboard' : '/reviews'}">← ${f.isRequester ? 'Dashboard' : 'Reviews'}</a>
    </p>
    <div class="page-head">
      <h1>${r.login} on ${targetText(r)}</h1>
      <div>${statusBadge(r)}</div>
    </div>
    <div
      class="alert alert-${kind}"
      role="status"
      id="summary"
      ${r.status === 'pending' || r.status === 'active' ? html` data-poll-request="${r.id}" data-status="${r.status}"` : ''}
    >
      <strong>${title}</strong>${standing(r, f.now)}
    </div>
    ${nextStep(r, f)}
    ${
      r.emergency
        ? html`<div class="alert alert-warn" role="note">
            <strong>Emergency (break-glass) access</strong>
            <p>
              It started without approval and
              ${r.post_review?.status === 'signed_off' ? `was reviewed by ${r.post_review.by ?? 'a reviewer'}: ${r.post_review.outcome ?? ''}${r.post_review.comment ? ` (“${r.post_review.comment}”)` : ''}` : 'waits for its post-hoc review'}.
            </p>
          </div>`
        : ''
    }
    ${actions}
    <h2>Request</h2>
    <div class="card">
      <dl class="facts">
        <dt>Requester</dt>
        <dd>${personText(r.requester)}</dd>
        <dt>Hosts</dt>
        <dd>${r.hosts.join(', ') || targetText(r)}</dd>
        <dt>Login</dt>
        <dd><code>${r.login}</code></dd>
        <dt>Duration</dt>
        <dd>${formatSpan(r.decision.ttl_seconds * 1000)}</dd>
        <dt>Reason</dt>
        <dd>${r.reason || html`<span class="muted">none given</span>`}</dd>
        <dt>Ticket</dt>
        <dd>${r.ticket ?? html`<span class="muted">none</span>`}</dd>
        <dt>Filed</dt>
        <dd>${timeEl(r.created_at)}</dd>
        ${
          r.status === 'pending'
            ? html`<dt>Expires</dt>
                <dd>${timeEl(r.pending_until)} if not approved</dd>`
            : ''
        }
        ${
          r.grant
            ? html`<dt>Grant</dt>
                <dd>${timeEl(r.grant.starts_at)} to ${timeEl(r.grant.ends_at)}</dd>`
            : ''
        }
        <dt>Approvals</dt>
        <dd>
          ${r.approvals} of
          ${r.decision.approvals_required}${r.decision.approvals_required ? ` (from ${reviewers(r)})` : ''}
        </dd>
      </dl>
    </div>
    <h2>Policy decision</h2>
    <div class="card">
      <dl class="facts">
        <dt>Effect</dt>
        <dd>${r.decision.effect.replace(/_/g, ' ')}</dd>
        <dt>Roles</dt>
        <dd>${r.decision.matched_roles.join(', ') || html`<span class="muted">none</span>`}</dd>
        <dt>SSH</dt>
        <dd>
          ${r.decision.effect === 'deny' ? html`<span class="muted">nothing</span>` : sshFeatures(r)}${r.decision.ssh.force_command ? html`; forced command <code>${r.decision.ssh.force_command}</code>` : ''}
        </dd>
        ${
          r.decision.mfa_required
            ? html`<dt>MFA</dt>
                <dd>required</dd>`
            : ''
        }
        ${
          r.decision.immutable
            ? html`<dt>Drift</dt>
                <dd>immutable host: a session marks it for replacement</dd>`
            : ''
        }
        <dt>Policy</dt>
        <dd><code>${r.decision.policy_version.slice(0, 19)}</code></dd>
      </dl>
      <h3>Reasons</h3>
      ${reasonsList(r.decision.reasons)}
    </div>
    <h2>Reviews</h2>
    ${table(['Reviewer', 'Verdict', 'Comment', 'When'], reviewsRows, 'No reviews yet.', 'Reviews')}
    ${
      history
        ? html`<h2>${personText(r.requester)}’s recent requests</h2>
            ${table(
              ['Target', 'Login', 'Status', 'Reason', 'When'],
              history.map(
                (h) =>
                  html`<tr>
                    <td><a href="/requests/${h.id}">${targetText(h)}</a></td>
                    <td><code>${h.login}</code></td>
                    <td>${statusBadge(h)}</td>
                    <td>${h.reason}</td>
                    <td class="nowrap">${whenCell(h, f.now)}</td>
                  </tr>`,
              ),
              'No other requests by this person.',
              'Recent requests by the requester',
            )}`
        : ''
    }
    <h2>History</h2>
    <ol class="timeline">
      ${r.history.map((h) => html`<li>${timeEl(h.at, { seconds: true })} · <strong>${h.event}</strong> by ${h.actor}${h.note ? html` — ${h.note}` : ''}</li>`)}
    </ol>`;
}
