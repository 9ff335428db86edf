import { request as httpRequestRaw } from 'node:http';
import { request as httpsRequestRaw } from 'node:https';

export interface HttpResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export interface HttpRequestOptions {
  method?: 'GET' | 'POST' | 'DELETE';
  headers?: Record<string, string>;
  body?: string;
  /** The whole exchange (connect, send, receive) must finish within this time. */
  timeoutMs: number;
  /** Largest accepted response body (default 1 MiB). */
  maxBytes?: number;
  /** Extra trusted CA certificates (PEM) for https. */
  ca?: string | Buffer;
}

export type HttpFailureKind = 'timeout' | 'network' | 'too-large' | 'bad-url';

/** A request that did not produce a response (the caller turns it into a coded error). */
export class HttpFailure extends Error {
  constructor(
    readonly kind: HttpFailureKind,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'HttpFailure';
  }
}

/**
 * A small HTTP(S) client with a hard deadline and a response size bound, used for the
 * IdP (discovery, token, userinfo, device endpoints) and by the CLI. Redirects are not
 * followed. Resolves with any status; rejects only with HttpFailure.
 */
export function httpRequest(url: string, options: HttpRequestOptions): Promise<HttpResponse> {
  let target: URL;
  try {
    target = new URL(url);
  } catch (cause) {
    return Promise.reject(new HttpFailure('bad-url', `not a URL: ${url}`, { cause }));
  }
  if (target.protocol !== 'http:' && target.protocol !== 'https:') {
    return Promise.reject(
      new HttpFailure('bad-url', `unsupported scheme in ${target.origin} (accepted: http, https)`),
    );
  }
  const maxBytes = options.maxBytes ?? 1_048_576;
  const send = target.protocol === 'https:' ? httpsRequestRaw : httpRequestRaw;
  return new Promise((resolve, reject) => {
    let settled = false;
    const finish = (err: HttpFailure | null, value?: HttpResponse) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (err) reject(err);
      else resolve(value!);
    };
    const headers: Record<string, string> = { accept: 'application/json', ...options.headers };
    if (options.body !== undefined) headers['content-length'] = String(Buffer.byteLength(options.body));
    const req = send(
      target,
      { method: options.method ?? 'GET', headers, ...(options.ca ? { ca: options.ca } : {}) },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > maxBytes) {
            req.destroy();
            finish(
              new HttpFailure('too-large', `response from ${target.origin} is larger than ${maxBytes} bytes`),
            );
            return;
          }
          chunks.push(chunk);
        });
        res.on('end', () =>
          finish(null, {
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        res.on('error', (cause) =>
          finish(
            new HttpFailure(
              'network',
              `reading the response from ${target.origin} failed: ${cause.message}`,
              { cause },
            ),
          ),
        );
      },
    );
    const timer = setTimeout(() => {
      req.destroy();
      finish(new HttpFailure('timeout', `${target.origin} did not answer within ${options.timeoutMs} ms`));
    }, options.timeoutMs);
    req.on('error', (cause) =>
      finish(new HttpFailure('network', `cannot reach ${target.origin}: ${cause.message}`, { cause })),
    );
    if (options.body !== undefined) req.write(options.body);
    req.end();
  });
}

/** Parses a JSON object body, or returns null when the body is not a JSON object. */
export function jsonObject(body: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(body);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : null;
  } catch {
    return null;
  }
}

export function formBody(fields: Record<string, string | undefined>): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(fields)) if (v !== undefined) params.set(k, v);
  return params.toString();
}
