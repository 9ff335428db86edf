import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { NextFunction, Request, Response } from 'express';

interface Asset {
  readonly type: string;
  readonly body: Buffer;
  readonly etag: string;
}

/** Our own files (src/web/public, shipped next to dist/) and the pinned asciinema-player bundle. */
const OWN_FILES: Record<string, string> = {
  'app.css': 'text/css; charset=utf-8',
  'ui.js': 'text/javascript; charset=utf-8',
  'favicon.svg': 'image/svg+xml',
};
const PLAYER_FILES: Record<string, [string, string]> = {
  'asciinema-player.min.js': [
    'asciinema-player/dist/bundle/asciinema-player.min.js',
    'text/javascript; charset=utf-8',
  ],
  'asciinema-player.css': ['asciinema-player/dist/bundle/asciinema-player.css', 'text/css; charset=utf-8'],
};

/** The directory of our static files: `src/web/public` of the package (from src/ under ts-jest, or dist/src/). */
export function publicDir(from = __dirname): string {
  for (let dir = from, i = 0; i < 6; i++, dir = dirname(dir)) {
    const candidate = join(dir, 'src', 'web', 'public');
    if (existsSync(join(candidate, 'app.css'))) return candidate;
  }
  throw new TypeError(
    `static files not found: src/web/public/app.css is missing above ${from} (ship src/web/public with dist/)`,
  );
}

function asset(type: string, body: Buffer): Asset {
  return { type, body, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 16)}"` };
}

/** Reads every asset (once per app: they never change while the process runs). */
function loadAssets(): Map<string, Asset> {
  const out = new Map<string, Asset>();
  const dir = publicDir();
  for (const [name, type] of Object.entries(OWN_FILES))
    out.set(name, asset(type, readFileSync(join(dir, name))));
  for (const [name, [module, type]] of Object.entries(PLAYER_FILES)) {
    let path: string;
    try {
      path = require.resolve(module);
    } catch {
      path = resolve(dir, '../../../node_modules', module);
    }
    out.set(name, asset(type, readFileSync(path)));
  }
  return out;
}

/**
 * Static assets under /static with an ETag: our stylesheet and page script, and the
 * asciinema-player bundle (no CDN). The CSP allows only these same-origin files (no
 * inline styles or scripts). Files are read at start-up so a missing one stops it.
 */
export function staticAssets() {
  const assets = loadAssets();
  return (req: Request, res: Response, next: NextFunction): void => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return next();
    const name = req.path.replace(/^\//, '');
    const found = assets.get(name);
    if (!found) return next();
    res.setHeader('ETag', found.etag);
    res.setHeader('Cache-Control', 'public, max-age=300');
    if (req.headers['if-none-match'] === found.etag) {
      res.status(304).end();
      return;
    }
    res.type(found.type).send(found.body);
  };
}
