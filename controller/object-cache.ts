// The controller's view of Kubernetes: one informer per kind it reads, filtered by the operator's labels, so a
// pass reads memory, not the API server (issue 18: ~8 GETs per cluster per pass before). Secrets are not
// cached: watching them would mean reading every Secret of every namespace; a TLS cluster's three are read by
// name (cluster-certificates.ts). Two rules keep it truthful:
// - after the controller's own write, a read of that object (or a list of its kind) waits up to SETTLE_MS for
//   the watch to bring the write back, and reads the API server if it does not (Reads below);
// - every cluster gets a pass that reads the API server directly about every FRESH_PASS_MS (jittered), and a
//   difference from the cache is counted (etcd_controller_cache_drift_total) and logged.
// Objects are kept in their wire form (watch events are not deserialized by client-node) and deserialized on
// every read, so a caller gets its own typed copy to change.
import { makeInformer, type Informer, type KubeConfig, type KubernetesListObject, type KubernetesObject, type ObjectCache as Store } from '@kubernetes/client-node';
// The model serializer is not exported at the package root; this module is client-node's own.
import { ObjectSerializer } from '@kubernetes/client-node/dist/serializer.js';
import { API_VERSION, CLUSTER_LABEL, GROUP, PLURAL, VERSION } from '../core/api.js';
import { BACKUP_OF_LABEL } from './backup-objects.js';
import type { Kube } from './kube.js';

export type CachedKind =
  | 'EtcdCluster' | 'StatefulSet' | 'Service' | 'ConfigMap' | 'PodDisruptionBudget' | 'Endpoints' | 'NetworkPolicy' | 'Pod' | 'PersistentVolumeClaim' | 'Job';

export interface KindInfo {
  apiVersion: string;
  plural: string;
  /** client-node's model name; the EtcdCluster has none (plain JSON). */
  model?: string;
  /** Label keys each selecting one informer of this kind (objects carry one of them). */
  labels: string[];
}

/** Reads of the one object after the controller's write wait this long at most for the watch. */
export const SETTLE_MS = 1000;
/** A write the watch never brought back (the object changed hands, or went) stops counting after this long. */
const EXPECTATION_TTL_MS = 60_000;

export function kinds(pdbApiVersion: string): Record<CachedKind, KindInfo> {
  return {
    EtcdCluster: { apiVersion: API_VERSION, plural: PLURAL, labels: [''] },
    StatefulSet: { apiVersion: 'apps/v1', plural: 'statefulsets', model: 'V1StatefulSet', labels: [CLUSTER_LABEL] },
    Service: { apiVersion: 'v1', plural: 'services', model: 'V1Service', labels: [CLUSTER_LABEL] },
    ConfigMap: { apiVersion: 'v1', plural: 'configmaps', model: 'V1ConfigMap', labels: [CLUSTER_LABEL] },
    PodDisruptionBudget: { apiVersion: pdbApiVersion, plural: 'poddisruptionbudgets', model: 'V1PodDisruptionBudget', labels: [CLUSTER_LABEL] },
    // The endpoints controller copies the Service's labels onto its Endpoints.
    Endpoints: { apiVersion: 'v1', plural: 'endpoints', model: 'V1Endpoints', labels: [CLUSTER_LABEL] },
    NetworkPolicy: { apiVersion: 'networking.k8s.io/v1', plural: 'networkpolicies', model: 'V1NetworkPolicy', labels: [CLUSTER_LABEL] },
    Pod: { apiVersion: 'v1', plural: 'pods', model: 'V1Pod', labels: [CLUSTER_LABEL, BACKUP_OF_LABEL] },
    PersistentVolumeClaim: { apiVersion: 'v1', plural: 'persistentvolumeclaims', model: 'V1PersistentVolumeClaim', labels: [CLUSTER_LABEL, BACKUP_OF_LABEL] },
    Job: { apiVersion: 'batch/v1', plural: 'jobs', model: 'V1Job', labels: [BACKUP_OF_LABEL] },
  };
}

/** Kube.counted's resource names of writes whose object the cache holds. */
const WRITTEN: Record<string, CachedKind> = {
  'etcdclusters/status': 'EtcdCluster', statefulsets: 'StatefulSet', services: 'Service', configmaps: 'ConfigMap',
  poddisruptionbudgets: 'PodDisruptionBudget', networkpolicies: 'NetworkPolicy', pods: 'Pod',
  persistentvolumeclaims: 'PersistentVolumeClaim', jobs: 'Job',
};

