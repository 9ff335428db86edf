import { createHash } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';

/**
 * Static assets, kept in the code so the built server (dist/ only, as in the Docker
 * image) has them. Served under /static with an ETag; the CSP allows only these
 * same-origin files (no inline styles or scripts).
 */
const ASSETS: Record<string, { type: string; body: string }> = {
  'app.css': {
    type: 'text/css; charset=utf-8',
    body: `/* Breakglass web UI */
:root { color-scheme: light dark; --accent: #b3261e; --muted: #777; }
body { font: 16px/1.5 system-ui, sans-serif; margin: 0; }
header { display: flex; align-items: center; justify-content: space-between; padding: 0.75rem 1.5rem; border-bottom: 1px solid #8884; }
header .brand { font-weight: 700; color: var(--accent); text-decoration: none; }
nav { display: flex; gap: 0.75rem; align-items: center; }
main { max-width: 48rem; margin: 2rem auto; padding: 0 1.5rem; }
.muted { color: var(--muted); }
.error-page h1 { font-size: 3rem; margin-bottom: 0; }
button, .button { font: inherit; padding: 0.4rem 1rem; border: 1px solid var(--accent); background: var(--accent); color: #fff; border-radius: 4px; cursor: pointer; text-decoration: none; }
form.inline { display: inline; }
dl.subject { display: grid; grid-template-columns: max-content 1fr; gap: 0.25rem 1rem; }
dl.subject dt { font-weight: 600; }
`,
  },
};

const ETAGS = new Map(
  Object.entries(ASSETS).map(([name, a]) => [
    name,
    `"${createHash('sha256').update(a.body).digest('base64url').slice(0, 16)}"`,
  ]),
);

export function staticAssets() {
  return (req: Request, res: Response, next: NextFunction): void => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return next();
    const name = req.path.replace(/^\//, '');
    const asset = Object.prototype.hasOwnProperty.call(ASSETS, name) ? ASSETS[name] : undefined;
    if (!asset) return next();
    const etag = ETAGS.get(name)!;
    res.setHeader('ETag', etag);
    res.setHeader('Cache-Control', 'public, max-age=300');
    if (req.headers['if-none-match'] === etag) {
      res.status(304).end();
      return;
    }
    res.type(asset.type).send(asset.body);
  };
}
