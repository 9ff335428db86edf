import type { Host } from '../../../policy';
import { csrfField, labelsEl } from '../components';
import { durationChoices, formatSpan } from '../format';
import { html, type SafeHtml } from '../html';
import type { HostOffer, LoginOffer } from '../offers';

export interface RequestFormValues {
  host?: string;
  login?: string;
  ttl?: string;
  reason?: string;
  ticket?: string;
  emergency?: boolean;
}

export type FieldErrors = Partial<
  Record<'login' | 'ttl' | 'reason' | 'ticket' | 'emergency' | 'host', string>
>;

function offerSummary(o: LoginOffer): string {
  const parts = [`up to ${formatSpan(o.maxTtlMs)}`];
  if (o.effect === 'allow') parts.push('no approval needed');
  else if (o.approvals > 0) parts.push(`${o.approvals} approval${o.approvals === 1 ? '' : 's'}`);
  if (o.emergency.allowed) parts.push('emergency possible');
  if (o.conditions.length) parts.push(o.conditions.join('; '));
  return parts.join(' · ');
}

/** Step 1: find a host. Each result says which logins the person would get there. */
export function hostSearchView(d: {
  query: string;
  offers: readonly HostOffer[];
  more: boolean;
  total: number;
}): SafeHtml {
  const results = d.offers.map((o) => {
    const text = `${o.host.name} ${o.host.description ?? ''} ${Object.entries(o.host.labels)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ')}`.toLowerCase();
    return html`<li data-filter-text="${text}">
      <div class="host-main">
        <span class="host-name">${o.host.name}</span>
        ${o.host.immutable ? html`<span class="badge badge-info" title="A human session marks it for replacement">immutable</span>` : ''}
        ${o.host.description ? html`<br /><span class="muted">${o.host.description}</span>` : ''}
        <div>${labelsEl(o.host.labels)}</div>
        ${
          o.logins.length
            ? html`<ul class="plain">
                ${o.logins.map((l) => html`<li><code>${l.login}</code> <span class="muted">${offerSummary(l)}</span></li>`)}
              </ul>`
            : html`<p class="muted">${o.refusal ?? 'No role gives you a login here.'}</p>`
        }
      </div>
      ${o.logins.length ? html`<a class="button button-secondary" href="/requests/new?host=${encodeURIComponent(o.host.name)}" aria-label="Request access to ${o.host.name}">Choose</a>` : ''}
    </li>`;
  });
  return html`<h1>Request access</h1>
    <p class="lead">
      Find the host you need. Search by name or by label (for example <code>env=prod</code> or
      <code>role:db</code>).
    </p>
    <form class="search-row" method="get" action="/requests/new" role="search">
      <div class="field">
        <label for="q">Host name or label</label>
        <input
          type="search"
          id="q"
          name="q"
          value="${d.query}"
          placeholder="web, env=prod role=db"
          data-filter-list="host-results"
          autocomplete="off"
        />
      </div>
      <button type="submit" class="button-secondary">Search</button>
    </form>
    <p class="muted" id="host-count" aria-live="polite">
      ${d.offers.length} of ${d.total} host${d.total === 1 ? '' : 's'}
      shown${d.more ? ' (refine the search to see more)' : ''}.
    </p>
    ${
      d.offers.length
        ? html`<ul class="hosts" id="host-results">
            ${results}
          </ul>`
        : html`<div class="alert alert-warn" role="status">
            <strong>No host matches “${d.query}”.</strong>
            <p>Try part of the name, or a label such as <code>env=prod</code>.</p>
          </div>`
    }`;
}

function errorOf(errors: FieldErrors, field: keyof FieldErrors): SafeHtml {
  const e = errors[field];
  return e ? html`<span class="field-error" id="${field}-error">${e}</span>` : html``;
}
const invalid = (errors: FieldErrors, field: keyof FieldErrors) =>
  errors[field] ? html` aria-invalid="true" aria-describedby="${field}-error"` : html``;

