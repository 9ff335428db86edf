import { z } from 'zod';
import { port } from '../types';

export const serverSection = z
  .strictObject({
    listen: z.string().default('127.0.0.1').describe('Address the HTTP(S) server binds to.'),
    port: port().default(8080).describe('Port of the web UI and API (0 picks a free port).'),
    public_url: z
      .url({ protocol: /^https?$/ })
      .optional()
      .describe(
        'URL users reach the web UI at (used in links, OIDC redirects and as the API token issuer); defaults to http(s)://LISTEN:PORT.',
      ),
    body_limit_bytes: z
      .number()
      .int()
      .min(1024)
      .max(10_485_760)
      .default(65_536)
      .describe('Largest accepted HTTP request body.'),
    trust_proxy: z
      .number()
      .int()
      .min(0)
      .max(10)
      .default(0)
      .describe(
        'Number of reverse proxies in front of Breakglass whose X-Forwarded-For/-Proto are trusted (client addresses for rate limits, https detection). 0: none.',
      ),
    tls: z
      .strictObject({
        cert_file: z
          .string()
          .min(1)
          .optional()
          .describe(
            'PEM certificate (chain) for HTTPS, relative to certs_dir. With key_file, the server speaks HTTPS only.',
          ),
        key_file: z
          .string()
          .min(1)
          .optional()
          .describe('PEM private key for HTTPS, relative to certs_dir (mode 0600).'),
        dev_certificate: z
          .boolean()
          .default(false)
          .describe(
            'When cert_file/key_file are unset, create a self-signed development certificate (dev-tls.crt/dev-tls.key in certs_dir) and serve HTTPS. `serve --dev` turns it on.',
          ),
      })
      .prefault({})
      .describe('HTTPS. Cookies are marked Secure whenever the public URL is https.'),
  })
  .describe('HTTP server for the web UI, the API, health checks and metrics.');

export type ServerConfig = z.output<typeof serverSection>;
