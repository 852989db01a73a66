// EtcdCluster status for /scale requests: read from a watch cache (all namespaces), not an API call per
// request. A miss (cache not synced yet, or an object newer than the cache) costs one GET, counted.
import { ApiException, CustomObjectsApi, makeInformer, type KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import { GROUP, PLURAL, VERSION, type EtcdCluster } from '../core/api.js';
import type { Logger } from '../core/log.js';
import type { WebhookMetrics } from './metrics.js';

export interface ClusterLookup {
  get(namespace: string, name: string): Promise<EtcdCluster | undefined>;
  /** True once the first full list has been cached (gates /readyz). */
  synced(): boolean;
}

/** A lookup over a fixed set of clusters, for servers that run without Kubernetes (tests, benchmarks). */
export function fixedClusterLookup(clusters: EtcdCluster[]): ClusterLookup {
  const byKey = new Map(clusters.map((c) => [`${c.metadata.namespace}/${c.metadata.name}`, c]));
  return { get: async (ns, name) => byKey.get(`${ns}/${name}`), synced: () => true };
}

const RESTART_DELAY_MS = 2000;

export class ClusterCache implements ClusterLookup {
  private readonly api: CustomObjectsApi;
  private readonly informer;
  private isSynced = false;
  private stopped = false;
  private restartTimer?: NodeJS.Timeout;

  constructor(kc: KubeConfig, private readonly metrics: WebhookMetrics, private readonly log: Logger) {
    this.api = kc.makeApiClient(CustomObjectsApi);
    const list = async () => {
      const result = await this.api.listClusterCustomObject({ group: GROUP, version: VERSION, plural: PLURAL });
      this.isSynced = true;
      return result;
    };
    this.informer = makeInformer<KubernetesObject>(kc, `/apis/${GROUP}/${VERSION}/${PLURAL}`, list);
    // The informer stops on an error (API server restart, expired watch): start it again after a pause.
    this.informer.on('error', (err) => {
      this.log.warn({ err: String(err) }, 'EtcdCluster watch failed; restarting');
      if (!this.stopped) this.restartTimer = setTimeout(() => this.start(), RESTART_DELAY_MS);
    });
  }

  start(): void {
    this.informer.start().catch((err: unknown) => this.log.warn({ err: String(err) }, 'EtcdCluster watch did not start'));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.restartTimer);
    await this.informer.stop();
  }

  synced(): boolean {
    return this.isSynced;
  }

  async get(namespace: string, name: string): Promise<EtcdCluster | undefined> {
    const cached = this.isSynced ? this.informer.get(name, namespace) : undefined;
    if (cached) return cached as unknown as EtcdCluster;
    try {
      const found = await this.api.getNamespacedCustomObject({ group: GROUP, version: VERSION, namespace, plural: PLURAL, name });
      this.metrics.lookupFallbacks.inc({ result: 'found' });
      return found as EtcdCluster;
    } catch (err) {
      if (err instanceof ApiException && err.code === 404) {
        this.metrics.lookupFallbacks.inc({ result: 'absent' });
        return undefined;
      }
      this.metrics.lookupFallbacks.inc({ result: 'error' });
      throw new Error(`could not read EtcdCluster ${namespace}/${name}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
}
