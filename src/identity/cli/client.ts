import { readFileSync } from 'node:fs';
import { BreakglassError, ERROR_CODES, type ErrorCode } from '../../errors';
import { HttpFailure, httpRequest, jsonObject } from '../http';

/** A tiny JSON client for the Breakglass API, as the CLI uses it. */
export interface ApiClient {
  call(
    method: 'GET' | 'POST',
    path: string,
    options?: { token?: string; body?: unknown },
  ): Promise<Record<string, unknown>>;
}

export function normalizeServer(server: string): string {
  let url: URL;
  try {
    url = new URL(server);
  } catch {
    throw new BreakglassError(
      'CLI_USAGE',
      `--server ${JSON.stringify(server)} is not a URL (accepted: https://host[:port] or http://host[:port])`,
    );
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw new BreakglassError('CLI_USAGE', `--server must be an http(s) URL, got ${url.protocol}`);
  if (url.username || url.password)
    throw new BreakglassError('CLI_USAGE', '--server must not contain a user name or password');
  return url.origin + url.pathname.replace(/\/+$/, '');
}

export function createApiClient(
  server: string,
  options: { caFile?: string; timeoutMs?: number } = {},
): ApiClient {
  const base = normalizeServer(server);
  let ca: Buffer | undefined;
  if (options.caFile) {
    try {
      ca = readFileSync(options.caFile);
    } catch (err) {
      throw new BreakglassError(
        'CLI_USAGE',
        `--ca-file ${options.caFile}: cannot read (${(err as NodeJS.ErrnoException).code ?? String(err)})`,
      );
    }
  }
  return {
    async call(method, path, opts = {}) {
      const headers: Record<string, string> = { 'user-agent': 'breakglass-cli' };
      if (opts.token) headers.authorization = `Bearer ${opts.token}`;
      let body: string | undefined;
      if (opts.body !== undefined) {
        headers['content-type'] = 'application/json';
        body = JSON.stringify(opts.body);
      }
      let res;
      try {
        res = await httpRequest(`${base}${path}`, {
          method,
          headers,
          body,
          ca,
          timeoutMs: options.timeoutMs ?? 30_000,
        });
      } catch (err) {
        const reason = err instanceof HttpFailure ? err.message : String(err);
        throw new BreakglassError('IDENTITY_SERVER_UNREACHABLE', `cannot reach ${base}: ${reason}`, {
          cause: err,
        });
      }
      const json = jsonObject(res.body);
      if (res.status >= 200 && res.status < 300) return json ?? {};
      const error = json?.error as { code?: unknown; message?: unknown; details?: unknown } | undefined;
      const code =
        typeof error?.code === 'string' && Object.prototype.hasOwnProperty.call(ERROR_CODES, error.code)
          ? (error.code as ErrorCode)
          : null;
      if (code) {
        throw new BreakglassError(code, typeof error?.message === 'string' ? error.message : code, {
          ...(typeof error?.details === 'object' && error.details !== null
            ? { details: error.details as Record<string, unknown> }
            : {}),
        });
      }
      throw new BreakglassError(
        'IDENTITY_SERVER_UNREACHABLE',
        `${base}${path} answered HTTP ${res.status} without a Breakglass error (is --server a Breakglass server?)`,
      );
    },
  };
}
