import type { Taint } from '../../../access';
import type { Host } from '../../../policy';
import { badge, labelsEl, table } from '../components';
import { timeEl } from '../format';
import { html, type SafeHtml } from '../html';

export interface HostRow {
  readonly host: Host;
  readonly registered?: { readonly at: number; readonly expiresAt: number; readonly fingerprint: string };
  readonly taint?: Taint;
}

function trustText(h: Host, registered: boolean): SafeHtml {
  const parts: SafeHtml[] = [];
  if (h.trust.hostCa) parts.push(html`host CA${registered ? ' (registered key)' : ''}`);
  if (h.trust.fingerprints.length)
    parts.push(
      html`pinned
        <code title="${h.trust.fingerprints.join(' ')}">${h.trust.fingerprints[0]!.slice(0, 19)}…</code>`,
    );
  return parts.length
    ? html`${parts.map((p, i) => html`${i ? ', ' : ''}${p}`)}`
    : html`<span class="muted">none: unreachable</span>`;
}

export function hostsView(d: {
  rows: readonly HostRow[];
  query: string;
  total: number;
  tainted: number;
  canWatch: boolean;
}): SafeHtml {
  const rows = d.rows.map(
    ({ host: h, registered, taint }) =>
      html`<tr>
        <td>
          <strong>${h.name}</strong
          >${h.description ? html`<br /><span class="muted">${h.description}</span>` : ''}
        </td>
        <td>${labelsEl(h.labels)}</td>
        <td class="nowrap"><code>${h.address}:${h.port}</code></td>
        <td>${trustText(h, registered !== undefined)}</td>
        <td>
          ${registered ? html`registered ${timeEl(registered.at)}<br /><span class="muted">expires ${timeEl(registered.expiresAt)}</span>` : html`<span class="muted">hosts.yaml</span>`}
        </td>
        <td>
          ${
            taint
              ? html`${badge('tainted')}<br /><span class="muted"
                    >${taint.sessions} session${taint.sessions === 1 ? '' : 's'}, last
                    ${timeEl(taint.lastAt)}</span
                  >${d.canWatch ? html`<br /><a href="/sessions/${taint.lastSession}">last session</a>` : ''}`
              : h.immutable
                ? badge('clean', 'ok')
                : html`<span class="muted">mutable</span>`
          }
        </td>
      </tr>`,
  );
  return html`<h1>Hosts</h1>
    <p class="lead">
      The inventory: hosts from <code>policies/hosts.yaml</code> and hosts that registered themselves. A
      <strong>tainted</strong> host was touched by a human session and should be replaced.
    </p>
    <div class="cards">
      <div class="card"><span class="stat">${d.total}</span><br /><strong>hosts</strong></div>
      <div class="card">
        <span class="stat">${d.tainted}</span><br /><strong>tainted</strong><br /><span class="muted"
          >to be replaced</span
        >
      </div>
    </div>
    <form class="search-row" method="get" action="/hosts" role="search">
      <div class="field">
        <label for="q">Filter by name or label</label
        ><input type="search" id="q" name="q" value="${d.query}" placeholder="env=prod" />
      </div>
      <button type="submit" class="button-secondary">Filter</button>
    </form>
    ${table(['Host', 'Labels', 'Address', 'Host key trust', 'Source', 'Drift'], rows, 'No host matches.', 'Hosts')}`;
}
