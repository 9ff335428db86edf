import type { Command } from 'commander';
import type { CliIo } from '../io';

/** `breakglass audit …` */
export function registerAuditCommands(_program: Command, _io: CliIo): void {
  // commands are added as the audit capability lands
}
