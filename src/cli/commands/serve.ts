import type { Command } from 'commander';
import { loadConfig } from '../../config';
import { startBreakglass, type Breakglass } from '../../main';
import { DEV_CONFIG_OVERRIDES } from '../../web';
import type { CliIo } from '../io';
import { configFileFrom } from '../options';

/** Settings `serve --dev` applies under the file and the environment: a local, self-contained setup. */
export const DEV_OVERRIDES = {
  ...DEV_CONFIG_OVERRIDES,
  // The demo host's sshd reads the KRL as RevokedKeys (a missing file refuses every key).
  access: { krl_file: 'revoked_keys.krl' },
  log: { format: 'pretty' },
};

/** What `serve --dev` prints once everything runs: where to go and who to be. */
export function devWelcome(node: Breakglass): string {
  const gw = node.gateway ? `${node.gateway.address.host}:${node.gateway.address.port}` : 'off';
  const lines = [
    '',
    'Development mode: demo users and keys, never for production.',
    `  Web UI:      ${node.url}  (self-signed development certificate)`,
    `  SSH gateway: ${gw}`,
    '  Demo users (password = the name): alice (admin), bob (approver), carol (security reviewer), dave (on-call, MFA)',
  ];
  if (node.demoHost) {
    lines.push(
      `  Demo host:   demo (${node.demoHost.address}:${node.demoHost.port}), accepts the login ${node.demoHost.login}`,
      `Next: log in as alice@example.com, request access to demo as ${node.demoHost.login}; log in as bob@example.com to approve;`,
      '      then issue a certificate on the grant page and connect with the ssh command it shows.',
    );
  } else {
    lines.push("  Demo host:   not running (needs /usr/sbin/sshd from Debian's openssh-server)");
  }
  return `${lines.join('\n')}\n`;
}

/** `breakglass serve [--config FILE] [--dev]`: runs until SIGINT/SIGTERM. */
export function registerServeCommand(program: Command, io: CliIo): void {
  program
    .command('serve')
    .description('run the Breakglass server (web UI and API, health checks, metrics)')
    .option('-c, --config <file>', 'configuration file (default: $BREAKGLASS_CONFIG or ./breakglass.yaml)')
    .option('--dev', 'development defaults: embedded store, generated keys, example policies, pretty logs')
    .action(async (opts: { config?: string; dev?: boolean }) => {
      const config = loadConfig({
        file: configFileFrom(opts.config, io),
        env: io.env,
        overrides: opts.dev ? DEV_OVERRIDES : {},
      });
      const node = await startBreakglass(config, { demoHost: opts.dev === true });
      if (opts.dev) io.out(devWelcome(node));
      io.out(
        `Breakglass is running at ${node.url} (health: ${node.url}/healthz, metrics: ${node.url}/metrics). Ctrl-C stops it.\n`,
      );
      await new Promise<void>((resolve) => {
        const reload = () => void node.reloadPolicy('sighup');
        const stop = () => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          process.off('SIGHUP', reload);
          void node.close().then(resolve, resolve);
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
        process.on('SIGHUP', reload);
      });
    });
}
