// Whether a PriorityClass exists, asked of the API server when an EtcdCluster's podTemplate names one anew (rule
// V11): the API server does not check a StatefulSet's template for it, and a missing one leaves a restarted
// member without a pod. A lookup that fails answers "unknown", which denies nothing.
import { ApiException, SchedulingV1Api, type KubeConfig } from '@kubernetes/client-node';
import type { Logger } from '../core/log.js';

export function priorityClassLookup(kc: KubeConfig, log: Logger): (name: string) => Promise<boolean | undefined> {
  const api = kc.makeApiClient(SchedulingV1Api);
  return async (name) => {
    try {
      await api.readPriorityClass({ name });
      return true;
    } catch (err) {
      if (err instanceof ApiException && err.code === 404) return false;
      log.warn({ priorityClass: name, err: err instanceof Error ? err.message : String(err) }, 'could not look up a PriorityClass; not checked');
      return undefined;
    }
  };
}
