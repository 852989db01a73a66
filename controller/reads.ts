// How a pass reads Kubernetes: from the informer cache (object-cache.ts), or from the API server on a fresh
// pass (the safety net), when the cache has not shown the controller's own write yet, or for a kind not
// cached. A fresh pass then checks the cache against what it read: the cache must come to show the same
// versions (and no object the API server no longer has) within SETTLE_MS, else a watch event was missed.
import type { KubernetesObject } from '@kubernetes/client-node';
import type { EtcdCluster } from '../core/api.js';
import type { Logger } from '../core/log.js';
import type { Kube } from './kube.js';
import { apiReads, cacheDrift, staleReads } from './metrics.js';
import { kinds, type CachedKind, type ObjectCache } from './object-cache.js';

export interface PassReads {
  cluster(namespace: string, name: string): Promise<EtcdCluster | undefined>;
  get<T extends KubernetesObject>(kind: CachedKind, namespace: string, name: string): Promise<T | undefined>;
  /** Objects of the namespace labelled key=value. */
  list<T extends KubernetesObject>(kind: CachedKind, namespace: string, key: string, value: string): Promise<T[]>;
  /** The same from the API server, where a decision needs what the cache may not have shown yet (`why`, counted). */
  listFromApi<T extends KubernetesObject>(kind: CachedKind, namespace: string, key: string, value: string, why: string): Promise<T[]>;
}

export class Reads {
  private readonly info: ReturnType<typeof kinds>;

  constructor(
    private readonly kube: Kube,
    private readonly log: Logger,
    private readonly cache?: ObjectCache,
  ) {
    this.info = kinds(kube.pdbApiVersion);
  }

  private apiGet<T extends KubernetesObject>(kind: CachedKind, namespace: string, name: string, why: string): Promise<T | undefined> {
    apiReads.inc({ kind, why });
    if (kind === 'EtcdCluster') return this.kube.getCluster(namespace, name) as Promise<T | undefined>;
    return this.kube.read<T>(this.info[kind].apiVersion, kind, namespace, name);
  }

  private async apiList<T extends KubernetesObject>(kind: CachedKind, namespace: string, key: string, value: string, why: string): Promise<T[]> {
    apiReads.inc({ kind, why });
    const list = await this.kube.objects.list(this.info[kind].apiVersion, kind, namespace, undefined, undefined, undefined, undefined, `${key}=${value}`);
    return list.items as T[];
  }

  /** After a fresh read: the cache must catch up with it, or it missed something. */
  private async check(kind: CachedKind, namespace: string, what: string, seen: Map<string, string | undefined>, cached: Map<string, string | undefined>): Promise<void> {
    const cache = this.cache!;
    for (const [name, rv] of seen) if (rv) cache.expect(kind, namespace, name, rv, false);
    for (const [name, rv] of cached) if (!seen.has(name) && rv) cache.expect(kind, namespace, name, rv, true);
    const names = [...new Set([...seen.keys(), ...cached.keys()])];
    const settled = await Promise.all(names.map((name) => cache.settled(kind, namespace, name)));
    names.forEach((name, i) => {
      if (settled[i]) return;
      cacheDrift.inc({ kind });
      this.log.warn({ kind, object: `${namespace}/${name}`, what }, 'the informer cache did not come to show what the API server has (a missed watch event)');
    });
  }

  /** The reads of one pass; `fresh`: from the API server, the cache checked against them. */
  pass(fresh: boolean): PassReads {
    const cache = this.cache;
    const get = async <T extends KubernetesObject>(kind: CachedKind, namespace: string, name: string): Promise<T | undefined> => {
      if (!cache?.has(kind)) return this.apiGet<T>(kind, namespace, name, 'uncached');
      if (fresh) {
        const api = await this.apiGet<T>(kind, namespace, name, 'fresh');
        const cached = cache.get<T>(kind, namespace, name)?.metadata?.resourceVersion;
        await this.check(kind, namespace, name, new Map(api ? [[name, api.metadata?.resourceVersion]] : []), new Map(cached ? [[name, cached]] : []));
        return api;
      }
      if (await cache.settled(kind, namespace, name)) return cache.get<T>(kind, namespace, name);
      staleReads.inc({ kind });
      return this.apiGet<T>(kind, namespace, name, 'unsettled');
    };
    const list = async <T extends KubernetesObject>(kind: CachedKind, namespace: string, key: string, value: string): Promise<T[]> => {
      if (!cache?.has(kind)) return this.apiList<T>(kind, namespace, key, value, 'uncached');
      if (fresh) {
        const api = await this.apiList<T>(kind, namespace, key, value, 'fresh');
        await this.check(kind, namespace, `${key}=${value}`, new Map(api.map((o) => [o.metadata!.name!, o.metadata?.resourceVersion])), cache.versions(kind, namespace, key, value));
        return api;
      }
      if (await cache.settled(kind, namespace)) return cache.list<T>(kind, namespace, key, value);
      staleReads.inc({ kind });
      return this.apiList<T>(kind, namespace, key, value, 'unsettled');
    };
    return {
      cluster: (ns, name) => get<EtcdCluster & KubernetesObject>('EtcdCluster', ns, name) as Promise<EtcdCluster | undefined>, get, list,
      listFromApi: (kind, namespace, key, value, why) => this.apiList(kind, namespace, key, value, why),
    };
  }
}
