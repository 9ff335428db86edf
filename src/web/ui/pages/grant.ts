import type { RequestView } from '../../../access';
import { csrfField, snippet, standing, targetText } from '../components';
import { countdownEl, timeEl } from '../format';
import { html, type SafeHtml } from '../html';

export interface GatewayInfo {
  readonly host: string;
  readonly port: number;
  /** The gateway's known_hosts line, or null when this node runs no gateway. */
  readonly knownHostsLine: string | null;
}

export interface IssuedCert {
  readonly certificate: string;
  readonly serial: string;
  readonly at: number;
}

/** The private key file that usually goes with a public key type. */
export function keyFileFor(certificate: string | null): string {
  const type = certificate?.split(' ')[0] ?? '';
  if (type.startsWith('ecdsa')) return '~/.ssh/id_ecdsa';
  if (type.startsWith('ssh-rsa') || type.startsWith('rsa')) return '~/.ssh/id_rsa';
  return '~/.ssh/id_ed25519';
}

/** File name for a grant's certificate (also the download's name). */
export const certFileName = (grantId: string) => `breakglass-${grantId}-cert.pub`;

/** Copy-ready connection details for one host of the grant. */
export function connectionSnippets(d: {
  grantId: string;
  login: string;
  host: string;
  gateway: GatewayInfo;
  keyFile: string;
}): { command: string; config: string; alias: string } {
  const { gateway } = d;
  const cert = `~/.ssh/${certFileName(d.grantId)}`;
  const alias = `breakglass-${d.host}`;
  const portArg = gateway.port === 22 ? '' : ` -p ${gateway.port}`;
  const command = `ssh -i ${d.keyFile} -o CertificateFile=${cert} -o UserKnownHostsFile=~/.ssh/known_hosts_breakglass${portArg} ${d.login}@${d.host}@${gateway.host}`;
  const config = [
    `Host ${alias}`,
    `  HostName ${gateway.host}`,
    `  Port ${gateway.port}`,
    `  User ${d.login}@${d.host}`,
    `  IdentityFile ${d.keyFile}`,
    `  CertificateFile ${cert}`,
    '  IdentitiesOnly yes',
    '  UserKnownHostsFile ~/.ssh/known_hosts_breakglass',
  ].join('\n');
  return { command, config, alias };
}

export function grantView(d: {
  request: RequestView;
  issued: IssuedCert | null;
  gateway: GatewayInfo;
  csrf: string;
  now: number;
  publicKey?: string;
  keyError?: string;
}): SafeHtml {
  const r = d.request;
  const usable = r.status === 'active' && r.grant !== null;
  const head = html`<p><a href="/requests/${r.id}">← Request</a></p>
    <div class="page-head"><h1>Your grant: ${r.login} on ${targetText(r)}</h1></div>`;
  if (!usable)
    return html`${head}
      <div class="alert alert-warn" role="status">
        <strong>This grant cannot be used (${r.status}).</strong>
        <p>${r.summary}</p>
        <p>
          Certificates are issued only while a grant is active.
          <a href="/requests/new">Request access again</a> if you still need it.
        </p>
      </div>`;
  const keyFile = keyFileFor(d.issued?.certificate ?? d.publicKey ?? null);
  const hosts = r.hosts.slice(0, 10);
  const issueBody = html` <p>
      Paste your <strong>public</strong> key (the <code>.pub</code> file), or choose the file. The certificate
      is valid until the grant ends and only through the gateway. Never paste a private key.
    </p>
    <form method="post" action="/grants/${r.id}/certificate" class="stacked">
      ${csrfField(d.csrf)}
      <div class="field">
        <label for="public_key">Public key</label>
        <textarea
          id="public_key"
          name="public_key"
          class="mono"
          required
          spellcheck="false"
          autocomplete="off"
          placeholder="ssh-ed25519 AAAAC3Nza… you@laptop"
          ${d.keyError ? html` aria-invalid="true" aria-describedby="key-error"` : ''}
        >
${d.publicKey ?? ''}</textarea>
        ${d.keyError ? html`<span class="field-error" id="key-error">${d.keyError}</span>` : ''}
        <span class="hint"
          >Find it with <code>cat ~/.ssh/id_ed25519.pub</code>; make one with
          <code>ssh-keygen -t ed25519</code>.</span
        >
      </div>
      <div class="field" hidden data-show-with-script>
        <label for="public_key_file">…or choose the file</label>
        <input type="file" id="public_key_file" accept=".pub,text/plain" data-file-into="public_key" />
      </div>
      <div class="actions"><button type="submit">Issue certificate</button></div>
    </form>`;
  const issueForm = d.issued
    ? html`<details class="card" ${d.keyError ? ' open' : ''}>
        <summary><strong>Issue another certificate</strong> (another key or computer)</summary>
        ${issueBody}
      </details>`
    : html`<section class="card" aria-labelledby="issue-title">
        <h2 id="issue-title">1. Issue a certificate</h2>
        ${issueBody}
      </section>`;
  const cert = d.issued
    ? html`<section aria-labelledby="cert-title">
        <h2 id="cert-title">1. Your certificate</h2>
        <p>
          Serial <code>${d.issued.serial}</code>, issued ${timeEl(d.issued.at)}; valid until
          ${timeEl(r.grant!.ends_at)} (${countdownEl(r.grant!.ends_at, d.now)}).
        </p>
        <div class="actions">
          <a class="button" href="/grants/${r.id}/certificate" download="${certFileName(r.id)}"
            >Download certificate</a
          >
          <span class="muted">Save it as <code>~/.ssh/${certFileName(r.id)}</code>.</span>
        </div>
        ${snippet('certificate', 'Certificate', d.issued.certificate, undefined, { wrap: true })}
      </section>`
    : html``;
  const connect = hosts.map((host) => {
    const s = connectionSnippets({ grantId: r.id, login: r.login, host, gateway: d.gateway, keyFile });
    return html`${hosts.length > 1 ? html`<h3>${host}</h3>` : ''}
    ${snippet(`cmd-${host}`, 'Command', s.command, html`Runs a shell on ${host} as ${r.login}, through the recording gateway. Add a command at the end to run just that.`, { wrap: true })}
    ${snippet(`cfg-${host}`, '~/.ssh/config', s.config, html`Then connect with <code>ssh ${s.alias}</code>.`)}`;
  });
  const known = d.gateway.knownHostsLine
    ? snippet(
        'known-hosts',
        'Gateway host key (known_hosts)',
        d.gateway.knownHostsLine,
        html`Add this line to <code>~/.ssh/known_hosts_breakglass</code> once, so ssh can check that it talks
          to the real gateway.`,
        { wrap: true },
      )
    : html`<div class="alert alert-warn" role="status">
        <strong>The SSH gateway is not running on this server.</strong>
        <p>Ask the operators for the gateway's host key line before you connect.</p>
      </div>`;
  return html`${head}
    <div class="alert alert-ok" role="status"><strong>Access granted</strong>${standing(r, d.now)}</div>
    ${cert} ${issueForm}
    <section aria-labelledby="connect-title">
      <h2 id="connect-title">2. Connect through the gateway</h2>
      ${known} ${connect}
    </section>`;
}
