import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REFERENCE_END, REFERENCE_START, configKeys, renderConfigReference } from '../../../src/config';

const README = readFileSync(join(__dirname, '../../../README.md'), 'utf8');

describe('the README configuration reference', () => {
  it('is exactly what the schema generates (run `npm run docs` after changing the schema)', () => {
    const start = README.indexOf(REFERENCE_START);
    const end = README.indexOf(REFERENCE_END);
    expect(start).toBeGreaterThan(0);
    expect(end).toBeGreaterThan(start);
    expect(README.slice(start + REFERENCE_START.length, end).trim()).toBe(renderConfigReference().trim());
  });

  it.each(configKeys().map((k) => k.path))('lists %s', (path) => {
    expect(README).toContain(`| \`${path}\` |`);
  });
});
