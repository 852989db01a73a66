// The HTTPS server: admission endpoints, probes and metrics. Every admission request that gets past the
// envelope check is answered with a well-formed AdmissionReview, whatever happens inside a processor.
import express, { type NextFunction, type Request, type Response } from 'express';
import { createServer, type Server } from 'node:https';
import { parseAdmissionReview, reviewResponse, type AdmissionRequest } from '../core/admission-review.js';
import type { Logger } from '../core/log.js';
import { admit, type Endpoint } from './admission.js';
import type { WebhookMetrics } from './metrics.js';
import type { Decision, ProcessorContext } from './processors/types.js';
import type { KeyPair } from './tls.js';

export interface WebhookServerOptions {
  tls: KeyPair;
  context: ProcessorContext;
  metrics: WebhookMetrics;
  log: Logger;
  /** Ready to take traffic (the watch cache has synced). */
  ready(): boolean;
  bodyLimit?: string;
}

export const DEFAULT_BODY_LIMIT = '1mb';

export function createWebhookServer(opts: WebhookServerOptions): Server {
  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');

  app.get('/healthz', (_req, res) => { res.type('text/plain').send('ok'); });
  app.get('/readyz', (_req, res) => {
    if (opts.ready()) res.type('text/plain').send('ok');
    else res.status(503).type('text/plain').send('EtcdCluster watch cache not synced yet');
  });
  app.get('/metrics', async (_req, res) => {
    res.type(opts.metrics.registry.contentType).send(await opts.metrics.registry.metrics());
  });

  const json = express.json({ limit: opts.bodyLimit ?? DEFAULT_BODY_LIMIT, strict: true });
  for (const endpoint of ['validate', 'mutate'] as const) {
    app.post(`/${endpoint}`, requireJson, json, (req, res) => handleReview(endpoint, req, res, opts));
  }
  app.use((_req: Request, res: Response) => { res.status(404).json({ code: 404, reason: 'not found: use POST /validate or POST /mutate' }); });
  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => bodyError(err, req, res, opts));

  const server = createServer({ cert: opts.tls.cert, key: opts.tls.key, minVersion: 'TLSv1.2' }, app);
  // Slow or stuck clients cannot hold a request open: the API server itself gives up after timeoutSeconds.
  server.headersTimeout = 10_000;
  server.requestTimeout = 15_000;
  server.keepAliveTimeout = 30_000;
  return server;
}

function requireJson(req: Request, res: Response, next: NextFunction): void {
  // Without a Content-Type nothing is parsed and the envelope check answers 400.
  if (req.get('content-type') !== undefined && !req.is('application/json')) {
    res.status(415).json({ code: 415, reason: `Content-Type ${req.get('content-type')} is not supported: send application/json` });
    return;
  }
  next();
}

async function handleReview(endpoint: Endpoint, req: Request, res: Response, opts: WebhookServerOptions): Promise<void> {
  const started = process.hrtime.bigint();
  const parsed = parseAdmissionReview(req.body);
  if (!parsed.ok) {
    opts.metrics.requests.inc({ endpoint, kind: '', verdict: 'invalid', rule: '' });
    opts.log.warn({ endpoint, reason: parsed.reason }, 'rejected a body that is not an AdmissionReview');
    res.status(400).json({ code: 400, reason: parsed.reason });
    return;
  }
  const request = parsed.request;
  let decision: Decision;
  let verdict: string;
  try {
    decision = await admit(endpoint, request, opts.context);
    verdict = decision.response.allowed ? 'allowed' : 'denied';
  } catch (err) {
    // Fail closed: the API server shows this message to the user instead of a webhook call failure.
    const message = `internal error in etcd-webhook (${err instanceof Error ? err.message : String(err)}); retry, and see the etcd-webhook logs if it persists`;
    opts.log.error({ uid: request.uid, err: err instanceof Error ? err.stack : String(err) }, 'processor failed');
    decision = { kind: 'other', response: { allowed: false, status: { code: 500, reason: 'InternalError', message } } };
    verdict = 'error';
  }
  res.json(reviewResponse({ uid: request.uid, ...decision.response }));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  opts.metrics.requests.inc({ endpoint, kind: decision.kind, verdict, rule: decision.rule ?? '' });
  opts.metrics.duration.observe({ endpoint }, seconds);
  opts.log.info(decisionLog(endpoint, request, decision, verdict, seconds), 'admission decision');
}

function decisionLog(endpoint: Endpoint, req: AdmissionRequest, d: Decision, verdict: string, seconds: number): Record<string, unknown> {
  return {
    endpoint,
    uid: req.uid,
    object: `${req.namespace ?? ''}/${req.name ?? ''}`,
    op: req.operation,
    subResource: req.subResource || undefined,
    kind: d.kind,
    verdict,
    rule: d.rule,
    patched: d.response.patch !== undefined || undefined,
    warnings: d.response.warnings?.length || undefined,
    note: d.note,
    dryRun: req.dryRun === true || undefined,
    ms: Math.round(seconds * 1e5) / 100,
  };
}

/** body-parser failures: too large (413), not JSON (400), unsupported encoding (415); never a 5xx. */
function bodyError(err: unknown, req: Request, res: Response, opts: WebhookServerOptions): void {
  const e = err as { status?: number; type?: string; message?: string; limit?: number };
  const status = typeof e.status === 'number' && e.status >= 400 && e.status < 500 ? e.status : 400;
  const reason = e.type === 'entity.too.large'
    ? `request body exceeds the limit of ${e.limit ?? opts.bodyLimit ?? DEFAULT_BODY_LIMIT} bytes`
    : e.type === 'entity.parse.failed'
      ? `body is not valid JSON: ${e.message ?? ''}; expected an admission.k8s.io/v1 AdmissionReview`
      : `bad request: ${e.message ?? String(err)}`;
  opts.metrics.requests.inc({ endpoint: req.path.replace(/^\//, '').slice(0, 20), kind: '', verdict: 'invalid', rule: '' });
  opts.log.warn({ path: req.path, status, reason }, 'rejected request body');
  if (res.headersSent) return;
  res.status(status).json({ code: status, reason });
}
