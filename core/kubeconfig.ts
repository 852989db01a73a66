// One way to find the cluster for every binary: an explicit --kubeconfig, else in-cluster (ServiceAccount),
// else what kubectl would use ($KUBECONFIG, ~/.kube/config) with an optional --context.
import { KubeConfig, type Cluster } from '@kubernetes/client-node';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import type { AgentOptions } from 'node:https';

export interface KubeConfigOptions {
  kubeconfig?: string;
  context?: string;
  /** Prefer the in-cluster ServiceAccount when no file is named (controller, webhook). */
  preferInCluster?: boolean;
}

const SA_TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount/token';

export function loadKubeConfig(opts: KubeConfigOptions = {}): KubeConfig {
  const kc = new KubeConfig();
  if (opts.kubeconfig) {
    kc.loadFromFile(opts.kubeconfig);
  } else if (opts.preferInCluster && process.env.KUBERNETES_SERVICE_HOST && existsSync(SA_TOKEN)) {
    kc.loadFromCluster();
  } else {
    kc.loadFromDefault();
  }
  if (opts.context) {
    if (!kc.getContextObject(opts.context)) throw new Error(`context "${opts.context}" not found in kubeconfig`);
    kc.setCurrentContext(opts.context);
  }
  reuseConnections(kc);
  return kc;
}

type Dispatcher = { close?: () => Promise<void> } | undefined;
type DispatcherFactory = (cluster: Cluster | null, agentOptions: AgentOptions) => Dispatcher;

const MAX_DISPATCHERS = 4;

/**
 * client-node 2.0.1 builds a new undici Agent for every API request (applySecurityAuthentication ->
 * createDispatcher): a TLS handshake and a fresh OpenSSL context per call, never a reused connection. For
 * the controller (seven reads per pass per cluster) that cost ~14 MiB of native heap per cluster and a
 * handshake per read. Keep one Agent per distinct cluster and TLS material instead (rotated certificates
 * give a new key, so a new Agent; the oldest is closed once its requests are done).
 */
export function reuseConnections(kc: KubeConfig): void {
  const target = kc as unknown as { createDispatcher?: DispatcherFactory };
  const create = target.createDispatcher;
  // A private method of the pinned client-node: if a release renames it, fall back to its behaviour.
  if (typeof create !== 'function') return;
  const agents = new Map<string, Dispatcher>();
  target.createDispatcher = (cluster, agentOptions) => {
    const key = dispatcherKey(cluster, agentOptions);
    if (agents.has(key)) return agents.get(key);
    const agent = create.call(kc, cluster, agentOptions);
    agents.set(key, agent);
    if (agents.size > MAX_DISPATCHERS) {
      const [oldest, old] = agents.entries().next().value!;
      agents.delete(oldest);
      void old?.close?.().catch(() => undefined);
    }
    return agent;
  };
}

function dispatcherKey(cluster: Cluster | null, o: AgentOptions): string {
  const digest = (v: unknown) => (v === undefined ? '' : createHash('sha256').update(Array.isArray(v) ? v.join('\n') : String(v)).digest('hex'));
  return JSON.stringify([cluster, digest(o.ca), digest(o.cert), digest(o.key), digest(o.pfx), digest(o.passphrase), o.rejectUnauthorized, o.servername]);
}

/** The namespace kubectl would use: the current context's, else "default". */
export function contextNamespace(kc: KubeConfig): string {
  return kc.getContextObject(kc.getCurrentContext())?.namespace || 'default';
}
