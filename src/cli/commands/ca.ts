import type { Command } from 'commander';
import type { CliIo } from '../io';

/** `breakglass ca …` */
export function registerCaCommands(_program: Command, _io: CliIo): void {
  // commands are added as the ca capability lands
}