function apiPath(info: KindInfo, namespace: string | undefined): string {
  const base = info.apiVersion.includes('/') ? `/apis/${info.apiVersion}` : `/api/${info.apiVersion}`;
  return `${base}${namespace ? `/namespaces/${namespace}` : ''}/${info.plural}`;
}

/** resourceVersions are etcd revisions on every API server this runs against; anything else is "not known newer". */
export function atLeast(rv: string | undefined, wanted: string): boolean {
  if (!rv || !/^\d+$/.test(rv) || !/^\d+$/.test(wanted)) return false;
  return BigInt(rv) >= BigInt(wanted);
}

interface Expectation {
  resourceVersion: string;
  at: number;
  /** The write was a delete: the object gone from the cache is the write seen. */
  deleting: boolean;
}

/** Versions the cache must come to show (the controller's own writes, a fresh pass's reads), until it does. */
export class WriteExpectations {
  private readonly expected = new Map<string, Expectation>();

  expect(kind: CachedKind, namespace: string, name: string, resourceVersion: string, gone: boolean, now = Date.now()): void {
    this.expected.set(`${kind}/${namespace}/${name}`, { resourceVersion, at: now, deleting: gone });
  }

  /**
   * Whether the cache shows every expected version of this object (or of every object of the kind in the
   * namespace); `version` answers the cached object's resourceVersion (undefined: not cached). Seen ones are forgotten.
   */
  seen(kind: CachedKind, namespace: string, name: string | undefined, version: (name: string) => string | undefined, now: number): boolean {
    const prefix = `${kind}/${namespace}/`;
    let all = true;
    for (const [key, e] of this.expected) {
      if (!key.startsWith(prefix) || (name !== undefined && key !== `${prefix}${name}`)) continue;
      const rv = version(key.slice(prefix.length));
      const shown = rv === undefined ? e.deleting : atLeast(rv, e.resourceVersion);
      if (shown || now - e.at > EXPECTATION_TTL_MS) this.expected.delete(key);
      else all = false;
    }
    return all;
  }
}

export interface CacheEvent {
  kind: CachedKind;
  namespace: string;
  /** The EtcdCluster the object belongs to (its name, or the label's value). */
  cluster: string;
  deleted: boolean;
}

/**
 * A listed object in the wire form the watch delivers. A list's items carry no apiVersion or kind, and client-node's
 * serializer then writes both keys as undefined, which its own deserializer cannot read back ("reading 'split'").
 */
export function wireForm(kind: CachedKind, info: KindInfo, o: KubernetesObject): KubernetesObject {
  return { ...(ObjectSerializer.serialize(o, info.model!) as KubernetesObject), apiVersion: info.apiVersion, kind };
}

/** A cached object, typed: the caller's own copy to change. */
export function typedCopy<T>(info: KindInfo, o: KubernetesObject): T {
  return (info.model ? ObjectSerializer.deserialize(structuredClone(o), info.model) : structuredClone(o)) as T;
}

export class ObjectCache {
  private readonly stores = new Map<CachedKind, (Informer<KubernetesObject> & Store<KubernetesObject>)[]>();
  private readonly expected = new WriteExpectations();
  readonly info: Record<CachedKind, KindInfo>;
  private synced = false;

  constructor(
    private readonly kc: KubeConfig,
    private readonly kube: Kube,
    private readonly opts: { namespace?: string; networkPolicies: boolean },
  ) {
    this.info = kinds(kube.pdbApiVersion);
  }

  /** Which kinds are watched: NetworkPolicies only when the controller manages them. */
  watched(): CachedKind[] {
    return (Object.keys(this.info) as CachedKind[]).filter((k) => k !== 'NetworkPolicy' || this.opts.networkPolicies);
  }

