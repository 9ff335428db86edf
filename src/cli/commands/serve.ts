import type { Command } from 'commander';
import type { CliIo } from '../io';

/** `breakglass serve`: wired in src/serve.ts once the store lands. */
export function registerServeCommand(program: Command, _io: CliIo): void {
  program.command('serve').description('run the Breakglass server');
}
