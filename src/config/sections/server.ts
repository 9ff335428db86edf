import { z } from 'zod';
import { port } from '../types';

export const serverSection = z
  .strictObject({
    listen: z.string().default('127.0.0.1').describe('Address the HTTP(S) server binds to.'),
    port: port().default(8080).describe('Port of the web UI and API (0 picks a free port).'),
    public_url: z
      .url({ protocol: /^https?$/ })
      .optional()
      .describe('URL users reach the web UI at (used in links and OIDC redirects); defaults to http://LISTEN:PORT.'),
    body_limit_bytes: z.number().int().min(1024).max(10_485_760).default(65_536).describe('Largest accepted HTTP request body.'),
  })
  .describe('HTTP server for the web UI, the API, health checks and metrics.');
