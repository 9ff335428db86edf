import type { VerifyResult } from '../../../recording';
import { badge, csrfField, filterActions, table, timeRangeFields } from '../components';
import { formatOffset, formatSpan, timeEl } from '../format';
import { html, type SafeHtml } from '../html';
import type { RecordingDigest } from '../player-cast';
import type { SessionSummary } from '../sessions-index';

export interface SessionFilterValues {
  readonly state: '' | 'live' | 'ended';
  readonly user: string;
  readonly host: string;
  readonly from: string;
  readonly to: string;
}

export function stateBadge(s: SessionSummary): SafeHtml {
  if (s.state === 'live') return badge('live', 'live');
  if (s.state === 'interrupted') return badge('no end recorded', 'warn');
  return badge('ended', 'neutral');
}

function what(s: SessionSummary): SafeHtml {
  if (s.kind === 'exec') return html`exec <code>${(s.command ?? '').slice(0, 80)}</code>`;
  if (s.kind === 'sftp') return html`sftp`;
  return html`shell${s.pty ? '' : ' (no pty)'}`;
}

export function sessionsListView(d: {
  rows: readonly SessionSummary[];
  values: SessionFilterValues;
  gatewayRunning: boolean;
  liveCount: number;
  error?: string;
}): SafeHtml {
  const v = d.values;
  const rows = d.rows.map(
    (s) =>
      html`<tr>
        <td>${stateBadge(s)}</td>
        <td>${s.user}</td>
        <td><code>${s.login}@${s.host}</code></td>
        <td>${what(s)}</td>
        <td class="nowrap">${timeEl(s.startedAt, { seconds: true })}</td>
        <td class="nowrap">
          ${s.ended ? formatSpan(s.ended.durationMs ?? s.ended.at - s.startedAt) : s.state === 'live' ? 'running' : '—'}${s.ended?.exitStatus !== undefined ? html`<br /><span class="muted">exit ${s.ended.exitStatus}</span>` : ''}
        </td>
        <td>
          <a
            class="button button-small${s.state === 'live' ? '' : ' button-secondary'}"
            href="/sessions/${s.id}"
            >${s.state === 'live' ? 'Watch' : 'Play'}</a
          >
        </td>
      </tr>`,
  );
  const opt = (value: SessionFilterValues['state'], label: string) =>
    html`<option value="${value}" ${v.state === value ? ' selected' : ''}>${label}</option>`;
  return html`<div class="page-head">
      <h1>Sessions</h1>
      <a class="button button-secondary" href="/search">Search recordings</a>
    </div>
    <p class="lead">
      Every SSH session through the gateway is recorded. Watch live ones, end them, or play them back.
    </p>
    ${
      d.gatewayRunning
        ? ''
        : html`<div class="alert alert-warn" role="status">
            <strong>No SSH gateway runs on this server.</strong>
            <p>
              Past sessions are listed from the audit log; live viewing and terminating need a server that
              runs the gateway.
            </p>
          </div>`
    }
    ${d.error ? html`<div class="alert alert-error" role="alert"><strong>${d.error}</strong></div>` : ''}
    <form class="filters" method="get" action="/sessions" aria-label="Filter sessions">
      <div class="field">
        <label for="state">State</label
        ><select id="state" name="state">
          ${opt('', 'Live and past')}${opt('live', `Live now (${d.liveCount})`)}${opt('ended', 'Past')}
        </select>
      </div>
      <div class="field">
        <label for="user">User</label
        ><input type="search" id="user" name="user" value="${v.user}" placeholder="alice@…" />
      </div>
      <div class="field">
        <label for="host">Host</label
        ><input type="search" id="host" name="host" value="${v.host}" placeholder="host name" />
      </div>
      ${timeRangeFields(v)} ${filterActions('/sessions')}
    </form>
    <p class="muted" aria-live="polite">
      ${d.rows.length} session${d.rows.length === 1 ? '' : 's'}, newest first.
    </p>
    ${table(['State', 'User', 'Target', 'What', 'Started', 'Duration', ''], rows, 'No sessions match these filters.', 'Sessions')}`;
}

