// Prometheus metrics of the controller. api_writes_total at rest must stay flat (no writes when nothing changes).
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export const registry = new Registry();
collectDefaultMetrics({ register: registry });

export const reconcileTotal = new Counter({
  name: 'etcd_controller_reconcile_total',
  help: 'Reconcile passes by outcome',
  labelNames: ['outcome'] as const,
  registers: [registry],
});
export const reconcileErrors = new Counter({
  name: 'etcd_controller_reconcile_errors_total',
  help: 'Reconcile passes that failed',
  registers: [registry],
});
export const reconcileDuration = new Histogram({
  name: 'etcd_controller_reconcile_duration_seconds',
  help: 'Duration of one reconcile pass',
  buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  registers: [registry],
});
export const membershipSteps = new Counter({
  name: 'etcd_controller_membership_steps_total',
  help: 'Steps taken, by kind',
  labelNames: ['kind'] as const,
  registers: [registry],
});
export const apiWrites = new Counter({
  name: 'etcd_controller_api_writes_total',
  help: 'Writes to the Kubernetes API, by verb and resource',
  labelNames: ['verb', 'resource'] as const,
  registers: [registry],
});
export const apiReads = new Counter({
  name: 'etcd_controller_api_reads_total',
  help: 'Reads the controller made of the API server outside its informers (a fresh pass, a write not seen yet, an object not cached)',
  labelNames: ['kind', 'why'] as const,
  registers: [registry],
});
export const staleReads = new Counter({
  name: 'etcd_controller_cache_unsettled_total',
  help: 'Reads after the controller\'s own write that the watch had not brought back within SETTLE_MS (read from the API server instead)',
  labelNames: ['kind'] as const,
  registers: [registry],
});
export const cacheDrift = new Counter({
  name: 'etcd_controller_cache_drift_total',
  help: 'Fresh passes that found an object different from the informer cache (a missed watch event)',
  labelNames: ['kind'] as const,
  registers: [registry],
});
export const etcdRequests = new Counter({
  name: 'etcd_controller_etcd_requests_total',
  help: 'Requests to etcd members, by call',
  labelNames: ['call'] as const,
  registers: [registry],
});
export const etcdClients = new Counter({
  name: 'etcd_controller_etcd_clients_opened_total',
  help: 'etcd client connections opened (reused across passes while they work)',
  registers: [registry],
});
export const memoryReclaims = new Counter({
  name: 'etcd_controller_memory_reclaims_total',
  help: 'Full garbage collections run because RSS grew (controller/memory-reclaim.ts)',
  registers: [registry],
});
export const memoryReclaimedBytes = new Counter({
  name: 'etcd_controller_memory_reclaimed_bytes_total',
  help: 'RSS given back by those collections',
  registers: [registry],
});
