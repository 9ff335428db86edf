import helmet from 'helmet';

/**
 * Security headers. The CSP allows scripts, styles, images and connections from our
 * own origin only (no inline code anywhere); form submissions may go to our origin
 * and to the IdP (the logout form redirects to its end_session_endpoint).
 *
 * `'wasm-unsafe-eval'` lets the asciinema-player (served from /static) compile the
 * WebAssembly terminal emulator bundled in its own file. It permits WebAssembly
 * compilation only, not `eval()` or inline scripts, and no script from elsewhere.
 */
export function securityHeaders(options: { https: boolean; formTargets: () => string[] }) {
  return helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        'default-src': ["'self'"],
        'script-src': ["'self'", "'wasm-unsafe-eval'"],
        'style-src': ["'self'"],
        'img-src': ["'self'", 'data:'],
        'font-src': ["'self'"],
        'connect-src': ["'self'"],
        'object-src': ["'none'"],
        'base-uri': ["'none'"],
        'frame-ancestors': ["'none'"],
        'form-action': ["'self'", () => options.formTargets().join(' ')],
        ...(options.https ? { 'upgrade-insecure-requests': [] } : {}),
      },
    },
    strictTransportSecurity: options.https ? { maxAge: 31_536_000, includeSubDomains: false } : false,
    referrerPolicy: { policy: 'no-referrer' },
    crossOriginOpenerPolicy: { policy: 'same-origin' },
    crossOriginResourcePolicy: { policy: 'same-origin' },
    xFrameOptions: { action: 'deny' },
  });
}