function facts(s: SessionSummary, verify: VerifyResult | null | 'missing'): SafeHtml {
  const e = s.ended;
  return html`<div class="card">
    <h2>Session</h2>
    <dl class="facts">
      <dt>User</dt>
      <dd>${s.user}</dd>
      <dt>Target</dt>
      <dd><code>${s.login}@${s.host}</code></dd>
      <dt>Grant</dt>
      <dd><a href="/requests/${s.grant}">${s.grant}</a></dd>
      <dt>Kind</dt>
      <dd>${what(s)}</dd>
      ${
        s.clientAddress
          ? html`<dt>From</dt>
              <dd><code>${s.clientAddress}</code></dd>`
          : ''
      }
      <dt>Started</dt>
      <dd>${timeEl(s.startedAt, { seconds: true })}</dd>
      ${
        e
          ? html`<dt>Ended</dt>
              <dd>${timeEl(e.at, { seconds: true })}</dd>
              <dt>Duration</dt>
              <dd>${formatSpan(e.durationMs ?? e.at - s.startedAt)}</dd>
              <dt>Why</dt>
              <dd>${e.reason || '—'}</dd>`
          : ''
      }
      ${
        e?.exitStatus !== undefined
          ? html`<dt>Exit</dt>
              <dd><code>${e.exitStatus}</code></dd>`
          : ''
      }
      ${
        e?.bytesIn !== undefined
          ? html`<dt>Traffic</dt>
              <dd>${e.bytesIn} bytes in, ${e.bytesOut ?? 0} out</dd>`
          : ''
      }
      <dt>Input</dt>
      <dd>${s.recordInput ? 'recorded' : 'not recorded (policy)'}</dd>
      <dt>Recording</dt>
      <dd>${verifyText(s, verify)}</dd>
    </dl>
    <p>
      <a href="/sessions/${s.id}/recording.cast?raw=1">Download the recording</a>
      <span class="muted">(asciicast; <code>asciinema play</code> replays it)</span>
    </p>
    <p><a href="/audit?subject=${encodeURIComponent(s.id)}">Audit entries of this session</a></p>
  </div>`;
}

function verifyText(s: SessionSummary, verify: VerifyResult | null | 'missing'): SafeHtml {
  if (verify === 'missing')
    return html`${badge('missing', 'bad')} <span class="muted">no recording file on this server</span>`;
  if (!verify) return html`<span class="muted">being written</span>`;
  if (verify.ok)
    return html`${badge(verify.sealed ? 'intact' : 'matches checkpoints', 'ok')}
      <span class="muted"
        >${verify.size} bytes; SHA-256 <code title="${verify.sha256}">${verify.sha256.slice(0, 12)}</code> as
        sealed in the audit log${s.ended ? '' : ' (so far)'}</span
      >`;
  return html`${badge('tampered', 'bad')}
    <span>${verify.problem?.message ?? 'does not match the audit log'}</span>`;
}

function markerList(digest: RecordingDigest, id: string, kind: string): SafeHtml {
  if (digest.markers.length === 0)
    return html`<p class="muted">
      No markers:
      ${kind === 'shell' ? 'no command was typed (or input recording is off and nothing was entered)' : 'nothing to mark'}.
    </p>`;
  return html`<ol class="markers" aria-label="Markers">
    ${digest.markers.map(
      (m, i) =>
        html`<li>
          <a
            class="button button-quiet button-small"
            href="/sessions/${id}?t=${m.time.toFixed(2)}"
            data-seek="${m.time.toFixed(3)}"
            data-marker="${i}"
            >${formatOffset(m.time)} ${m.label || 'command'}</a
          >
        </li>`,
    )}
  </ol>`;
}

