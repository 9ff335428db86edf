import type { Command } from 'commander';
import type { CliIo } from '../io';

/** `breakglass login|whoami|logout|dev-idp` */
export function registerIdentityCommands(_program: Command, _io: CliIo): void {
  // commands are added as the identity capability lands
}
