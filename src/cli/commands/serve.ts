import type { Command } from 'commander';
import { loadConfig } from '../../config';
import { startBreakglass } from '../../main';
import { DEV_CONFIG_OVERRIDES } from '../../web';
import type { CliIo } from '../io';
import { configFileFrom } from '../options';

/** Settings `serve --dev` applies under the file and the environment: a local, self-contained setup. */
export const DEV_OVERRIDES = { ...DEV_CONFIG_OVERRIDES, log: { format: 'pretty' } };

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
      const node = await startBreakglass(config);
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
