import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REFERENCE_END, REFERENCE_START, renderConfigReference } from '../src/config';
import { renderErrorsDoc } from '../src/errors';

/** Regenerates docs/errors.md and the configuration reference in README.md. */
export function replaceBetweenMarkers(text: string, body: string): string {
  const start = text.indexOf(REFERENCE_START);
  const end = text.indexOf(REFERENCE_END);
  if (start < 0 || end < start) throw new Error('README.md lacks the configuration reference markers');
  return `${text.slice(0, start + REFERENCE_START.length)}\n${body}\n${text.slice(end)}`;
}

function main(): void {
  const root = join(__dirname, '..', '..');
  writeFileSync(join(root, 'docs', 'errors.md'), renderErrorsDoc());
  const readmePath = join(root, 'README.md');
  writeFileSync(readmePath, replaceBetweenMarkers(readFileSync(readmePath, 'utf8'), renderConfigReference()));
  process.stdout.write('docs/errors.md and the README configuration reference are up to date\n');
}

if (require.main === module) main();
