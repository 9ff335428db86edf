import type { AuditEntry } from '../../../audit';
import { badge, filterActions, table, timeRangeFields } from '../components';
import { timeEl } from '../format';
import { html, type SafeHtml } from '../html';
import type { AuditRow, ChainStatus } from '../audit-query';

export interface AuditFormValues {
  readonly type: string;
  readonly actor: string;
  readonly subject: string;
  readonly from: string;
  readonly to: string;
}

function short(v: unknown): string {
  const s = typeof v === 'string' ? v : JSON.stringify(v);
  return s.length > 60 ? `${s.slice(0, 57)}…` : s;
}

/** Links from an entry to the pages about what it names. */
function links(e: AuditEntry, canWatch: boolean): SafeHtml {
  const out: SafeHtml[] = [];
  const rid = e.data.request_id ?? e.data.grant;
  if (typeof rid === 'string') out.push(html`<a href="/requests/${rid}">request</a>`);
  if (canWatch && typeof e.data.session_id === 'string')
    out.push(html`<a href="/sessions/${e.data.session_id}">session</a>`);
  return html`${out.map((l, i) => html`${i ? ' · ' : ''}${l}`)}`;
}

function dataCell(e: AuditEntry): SafeHtml {
  const entries = Object.entries(e.data).filter(([k]) => k !== 'jws');
  return html`<span class="kv"
    >${entries.slice(0, 4).map(([k, v]) => html`<span><span class="muted">${k}=</span>${short(v)}</span> `)}${entries.length > 4 ? html`<span class="muted">+${entries.length - 4} more</span>` : ''}</span
  >`;
}

export function chainView(c: ChainStatus): SafeHtml {
  const r = c.result;
  const cp = r.lastCheckpoint;
  const verdict = r.ok
    ? html`<div class="alert alert-ok" role="status" id="chain-status">
        <strong>Chain verified</strong>
        <p>
          ${r.entries} entries (seq ${r.firstSeq ?? 0}–${r.lastSeq ?? 0}) link up and match their
          hashes${cp ? '; checkpoint signatures check out with this server’s audit key' : ''}.
        </p>
      </div>`
    : html`<div class="alert alert-error" role="alert" id="chain-status">
        <strong>Chain broken at seq ${r.problem?.seq ?? '?'}</strong>
        <p>${r.problem?.kind ?? ''}: ${r.problem?.message ?? ''}</p>
        <p>
          ${r.entries} entries verified before it. Keep the store as it is and run
          <code>breakglass audit export</code> and <code>audit verify</code> with a checkpoint kept outside.
        </p>
      </div>`;
  return html`${verdict}
    <div class="chain">
      <div class="card">
        <h3>Head</h3>
        <p><span class="stat">${r.lastSeq ?? 0}</span> entries</p>
        <p class="muted">
          <code title="${r.head ?? ''}">${(r.head ?? '').slice(0, 16)}</code> · checked
          ${timeEl(c.checkedAt, { seconds: true })}
        </p>
      </div>
      <div class="card">
        <h3>Last signed checkpoint</h3>
        ${
          cp
            ? html`<p>
                  seq <strong>${cp.seq}</strong> at ${timeEl(cp.time, { seconds: true })}
                  ${cp.signatureChecked ? badge('signature valid', 'ok') : badge('not checked', 'warn')}
                </p>
                <p class="muted">
                  key <code>${cp.kid.slice(0, 12)}</code> · hash
                  <code title="${cp.hash}">${cp.hash.slice(0, 16)}</code>
                </p>`
            : html`<p class="muted">None yet: the first one is written after a few entries or minutes.</p>`
        }
      </div>
      <div class="card">
        <h3>Not yet signed</h3>
        <p><span class="stat">${r.uncovered?.count ?? 0}</span> entries</p>
        <p class="muted">
          ${r.uncovered ? html`seq ${r.uncovered.from}–${r.uncovered.to} wait for the next checkpoint` : 'every entry is covered by a signature'}
        </p>
      </div>
    </div>`;
}

export function auditView(d: {
  rows: readonly AuditRow[];
  values: AuditFormValues;
  types: readonly string[];
  chain: SafeHtml;
  scanned: number;
  limit: number;
  canWatch: boolean;
  error?: string;
}): SafeHtml {
  const v = d.values;
  const rows = d.rows.map((r) => {
    const e = r.entry;
    if (!e)
      return html`<tr>
        <td class="num">${r.seq}</td>
        <td colspan="4">${badge('not an entry', 'bad')} <code>${short(r.line)}</code></td>
      </tr>`;
    return html`<tr>
      <td class="num">${e.seq}</td>
      <td class="nowrap">${timeEl(e.time, { seconds: true })}</td>
      <td class="nowrap"><code>${e.type}</code></td>
      <td>
        ${e.actor}${e.target ? html`<br /><span class="muted">→ ${e.target}</span>` : ''}<br />${links(e, d.canWatch)}
      </td>
      <td>
        ${dataCell(e)}
        <details>
          <summary>whole entry</summary>
          <pre class="wrap"><code>${JSON.stringify(e, null, 2)}</code></pre>
        </details>
      </td>
    </tr>`;
  });
  return html`<h1>Audit log</h1>
    <p class="lead">
      Every decision and session, in a hash chain with signed checkpoints. Verification runs over the whole
      stored chain.
    </p>
    ${d.chain}
    <h2>Entries</h2>
    ${d.error ? html`<div class="alert alert-error" role="alert"><strong>${d.error}</strong></div>` : ''}
    <form class="filters" method="get" action="/audit" aria-label="Filter audit entries">
      <div class="field">
        <label for="type">Type</label
        ><select id="type" name="type">
          <option value="">Any type</option>
          ${d.types.map((t) => html`<option value="${t}" ${t === v.type ? ' selected' : ''}>${t}</option>`)}
        </select>
      </div>
      <div class="field">
        <label for="actor">Actor</label
        ><input type="search" id="actor" name="actor" value="${v.actor}" placeholder="user:alice@…" />
      </div>
      <div class="field">
        <label for="subject">Request, session or host</label
        ><input type="search" id="subject" name="subject" value="${v.subject}" placeholder="id or name" />
      </div>
      ${timeRangeFields(v)} ${filterActions('/audit')}
    </form>
    <p class="muted" aria-live="polite">
      ${d.rows.length} entr${d.rows.length === 1 ? 'y' : 'ies'}, newest
      first${d.rows.length >= d.limit ? ` (the latest ${d.limit}; narrow the filters for older ones)` : ''}.
      Export everything with <code>breakglass audit export</code>.
    </p>
    ${table(['Seq', 'Time', 'Type', 'Actor', 'Data'], rows, 'No entries match these filters.', 'Audit entries')}`;
}
