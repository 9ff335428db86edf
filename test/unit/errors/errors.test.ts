import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BreakglassError, ERROR_CODES, hasCode, renderErrorsDoc } from '../../../src/errors';

const DOC = readFileSync(join(__dirname, '../../../docs/errors.md'), 'utf8');

describe('the error table', () => {
  it.each(Object.keys(ERROR_CODES))('documents %s in docs/errors.md', (code) => {
    expect(DOC).toContain(`| \`${code}\` |`);
  });

  it('keeps docs/errors.md identical to what `npm run docs` generates', () => {
    expect(DOC).toBe(renderErrorsDoc());
  });

  it.each(Object.entries(ERROR_CODES))('gives %s a status, an exposure and a one-line doc', (_code, spec) => {
    expect(spec.status).toBeGreaterThanOrEqual(400);
    expect(spec.status).toBeLessThan(600);
    expect(spec.doc.length).toBeGreaterThan(10);
    expect(spec.doc).not.toMatch(/\n/);
  });
});

describe('BreakglassError', () => {
  it('takes status and exposure from the table', () => {
    const err = new BreakglassError('STORE_CONFLICT', 'version moved', { details: { key: 'k' } });
    expect(err.status).toBe(409);
    expect(err.expose).toBe(true);
    expect(err.toPublic()).toEqual({
      code: 'STORE_CONFLICT',
      message: 'version moved',
      details: { key: 'k' },
    });
    expect(hasCode(err, 'STORE_CONFLICT')).toBe(true);
    expect(err).toBeInstanceOf(Error);
  });

  it('hides the message of errors that are not exposed', () => {
    const err = new BreakglassError('INTERNAL', 'database password is hunter2');
    expect(err.toPublic()).toEqual({ code: 'INTERNAL', message: 'internal error' });
  });

  it('refuses a code that is not in the table', () => {
    expect(() => new BreakglassError('NOPE' as never, 'x')).toThrow(TypeError);
  });
});
