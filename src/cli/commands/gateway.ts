import type { Command } from 'commander';
import type { CliIo } from '../io';

/** `breakglass gateway …`, `breakglass ssh-config`, `breakglass recordings …` */
export function registerGatewayCommands(_program: Command, _io: CliIo): void {
  // commands are added as the gateway capability lands
}
