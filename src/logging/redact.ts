/** Keys whose values are never logged, whatever they hold. */
export const SECRET_KEY_RE =
  /pass(word|phrase)?|secret|token|private_?key|privkey|authorization|cookie|api_?key|credential|session_?id|^sig(nature)?$|^jws$/i;
export const REDACTED = '[redacted]';
const MIN_SECRET_LENGTH = 4;
const MAX_DEPTH = 8;

/**
 * Redacts secrets from a log record: values under secret-looking keys, and every
 * occurrence of a configured secret value (e.g. the Redis password) inside any
 * string, including messages and error stacks. Returns a new object.
 */
export function createRedactor(secretValues: readonly string[]): (value: unknown) => unknown {
  const needles = [...new Set(secretValues.filter((s) => s.length >= MIN_SECRET_LENGTH))].sort(
    (a, b) => b.length - a.length,
  );
  const scrubString = (s: string): string => {
    let out = s;
    for (const n of needles) if (out.includes(n)) out = out.split(n).join(REDACTED);
    // Bearer tokens and PEM/OpenSSH private key blocks that slipped into free text.
    out = out.replace(/(Bearer\s+)[A-Za-z0-9._~+/=-]{8,}/g, `$1${REDACTED}`);
    out = out.replace(
      /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(-----END [A-Z ]*PRIVATE KEY-----|$)/g,
      REDACTED,
    );
    return out;
  };
  const walk = (value: unknown, depth: number, seen: WeakSet<object>): unknown => {
    if (typeof value === 'string') return scrubString(value);
    if (typeof value !== 'object' || value === null) return value;
    if (seen.has(value) || depth > MAX_DEPTH) return '[…]';
    seen.add(value);
    if (Buffer.isBuffer(value)) return `[${value.length} bytes]`;
    if (Array.isArray(value)) return value.map((v) => walk(v, depth + 1, seen));
    if (value instanceof Error) {
      return {
        name: value.name,
        message: scrubString(value.message),
        code: (value as { code?: unknown }).code,
        stack: value.stack ? scrubString(value.stack) : undefined,
      };
    }
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      out[k] =
        SECRET_KEY_RE.test(k) &&
        v !== undefined &&
        v !== null &&
        typeof v !== 'boolean' &&
        typeof v !== 'number'
          ? REDACTED
          : walk(v, depth + 1, seen);
    }
    return out;
  };
  return (value) => walk(value, 0, new WeakSet());
}
