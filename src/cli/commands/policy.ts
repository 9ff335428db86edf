import type { Command } from 'commander';
import type { CliIo } from '../io';

/** `breakglass policy …` */
export function registerPolicyCommands(_program: Command, _io: CliIo): void {
  // commands are added as the policy capability lands
}