  private listFn(kind: CachedKind, labelSelector: string | undefined): () => Promise<KubernetesListObject<KubernetesObject>> {
    const ns = this.opts.namespace;
    const info = this.info[kind];
    if (kind === 'EtcdCluster') {
      return async () => (ns
        ? this.kube.custom.listNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: ns, plural: PLURAL })
        : this.kube.custom.listClusterCustomObject({ group: GROUP, version: VERSION, plural: PLURAL })) as Promise<KubernetesListObject<KubernetesObject>>;
    }
    return async () => {
      const list = await this.kube.objects.list(info.apiVersion, kind, ns, undefined, undefined, undefined, undefined, labelSelector);
      return { ...list, items: list.items.map((o) => wireForm(kind, info, o)) };
    };
  }

  /** Makes the informers (not started); `onEvent` hears every add, update and delete. */
  build(onEvent: (e: CacheEvent) => void, onError: (kind: CachedKind, err: unknown, restart: () => void) => void): void {
    for (const kind of this.watched()) {
      const info = this.info[kind];
      const informers = info.labels.map((label) => {
        const selector = label || undefined;
        const informer = makeInformer<KubernetesObject>(this.kc, apiPath(info, this.opts.namespace), this.listFn(kind, selector), selector);
        const tell = (deleted: boolean) => (o: KubernetesObject) => {
          const cluster = kind === 'EtcdCluster' ? o.metadata?.name : o.metadata?.labels?.[label];
          if (cluster && o.metadata?.namespace) onEvent({ kind, namespace: o.metadata.namespace, cluster, deleted });
        };
        informer.on('add', tell(false));
        informer.on('update', tell(false));
        informer.on('delete', tell(true));
        informer.on('error', (err) => onError(kind, err, () => void informer.start().catch(() => undefined)));
        return informer;
      });
      this.stores.set(kind, informers);
    }
  }

  async start(): Promise<void> {
    await Promise.all([...this.stores.values()].flat().map((i) => i.start()));
    this.synced = true;
  }

  async stop(): Promise<void> {
    this.synced = false;
    await Promise.all([...this.stores.values()].flat().map((i) => i.stop()));
  }

  has(kind: CachedKind): boolean {
    return this.synced && this.stores.has(kind);
  }

  private raw(kind: CachedKind, namespace: string, name: string): KubernetesObject | undefined {
    for (const s of this.stores.get(kind) ?? []) {
      const o = s.get(name, namespace);
      if (o) return o;
    }
    return undefined;
  }

  get<T>(kind: CachedKind, namespace: string, name: string): T | undefined {
    const o = this.raw(kind, namespace, name);
    return o ? typedCopy<T>(this.info[kind], o) : undefined;
  }

  /** The cached objects of the namespace with label `key=value`, by name (one kind may have several informers). */
  private labelled(kind: CachedKind, namespace: string, key: string, value: string): Map<string, KubernetesObject> {
    const seen = new Map<string, KubernetesObject>();
    for (const s of this.stores.get(kind) ?? []) for (const o of s.list(namespace)) if (o.metadata?.labels?.[key] === value) seen.set(o.metadata.name!, o);
    return seen;
  }

  /** Objects of the namespace with label `key=value`. */
  list<T>(kind: CachedKind, namespace: string, key: string, value: string): T[] {
    return [...this.labelled(kind, namespace, key, value).values()].map((o) => typedCopy<T>(this.info[kind], o));
  }

  /** Kube's hook: the object a write returned (a Status, for some deletes, is not remembered). */
  noteWrite(resource: string, result: unknown): void {
    const kind = WRITTEN[resource];
    const m = (result as KubernetesObject | undefined)?.metadata;
    if (kind && m?.name && m.namespace && m.resourceVersion) this.expect(kind, m.namespace, m.name, m.resourceVersion, !!m.deletionTimestamp);
  }

  /** The cache should come to show this version of the object (or, `gone`, no object). */
  expect(kind: CachedKind, namespace: string, name: string, resourceVersion: string, gone: boolean): void {
    this.expected.expect(kind, namespace, name, resourceVersion, gone);
  }

  /** Every object of the kind the cache holds in the namespace with label key=value, by name, with its version. */
  versions(kind: CachedKind, namespace: string, key: string, value: string): Map<string, string | undefined> {
    return new Map([...this.labelled(kind, namespace, key, value)].map(([name, o]) => [name, o.metadata?.resourceVersion]));
  }

  /** Waits up to SETTLE_MS for the watch to bring back the controller's own writes; false if it has not. */
  async settled(kind: CachedKind, namespace: string, name?: string): Promise<boolean> {
    const deadline = Date.now() + SETTLE_MS;
    const lookup = (n: string) => this.raw(kind, namespace, n)?.metadata?.resourceVersion;
    while (!this.expected.seen(kind, namespace, name, lookup, Date.now())) {
      if (Date.now() >= deadline) return false;
      await new Promise((r) => setTimeout(r, 10));
    }
    return true;
  }
}

