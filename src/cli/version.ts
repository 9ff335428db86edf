import { readFileSync } from 'node:fs';
import { join } from 'node:path';

function readVersion(): string {
  // dist/src/cli → package.json three levels up; src/cli (ts-jest) → two levels up.
  for (const rel of ['../../../package.json', '../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(join(__dirname, rel), 'utf8')) as {
        name?: string;
        version?: string;
      };
      if (pkg.name === 'breakglass' && pkg.version) return pkg.version;
    } catch {
      // try the next location
    }
  }
  return '0.0.0-unknown';
}

export const VERSION = readVersion();
