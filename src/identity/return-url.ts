const MAX_RETURN_LENGTH = 2048;
const BASE = 'http://breakglass.invalid';

/**
 * Accepts only a same-origin relative path (`/requests/42?tab=a#x`) as a return URL
 * after login and returns it normalised; anything else (absolute or scheme-relative
 * URLs, backslashes, control characters, encoded tricks) returns null, so callers
 * fall back to `/`. Pure.
 */
export function safeReturnPath(input: unknown): string | null {
  if (typeof input !== 'string' || input.length === 0 || input.length > MAX_RETURN_LENGTH) return null;
  if (!input.startsWith('/') || input.startsWith('//')) return null;
  // Browsers treat "\" like "/" and drop tabs/newlines: refuse them outright.
  // eslint-disable-next-line no-control-regex
  if (/[\\\u0000-\u0020\u007f]/.test(input)) return null;
  let url: URL;
  try {
    url = new URL(input, BASE);
  } catch {
    return null;
  }
  if (url.origin !== BASE) return null;
  const path = url.pathname + url.search + url.hash;
  if (!path.startsWith('/') || path.startsWith('//') || path.includes('\\')) return null;
  // Login and logout pages themselves are not destinations.
  if (/^\/auth(\/|$)/.test(url.pathname)) return null;
  return path;
}