export function sessionView(d: {
  s: SessionSummary;
  digest: RecordingDigest | null;
  verify: VerifyResult | null | 'missing';
  canTerminate: boolean;
  liveAvailable: boolean;
  csrf: string;
  /** Seconds to start at (a jump from search or a marker link); null: from the start. */
  startAt: number | null;
  maxReason: number;
}): SafeHtml {
  const { s, digest } = d;
  const main: SafeHtml[] = [];
  if (s.state === 'live') {
    main.push(
      html`<h2>Live</h2>
        ${
          d.liveAvailable
            ? html`<div
                  id="live-player"
                  class="player"
                  data-live="/sessions/${s.id}/live"
                  aria-label="Live terminal of the session"
                ></div>
                <p id="live-status" class="muted" aria-live="polite">The live view needs JavaScript.</p>`
            : html`<div class="alert alert-warn" role="status">
                <strong>Live viewing needs a server that runs the gateway.</strong>
              </div>`
        }
        ${
          d.canTerminate
            ? html`<form
                method="post"
                action="/sessions/${s.id}/terminate"
                class="card stacked"
                data-confirm="End this session now? The user is disconnected at once."
              >
                ${csrfField(d.csrf)}
                <h3>End this session</h3>
                <div class="field">
                  <label for="terminate-reason"
                    >Reason <span class="muted">(the user and the audit log see it)</span></label
                  ><input
                    type="text"
                    id="terminate-reason"
                    name="reason"
                    maxlength="${d.maxReason}"
                    required
                    value="Terminated by a security reviewer"
                  />
                </div>
                <div class="actions"><button type="submit">Terminate session</button></div>
              </form>`
            : html`<p class="muted">Ending sessions needs the terminate_sessions permission.</p>`
        }`,
    );
  }
  if (digest && s.state !== 'live' && s.kind === 'sftp') {
    // sftp moves files, not terminal output: its operations are the record.
    const ops = digest.markers.filter((m) => m.label.startsWith('sftp '));
    main.push(
      html`<h2>File operations</h2>
        ${table(
          ['At', 'Operation'],
          ops.map(
            (m) =>
              html`<tr>
                <td class="nowrap">${formatOffset(m.time)}</td>
                <td><code>${m.label.replace(/^sftp /, '')}</code></td>
              </tr>`,
          ),
          'No file was read or written.',
          'File operations',
        )}`,
    );
  } else if (digest && s.state !== 'live') {
    main.push(
      html`<h2>Playback</h2>
        <div class="player-controls">
          <div class="field">
            <label for="speed">Speed</label
            ><select id="speed">
              ${['0.5', '1', '2', '4', '8'].map((x) => html`<option value="${x}" ${x === '1' ? ' selected' : ''}>${x}×</option>`)}
            </select>
          </div>
          <div class="field">
            <label for="idle">Compress idle time</label
            ><select id="idle">
              ${[
                ['0', 'Off'],
                ['1', 'to 1 s'],
                ['2', 'to 2 s'],
                ['5', 'to 5 s'],
              ].map(
                ([value, label]) =>
                  html`<option
                    value="${value}"
                    ${(d.startAt === null ? '2' : '0') === value ? ' selected' : ''}
                  >
                    ${label}
                  </option>`,
              )}
            </select>
          </div>
          <span class="muted"
            >Duration ${formatOffset(digest.duration)} · Space plays and pauses, ← and → seek.</span
          >
        </div>
        <div
          id="player"
          class="player"
          data-cast="/sessions/${s.id}/recording.cast"
          data-start="${d.startAt === null ? '' : d.startAt.toFixed(3)}"
          aria-label="Recording player"
        >
          <p class="muted">
            Playback needs JavaScript;
            <a href="/sessions/${s.id}/recording.cast?raw=1">download the recording</a> to replay it with
            asciinema.
          </p>
        </div>
        <p id="player-status" class="muted" aria-live="polite">
          ${d.startAt === null ? '' : `Playing from ${formatOffset(d.startAt)} (idle time not compressed, so times match the recording).`}
        </p>
        <h3>${s.kind === 'sftp' ? 'File operations' : s.kind === 'exec' ? 'Markers' : 'Commands'}</h3>
        ${markerList(digest, s.id, s.kind)}`,
    );
    if (s.kind === 'exec')
      main.push(
        html`<h2>Command and output</h2>
          <div class="card">
            <dl class="facts">
              <dt>Command</dt>
              <dd><code>${s.command ?? (digest.header?.command as string | undefined) ?? ''}</code></dd>
              <dt>Exit</dt>
              <dd><code>${digest.exit ?? s.ended?.exitStatus ?? '—'}</code></dd>
            </dl>
          </div>
          <h3>Standard output</h3>
          <pre class="wrap exec-output"><code>${digest.stdout || '(none)'}</code></pre>
          ${
            digest.stderr
              ? html`<h3>Standard error</h3>
                  <pre class="wrap exec-output"><code>${digest.stderr}</code></pre>`
              : ''
          }
          ${digest.truncated ? html`<p class="muted">Output shortened; download the recording for all of it.</p>` : ''}`,
      );
  }
  if (!digest && s.state !== 'live')
    main.push(
      html`<div class="alert alert-error" role="alert">
        <strong>The recording is not on this server.</strong>
        <p>Recordings live in the data directory of the server that ran the gateway for this session.</p>
      </div>`,
    );
  return html`<p><a href="/sessions">← Sessions</a></p>
    <div class="page-head">
      <h1>${s.user} → <code>${s.login}@${s.host}</code></h1>
      <div>${stateBadge(s)}</div>
    </div>
    <div class="layout-2">
      <div>${main}</div>
      <aside>${facts(s, d.verify)}</aside>
    </div>`;
}

