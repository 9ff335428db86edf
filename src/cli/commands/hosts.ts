import type { Command } from 'commander';
import type { CliIo } from '../io';

/** `breakglass hosts …` */
export function registerHostsCommands(_program: Command, _io: CliIo): void {
  // commands are added as the access capability lands
}
