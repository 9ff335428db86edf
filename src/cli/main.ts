import { Command, CommanderError } from 'commander';
import { isBreakglassError } from '../errors';
import { registerAuditCommands } from './commands/audit';
import { registerCaCommands } from './commands/ca';
import { registerConfigCommands } from './commands/config';
import { registerGatewayCommands } from './commands/gateway';
import { registerHostsCommands } from './commands/hosts';
import { registerIdentityCommands } from './commands/identity';
import { registerPolicyCommands } from './commands/policy';
import { registerServeCommand } from './commands/serve';
import { CliExit, processIo, type CliIo } from './io';
import { VERSION } from './version';

/** Builds the command tree. Each capability registers its own sub-commands. */
export function buildProgram(io: CliIo): Command {
  const program = new Command('breakglass')
    .description(
      'Breakglass: just-in-time SSH access with certificates, recordings and a tamper-evident audit log',
    )
    .version(VERSION, '-V, --version')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) })
    .showHelpAfterError('(run with --help for usage)');
  registerServeCommand(program, io);
  registerConfigCommands(program, io);
  registerCaCommands(program, io);
  registerPolicyCommands(program, io);
  registerAuditCommands(program, io);
  registerIdentityCommands(program, io);
  registerHostsCommands(program, io);
  registerGatewayCommands(program, io);
  for (const cmd of program.commands) cmd.exitOverride();
  return program;
}

/**
 * Runs the CLI and resolves with the exit code: 0 success, 1 a check failed,
 * 2 bad usage or invalid input (nothing was changed).
 */
export async function run(argv: string[], io: CliIo = processIo()): Promise<number> {
  const program = buildProgram(io);
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (err) {
    return exitCodeFor(err, io);
  }
}

function exitCodeFor(err: unknown, io: CliIo): number {
  if (err instanceof CliExit) return err.exitCode;
  if (err instanceof CommanderError) {
    if (
      err.code === 'commander.helpDisplayed' ||
      err.code === 'commander.version' ||
      err.code === 'commander.help'
    )
      return 0;
    return 2; // commander already printed the problem
  }
  if (isBreakglassError(err)) {
    io.err(`breakglass: ${err.code}: ${err.message}\n`);
    return err.status >= 500 && err.code !== 'CONFIG_INVALID' && err.code !== 'CONFIG_UNREADABLE' ? 1 : 2;
  }
  io.err(`breakglass: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  return 1;
}