/** Step 2: the request for one host: login, duration, reason, ticket, and emergency where policy allows. */
export function requestFormView(d: {
  host: Host;
  offer: HostOffer;
  values: RequestFormValues;
  errors: FieldErrors;
  maxReason: number;
  csrf: string;
}): SafeHtml {
  const { host, offer, values, errors } = d;
  const offers = offer.logins;
  const chosen = offers.find((o) => o.login === values.login) ?? offers[0]!;
  const maxTtl = Math.max(...offers.map((o) => o.maxTtlMs));
  const emergency = offers.filter((o) => o.emergency.allowed);
  const reasonRequired = offers.some((o) => o.reasonRequired);
  const ticket = offers.map((o) => o.ticketPattern).find((t) => t !== undefined);
  const choices = durationChoices(maxTtl);
  return html`<p><a href="/requests/new">← Choose another host</a></p>
    <h1>Request access to ${host.name}</h1>
    <div class="card">
      <dl class="facts">
        <dt>Host</dt>
        <dd>
          <strong>${host.name}</strong>
          <span class="muted">${host.address}:${host.port}</span
          >${host.immutable ? html` <span class="badge badge-info">immutable</span>` : ''}
        </dd>
        ${
          host.description
            ? html`<dt>About</dt>
                <dd>${host.description}</dd>`
            : ''
        }
        <dt>Labels</dt>
        <dd>${labelsEl(host.labels)}</dd>
      </dl>
      ${host.immutable ? html`<p class="hint">This host is immutable: after a human session it is marked drifted and should be replaced.</p>` : ''}
    </div>
    ${Object.keys(errors).length ? html`<div class="alert alert-error" role="alert"><strong>Please fix the fields marked below.</strong></div>` : ''}
    <form class="stacked" method="post" action="/requests" novalidate>
      ${csrfField(d.csrf)}
      <input type="hidden" name="host" value="${host.name}" />
      <div class="field">
        <label for="login">Login</label>
        <select id="login" name="login" ${invalid(errors, 'login')}>
          ${offers.map((o) => html`<option value="${o.login}" ${o.login === chosen.login ? ' selected' : ''}>${o.login} — ${offerSummary(o)}</option>`)}
        </select>
        <span class="hint">Only the logins the policy gives you on this host are listed.</span>
        ${errorOf(errors, 'login')}
      </div>
      <div class="field">
        <label for="ttl">For how long</label>
        <select id="ttl" name="ttl" ${invalid(errors, 'ttl')}>
          ${choices.map((c) => html`<option value="${c.value}" ${values.ttl === c.value ? ' selected' : ''}>${c.label}</option>`)}
          <option value="" ${!values.ttl ? ' selected' : ''}>
            The longest allowed (${formatSpan(chosen.maxTtlMs)})
          </option>
        </select>
        <span class="hint"
          >The policy allows at most
          ${offers.map((o) => `${formatSpan(o.maxTtlMs)} as ${o.login}`).join(', ')}. Ask for no more than you
          need.</span
        >
        ${errorOf(errors, 'ttl')}
      </div>
      <div class="field">
        <label for="reason"
          >Reason${reasonRequired ? '' : html` <span class="muted">(optional)</span>`}</label
        >
        <textarea
          id="reason"
          name="reason"
          maxlength="${d.maxReason}"
          ${reasonRequired ? ' required' : ''}${invalid(errors, 'reason')}
          aria-describedby="reason-hint"
        >
${values.reason ?? ''}</textarea>
        <span class="hint" id="reason-hint"
          >What you will do and why. Reviewers read this, and it stays in the audit log.</span
        >
        ${errorOf(errors, 'reason')}
      </div>
      <div class="field">
        <label for="ticket">Ticket${ticket ? '' : html` <span class="muted">(optional)</span>`}</label>
        <input
          type="text"
          id="ticket"
          name="ticket"
          value="${values.ticket ?? ''}"
          autocomplete="off"
          ${ticket ? ' required' : ''}${invalid(errors, 'ticket')}
        />
        <span class="hint"
          >${ticket ? html`Required; must match <code>${ticket}</code>.` : 'A change or incident reference, e.g. INC-1234.'}</span
        >
        ${errorOf(errors, 'ticket')}
      </div>
      ${
        emergency.length
          ? html`<fieldset class="emergency">
              <legend>Emergency access (break glass)</legend>
              <p>
                <strong>Only for an incident that cannot wait for an approver.</strong> Emergency access
                starts at once without approval, pages the people the policy names (on-call, security), and
                every minute of it is reviewed afterwards. Misuse is visible to everyone who reviews it.
              </p>
              <p class="hint">
                Allowed here as
                ${emergency.map((o) => `${o.login} for up to ${formatSpan(o.emergency.maxTtlMs)}`).join(', ')}.
              </p>
              <label class="check"
                ><input
                  type="checkbox"
                  name="emergency"
                  value="yes"
                  id="emergency"
                  ${values.emergency ? ' checked' : ''}${invalid(errors, 'emergency')}
                  data-confirm-check="This is break-glass access: it starts now, pages on-call and security, and is reviewed afterwards. Continue?"
                />
                <span>Use emergency access: I understand it is reviewed afterwards</span></label
              >
              ${errorOf(errors, 'emergency')}
            </fieldset>`
          : ''
      }
      <div class="actions"><button type="submit">Submit request</button><a href="/dashboard">Cancel</a></div>
    </form>`;
}
