import type { Command } from 'commander';
import { checkConfig } from '../../config';
import { CliExit, type CliIo } from '../io';
import { configFileFrom } from '../options';

/** `breakglass config check [FILE]`: every problem as `path.to.key: problem (accepted)`, exit 2; exit 0 when valid. */
export function registerConfigCommands(program: Command, io: CliIo): void {
  const config = program.command('config').description('Inspect the configuration');
  config
    .command('check [file]')
    .description(
      'validate a configuration file (default: $BREAKGLASS_CONFIG or ./breakglass.yaml) together with BREAKGLASS_* environment overrides',
    )
    .action((file: string | undefined) => {
      const path = configFileFrom(file, io);
      const problems = checkConfig({ file: path, env: io.env });
      if (problems.length > 0) {
        for (const p of problems) io.err(`${p.path}: ${p.message}\n`);
        io.err(`${path ?? '(defaults)'}: ${problems.length} problem${problems.length === 1 ? '' : 's'}\n`);
        throw new CliExit(2);
      }
      io.out(`${path ?? '(defaults)'}: configuration is valid\n`);
    });
}
