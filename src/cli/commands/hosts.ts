import type { Command } from 'commander';
import { parseDuration } from '../../config';
import { BreakglassError } from '../../errors';
import { createApiClient, readCredentials } from '../../identity';
import type { CliIo } from '../io';

/** `env=prod,role=db` → `{ env: 'prod', role: 'db' }`. */
export function parseLabels(text: string): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const part of text.split(',')) {
    const eq = part.indexOf('=');
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (eq <= 0 || key === '' || value === '')
      throw new BreakglassError(
        'CLI_USAGE',
        `--labels ${JSON.stringify(text)}: expected key=value pairs separated by commas (e.g. env=prod,role=db)`,
      );
    if (Object.prototype.hasOwnProperty.call(labels, key))
      throw new BreakglassError('CLI_USAGE', `--labels: ${key} is given twice`);
    labels[key] = value;
  }
  return labels;
}

/** The server and token of the last `breakglass login` (overridable with --server / BREAKGLASS_TOKEN). */
function session(io: CliIo, server?: string) {
  const envToken = io.env.BREAKGLASS_TOKEN;
  if (envToken && server) return { server, token: envToken, caFile: io.env.BREAKGLASS_CA_FILE };
  const creds = readCredentials(io.env);
  return { server: server ?? creds.server, token: envToken ?? creds.token, caFile: creds.ca_file };
}

/**
 * `breakglass hosts …`: talks to the server's API with the credentials kept by
 * `breakglass login` (or BREAKGLASS_TOKEN with --server, for pipelines). Join tokens
 * are made by the server so that their hashes live in the shared store and every
 * replica can accept them.
 */
export function registerHostsCommands(program: Command, io: CliIo): void {
  const hosts = program
    .command('hosts')
    .description('registration of immutable hosts (join tokens) and the registered inventory');

  hosts
    .command('token')
    .description(
      'create a one-time join token a booting host trades for its host certificate (needs manage_hosts)',
    )
    .requiredOption('--labels <pairs>', 'labels the host gets, e.g. env=prod,role=db')
    .option('--ttl <duration>', 'how long the token is valid, e.g. 1h (default: access.hosts.join_token_ttl)')
    .option(
      '--name <host>',
      'only this host name may register with it (and may replace an earlier registration)',
    )
    .option('--server <url>', 'Breakglass server URL (default: the one of the last login)')
    .option('--json', 'print the answer as JSON')
    .action(
      async (opts: { labels: string; ttl?: string; name?: string; server?: string; json?: boolean }) => {
        const labels = parseLabels(opts.labels);
        if (opts.ttl !== undefined && parseDuration(opts.ttl) === null)
          throw new BreakglassError(
            'CLI_USAGE',
            `--ttl ${JSON.stringify(opts.ttl)} is not a duration (accepted: e.g. 30m, 1h, 2d)`,
          );
        const s = session(io, opts.server);
        const api = createApiClient(s.server, { caFile: s.caFile });
        const answer = await api.call('POST', '/api/v1/hosts/tokens', {
          token: s.token,
          body: { labels, ...(opts.ttl ? { ttl: opts.ttl } : {}), ...(opts.name ? { name: opts.name } : {}) },
        });
        if (opts.json) {
          io.out(`${JSON.stringify(answer, null, 2)}\n`);
          return;
        }
        io.out(`${String(answer.token)}\n`);
        io.err(
          `join token ${String(answer.id)} for labels ${Object.entries(labels)
            .map(([k, v]) => `${k}=${v}`)
            .join(',')}` +
            `${opts.name ? ` (host ${opts.name} only)` : ''}, single use, valid until ${String(answer.expires_at)}\n` +
            `the host registers with: POST ${s.server}/api/v1/hosts/register (see docs/hosts.md)\n`,
        );
      },
    );

  hosts
    .command('list')
    .description('registered hosts (with their expiry) and hosts tainted by human sessions')
    .option('--server <url>', 'Breakglass server URL (default: the one of the last login)')
    .option('--json', 'print the answer as JSON')
    .action(async (opts: { server?: string; json?: boolean }) => {
      const s = session(io, opts.server);
      const api = createApiClient(s.server, { caFile: s.caFile });
      const answer = await api.call('GET', '/api/v1/hosts', { token: s.token });
      if (opts.json) {
        io.out(`${JSON.stringify(answer, null, 2)}\n`);
        return;
      }
      const registered = (answer.registered ?? []) as Array<Record<string, unknown>>;
      const tainted = (answer.tainted ?? []) as Array<Record<string, unknown>>;
      io.out(`registered hosts: ${registered.length}\n`);
      for (const h of registered) {
        const labels = Object.entries((h.labels ?? {}) as Record<string, string>)
          .map(([k, v]) => `${k}=${v}`)
          .join(',');
        io.out(
          `  ${String(h.name)}  ${String(h.address)}:${String(h.port)}  ${labels}  expires ${String(h.expires_at)}\n`,
        );
      }
      io.out(`tainted hosts: ${tainted.length}\n`);
      for (const t of tainted)
        io.out(
          `  ${String(t.host)}  since ${String(t.first_at)}  sessions ${String(t.sessions)}  last ${String(t.last_session)}\n`,
        );
    });
}
