// JSON requests to the API server over node:https, with a timeout per request and errors sorted into what
// a user can act on (not found, forbidden, denied by a webhook, unreachable, timed out).
import type * as HttpModule from 'node:http';
import type * as HttpsModule from 'node:https';
import { createRequire } from 'node:module';
import type { Connection } from './connection.js';

// `import http from 'node:http'` builds an ES module facade that reads every export, and node:http's lazy
// getters then load undici: ~20 ms of a CLI's start-up. require() reads only what is used.
const require = createRequire(import.meta.url);
const http = require('node:http') as typeof HttpModule;
const https = require('node:https') as typeof HttpsModule;

export type KubeErrorKind = 'NotFound' | 'Forbidden' | 'Unauthorized' | 'Denied' | 'Conflict' | 'Invalid' | 'Unreachable' | 'Timeout' | 'Api';

export class KubeError extends Error {
  constructor(readonly kind: KubeErrorKind, message: string, readonly status?: number) {
    super(message);
  }
}

export interface RequestSpec {
  method?: 'GET' | 'POST' | 'PATCH' | 'PUT';
  path: string;
  query?: Record<string, string | undefined>;
  body?: unknown;
  contentType?: string;
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface KubeResponse<T> {
  body: T;
  /** Warning headers (admission warnings, deprecations), text only. */
  warnings: string[];
}

const DEFAULT_TIMEOUT_MS = 10_000;
// Parallel reads of one `status` share connections instead of paying a TLS handshake each.
const agents = { https: new https.Agent({ keepAlive: true }), http: new http.Agent({ keepAlive: true }) };

/** Idle keep-alive sockets would hold the process open after the command is done. */
export function closeConnections(): void {
  agents.https.destroy();
  agents.http.destroy();
}

function urlFor(conn: Connection, path: string, query?: Record<string, string | undefined>): URL {
  const url = new URL(conn.server.href.replace(/\/$/, '') + path);
  for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) url.searchParams.set(k, v);
  return url;
}

export function kubeRequest<T>(conn: Connection, spec: RequestSpec): Promise<KubeResponse<T>> {
  return new Promise((resolve, reject) => {
    const res = open(conn, spec, (status, headers, text) => {
      const warnings = warningTexts(headers['warning']);
      if (status >= 200 && status < 300) {
        try {
          resolve({ body: (text ? JSON.parse(text) : undefined) as T, warnings });
        } catch {
          reject(new KubeError('Api', `the API server answered ${spec.path} with something that is not JSON`, status));
        }
        return;
      }
      reject(statusError(status, text, spec.path));
    }, reject);
    res.end(spec.body === undefined ? undefined : JSON.stringify(spec.body));
  });
}

/** A watch: calls onEvent for each event line until the server ends the stream or signal aborts. */
export function kubeWatch(conn: Connection, spec: RequestSpec, onEvent: (type: string, object: unknown) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const url = urlFor(conn, spec.path, { ...spec.query, watch: 'true' });
    const req = (url.protocol === 'http:' ? http : https).request(url, { ...conn.tls, headers: { ...conn.headers, Accept: 'application/json' }, signal: spec.signal }, (res) => {
      if ((res.statusCode ?? 0) >= 300) {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => reject(statusError(res.statusCode ?? 0, text, spec.path)));
        return;
      }
      let buf = '';
      res.on('data', (c: Buffer) => {
        buf += c.toString();
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, nl).trim();
          buf = buf.slice(nl + 1);
          if (!line) continue;
          try {
            const ev = JSON.parse(line) as { type: string; object: unknown };
            onEvent(ev.type, ev.object);
          } catch {
            // Lines are split on newlines across chunks, so only a malformed server line lands here: skip it.
          }
        }
      });
      res.on('end', () => resolve());
      res.on('error', (e) => (spec.signal?.aborted ? resolve() : reject(transportError(e, conn))));
    });
    req.on('error', (e) => (spec.signal?.aborted ? resolve() : reject(transportError(e, conn))));
    req.end();
  });
}

function open(conn: Connection, spec: RequestSpec, done: (status: number, headers: HttpModule.IncomingHttpHeaders, text: string) => void, fail: (e: Error) => void): HttpModule.ClientRequest {
  const url = urlFor(conn, spec.path, spec.query);
  const plain = url.protocol === 'http:';
  const headers: Record<string, string> = { ...conn.headers, Accept: 'application/json' };
  if (spec.body !== undefined) headers['Content-Type'] = spec.contentType ?? 'application/json';
  const timeoutMs = spec.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const req = (plain ? http : https).request(url, {
    method: spec.method ?? 'GET',
    ...conn.tls,
    agent: conn.tls.agent ?? (plain ? agents.http : agents.https),
    headers,
    signal: spec.signal,
  }, (res) => {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('end', () => {
      clearTimeout(timer);
      done(res.statusCode ?? 0, res.headers, Buffer.concat(chunks).toString('utf8'));
    });
    res.on('error', (e) => fail(transportError(e, conn)));
  });
  const timer = setTimeout(() => {
    req.destroy(new KubeError('Timeout', `no answer from ${conn.server.host} for ${spec.method ?? 'GET'} ${spec.path} within ${timeoutMs / 1000}s`));
  }, timeoutMs);
  timer.unref();
  req.on('error', (e) => {
    clearTimeout(timer);
    fail(e instanceof KubeError ? e : transportError(e, conn));
  });
  return req;
}

function transportError(e: Error & { code?: string }, conn: Connection): KubeError {
  if (e.name === 'AbortError') return new KubeError('Timeout', 'aborted');
  const code = e.code ? ` (${e.code})` : '';
  return new KubeError('Unreachable', `cannot reach the API server at ${conn.server.origin} (context "${conn.context}"): ${e.message}${code}`);
}

interface StatusBody { message?: string; reason?: string; code?: number }

function statusError(status: number, text: string, path: string): KubeError {
  let body: StatusBody = {};
  try {
    body = JSON.parse(text) as StatusBody;
  } catch {
    body = { message: text.trim().slice(0, 300) };
  }
  const message = body.message || `HTTP ${status} for ${path}`;
  if (status === 403 && /admission webhook .* denied the request/.test(message)) return new KubeError('Denied', message, status);
  const kind: KubeErrorKind = status === 404 ? 'NotFound' : status === 403 ? 'Forbidden' : status === 401 ? 'Unauthorized'
    : status === 409 ? 'Conflict' : status === 422 ? 'Invalid' : status === 504 ? 'Timeout' : 'Api';
  return new KubeError(kind, message, status);
}

/** RFC 7234 warning values as the API server sends them: `299 - "text"`, several joined by ", ". */
export function warningTexts(header: string | string[] | undefined): string[] {
  if (!header) return [];
  const out: string[] = [];
  for (const h of Array.isArray(header) ? header : [header]) {
    const re = /\d{3} \S+ "((?:[^"\\]|\\.)*)"/g;
    let m: RegExpExecArray | null;
    while ((m = re.exec(h))) out.push(m[1].replace(/\\(.)/g, '$1'));
  }
  return out;
}
