// The HTTPS server: admission endpoints, probes and metrics. Every admission request that gets past the
// envelope check is answered with a well-formed AdmissionReview, whatever happens inside a processor.
import express, { type Request, type Response } from 'express';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import { parseAdmissionReview, reviewResponse, type AdmissionRequest } from '../core/admission-review.js';
import type { Logger } from '../core/log.js';
import { admit, type Endpoint } from './admission.js';
import { readJsonBody } from './body.js';
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
  /** Bytes; default 1 MiB. */
  bodyLimit?: number;
}

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

  app.use((_req: Request, res: Response) => { sendJson(res, 404, { code: 404, reason: 'not found: use POST /validate or POST /mutate' }); });

  // Admission requests, the latency-critical path (bench/webhook-latency.ts), go straight to their handler;
  // express serves the rest (probes, metrics, 404s).
  const server = createServer({ cert: opts.tls.cert, key: opts.tls.key, minVersion: 'TLSv1.2' }, (req, res) => {
    const endpoint = admissionEndpoint(req);
    if (!endpoint) return app(req, res);
    handleReview(endpoint, req, res, opts).catch((err: unknown) => {
      // handleReview answers every failure it can foresee; this is the last guard against a hang.
      opts.log.error({ err: err instanceof Error ? err.stack : String(err) }, 'admission handler failed');
      if (!res.headersSent) sendJson(res, 500, { code: 500, reason: 'internal error in etcd-webhook' });
      else res.destroy();
    });
  });
  // Slow or stuck clients cannot hold a request open: the API server itself gives up after timeoutSeconds.
  server.headersTimeout = 10_000;
  server.requestTimeout = 15_000;
  server.keepAliveTimeout = 30_000;
  return server;
}

/** POST /validate or /mutate (the API server appends ?timeout=...). */
function admissionEndpoint(req: IncomingMessage): Endpoint | undefined {
  if (req.method !== 'POST' || !req.url) return undefined;
  const path = req.url.split('?', 1)[0];
  return path === '/validate' ? 'validate' : path === '/mutate' ? 'mutate' : undefined;
}

async function handleReview(endpoint: Endpoint, req: IncomingMessage, res: ServerResponse, opts: WebhookServerOptions): Promise<void> {
  const started = process.hrtime.bigint();
  const body = await readJsonBody(req, opts.bodyLimit);
  const parsed = body.ok ? parseAdmissionReview(body.body) : body;
  if (!parsed.ok) {
    const status = body.ok ? 400 : body.status;
    opts.metrics.requests.inc({ endpoint, kind: '', verdict: 'invalid', rule: '' });
    opts.log.warn({ endpoint, status, reason: parsed.reason }, 'rejected a request that is not an AdmissionReview');
    sendJson(res, status, { code: status, reason: parsed.reason });
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
  sendJson(res, 200, reviewResponse({ uid: request.uid, ...decision.response }));
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

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const text = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) }).end(text);
}
