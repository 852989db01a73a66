// Watches EtcdClusters and the objects they own (informers), maps every event to the owning cluster and
// feeds the keyed work queue; a periodic resync notices etcd health changes no Kubernetes event reports.
import { makeInformer, type Informer, type KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import { CLUSTER_LABEL, GROUP, PLURAL, VERSION } from '../core/api.js';
import type { Logger } from '../core/log.js';
import type { Kube } from './kube.js';
import { reconcileDuration, reconcileErrors, reconcileTotal } from './metrics.js';
import type { Reconciler } from './reconciler.js';
import { WorkQueue } from './work-queue.js';

export interface ControllerOptions {
  /** Watch one namespace; undefined = all. */
  namespace?: string;
  resyncMs: number;
}

const key = (namespace: string, name: string) => `${namespace}/${name}`;

export class Controller {
  private readonly informers: Informer<KubernetesObject>[] = [];
  private readonly queue: WorkQueue;
  private resync?: NodeJS.Timeout;
  private stopped = false;

  constructor(
    private readonly kc: KubeConfig,
    private readonly kube: Kube,
    private readonly reconciler: Reconciler,
    private readonly opts: ControllerOptions,
    private readonly log: Logger,
  ) {
    this.queue = new WorkQueue(
      async (k) => {
        const [ns, name] = k.split('/');
        const end = reconcileDuration.startTimer();
        try {
          const res = await this.reconciler.reconcile(ns, name);
          reconcileTotal.inc({ outcome: 'ok' });
          return res;
        } finally {
          end();
        }
      },
      (k, err) => {
        reconcileErrors.inc();
        reconcileTotal.inc({ outcome: 'error' });
        this.log.error({ cluster: k, err: err instanceof Error ? err.message : String(err) }, 'reconcile failed; backing off');
      },
    );
  }

  async start(): Promise<void> {
    const ns = this.opts.namespace;
    const k = this.kube;
    const clusters = `/apis/${GROUP}/${VERSION}${ns ? `/namespaces/${ns}` : ''}/${PLURAL}`;
    const owned = (group: string, plural: string) => `${group}${ns ? `/namespaces/${ns}` : ''}/${plural}`;
    const label = CLUSTER_LABEL;
    this.watch(
      clusters,
      async () => (ns
        ? k.custom.listNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: ns, plural: PLURAL })
        : k.custom.listClusterCustomObject({ group: GROUP, version: VERSION, plural: PLURAL })) as never,
      undefined,
      (o) => o.metadata?.name,
    );
    const byLabel = (o: KubernetesObject) => o.metadata?.labels?.[label];
    this.watch(
      owned('/apis/apps/v1', 'statefulsets'),
      () => (ns ? k.apps.listNamespacedStatefulSet({ namespace: ns, labelSelector: label }) : k.apps.listStatefulSetForAllNamespaces({ labelSelector: label })) as never,
      label,
      byLabel,
    );
    this.watch(
      owned('/api/v1', 'pods'),
      () => (ns ? k.core.listNamespacedPod({ namespace: ns, labelSelector: label }) : k.core.listPodForAllNamespaces({ labelSelector: label })) as never,
      label,
      byLabel,
    );
    this.watch(
      owned('/api/v1', 'persistentvolumeclaims'),
      () =>
        (ns
          ? k.core.listNamespacedPersistentVolumeClaim({ namespace: ns, labelSelector: label })
          : k.core.listPersistentVolumeClaimForAllNamespaces({ labelSelector: label })) as never,
      label,
      byLabel,
    );
    await Promise.all(this.informers.map((i) => i.start()));
    this.resync = setInterval(() => {
      for (const q of this.queue.keys()) this.queue.add(q);
    }, this.opts.resyncMs);
    this.log.info({ namespace: ns ?? '(all)' }, 'watching EtcdClusters');
  }

  private watch(path: string, list: () => Promise<never>, labelSelector: string | undefined, clusterOf: (o: KubernetesObject) => string | undefined): void {
    const informer = makeInformer<KubernetesObject>(this.kc, path, list, labelSelector);
    const enqueue = (o: KubernetesObject) => {
      const name = clusterOf(o);
      if (name && o.metadata?.namespace) this.queue.add(key(o.metadata.namespace, name));
    };
    informer.on('add', enqueue);
    informer.on('update', enqueue);
    informer.on('delete', (o) => {
      // The EtcdCluster itself gone: its owned objects are garbage collected, PVCs kept on purpose.
      if (path.endsWith(PLURAL) && o.metadata?.namespace && o.metadata.name) this.queue.forget(key(o.metadata.namespace, o.metadata.name));
      else enqueue(o);
    });
    informer.on('error', (err) => {
      if (this.stopped) return;
      this.log.warn({ path, err: String(err) }, 'watch failed; restarting in 2s');
      setTimeout(() => void informer.start().catch(() => undefined), 2000);
    });
    this.informers.push(informer);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.resync) clearInterval(this.resync);
    this.queue.stop();
    await Promise.all(this.informers.map((i) => i.stop()));
  }
}