export function searchView(d: {
  q: string;
  user: string;
  host: string;
  results: SafeHtml | null;
  summary: string | null;
}): SafeHtml {
  return html`<p><a href="/sessions">← Sessions</a></p>
    <h1>Search recordings</h1>
    <p class="lead">
      Finds text in what sessions showed (commands echo, so typed commands are found too). Each match jumps
      the player to its moment.
    </p>
    <form class="filters" method="get" action="/search" data-search-stream="/search/stream" role="search">
      <input type="hidden" name="run" value="1" />
      <div class="field">
        <label for="q">Text</label
        ><input
          type="search"
          id="q"
          name="q"
          value="${d.q}"
          required
          maxlength="1024"
          placeholder="rm -rf, /etc/shadow, curl"
        />
      </div>
      <div class="field">
        <label for="user">User</label><input type="search" id="user" name="user" value="${d.user}" />
      </div>
      <div class="field">
        <label for="host">Host</label><input type="search" id="host" name="host" value="${d.host}" />
      </div>
      <div class="actions"><button type="submit">Search</button></div>
    </form>
    <div aria-live="polite">
      <progress id="search-progress" max="1" value="0" hidden aria-label="Search progress"></progress>
      <p id="search-progress-text" class="muted">${d.summary ?? ''}</p>
    </div>
    <div id="search-results">${d.results ?? ''}</div>`;
}

export function searchResultHtml(
  s: SessionSummary,
  matches: readonly { time: number; snippet: string }[],
  q: string,
): SafeHtml {
  const mark = (text: string): SafeHtml => {
    const i = text.toLowerCase().indexOf(q.toLowerCase());
    if (i < 0) return html`${text}`;
    return html`${text.slice(0, i)}<mark>${text.slice(i, i + q.length)}</mark>${text.slice(i + q.length)}`;
  };
  return html`<section class="card search-hit">
    <h2>
      <a href="/sessions/${s.id}">${s.user} → ${s.login}@${s.host}</a>
      <span class="muted">${timeEl(s.startedAt)}</span>
    </h2>
    <ul class="plain">
      ${matches.map(
        (m) =>
          html`<li>
            <a
              class="button button-quiet button-small"
              href="/sessions/${s.id}?t=${Math.max(0, m.time - 0.5).toFixed(2)}"
              >▶ ${formatOffset(m.time)}</a
            >
            <span class="snippet-text">${mark(m.snippet)}</span>
          </li>`,
      )}
    </ul>
  </section>`;
}
