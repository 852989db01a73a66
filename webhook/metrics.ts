// Prometheus figures for the webhook, on a registry of its own so several servers (tests, bench) can coexist.
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface WebhookMetrics {
  registry: Registry;
  requests: Counter<'endpoint' | 'kind' | 'verdict' | 'rule'>;
  duration: Histogram<'endpoint'>;
  lookupFallbacks: Counter<'result'>;
  resizeEvents: Counter<'result'>;
  tlsReloads: Counter<'result'>;
}

export function createMetrics(defaults = true): WebhookMetrics {
  const registry = new Registry();
  if (defaults) collectDefaultMetrics({ register: registry });
  return {
    registry,
    requests: new Counter({
      name: 'etcd_webhook_requests_total',
      help: 'Admission requests answered, by endpoint, object kind, verdict (allowed, denied, invalid, error) and denying rule.',
      labelNames: ['endpoint', 'kind', 'verdict', 'rule'],
      registers: [registry],
    }),
    duration: new Histogram({
      name: 'etcd_webhook_request_duration_seconds',
      help: 'Time from request received to response written.',
      labelNames: ['endpoint'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers: [registry],
    }),
    lookupFallbacks: new Counter({
      name: 'etcd_webhook_status_lookup_fallbacks_total',
      help: 'EtcdCluster reads that missed the watch cache and went to the API server, by result (found, absent, error).',
      labelNames: ['result'],
      registers: [registry],
    }),
    resizeEvents: new Counter({
      name: 'etcd_webhook_resize_events_total',
      help: 'ResizeRequested Events written for accepted resizes, by result (created, failed, timeout).',
      labelNames: ['result'],
      registers: [registry],
    }),
    tlsReloads: new Counter({
      name: 'etcd_webhook_tls_reloads_total',
      help: 'Certificate reloads after the files changed, by result (loaded, rejected).',
      labelNames: ['result'],
      registers: [registry],
    }),
  };
}
