import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { CliIo } from './io';

/** The configuration file: the flag, else $BREAKGLASS_CONFIG, else ./breakglass.yaml if it exists, else none. */
export function configFileFrom(flag: string | undefined, io: CliIo): string | undefined {
  if (flag) return resolve(io.cwd, flag);
  if (io.env.BREAKGLASS_CONFIG) return resolve(io.cwd, io.env.BREAKGLASS_CONFIG);
  const fallback = resolve(io.cwd, 'breakglass.yaml');
  return existsSync(fallback) ? fallback : undefined;
}
