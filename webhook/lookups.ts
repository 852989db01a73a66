// What the webhook asks the API server for a rule about objects the request only names, which the API server
// itself would not check: a podTemplate's PriorityClass (V11), a restore's backups PVC and source cluster (V13).
// A lookup that fails or is slow answers "unknown" (undefined), which denies nothing.
import { ApiException, CoreV1Api, SchedulingV1Api, type KubeConfig } from '@kubernetes/client-node';
import type { Logger } from '../core/log.js';

/** Well inside the webhook's timeoutSeconds (5): past it the API server would fail the request closed. */
export const LOOKUP_TIMEOUT_MS = 2000;

/** The lookup's answer, or undefined when it fails or takes longer than LOOKUP_TIMEOUT_MS. */
export async function withinLookupTime<T>(lookup: Promise<T>, onError: (err: unknown) => void = () => undefined): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => {
      onError(new Error(`no answer within ${LOOKUP_TIMEOUT_MS} ms`));
      resolve(undefined);
    }, LOOKUP_TIMEOUT_MS);
  });
  try {
    return await Promise.race([lookup.catch((err: unknown) => { onError(err); return undefined; }), late]);
  } finally {
    clearTimeout(timer);
  }
}

/** true, false on a 404, undefined (logged) when the API server could not answer. */
export async function exists(read: () => Promise<unknown>, log: Logger, what: Record<string, string>): Promise<boolean | undefined> {
  const warn = (err: unknown) =>
    log.warn({ ...what, err: err instanceof Error ? err.message : String(err) }, 'could not look up an object a rule needs; not checked');
  return withinLookupTime(read().then(() => true, (err: unknown) => {
    if (err instanceof ApiException && err.code === 404) return false;
    throw err;
  }), warn);
}

export function priorityClassLookup(kc: KubeConfig, log: Logger): (name: string) => Promise<boolean | undefined> {
  const api = kc.makeApiClient(SchedulingV1Api);
  return (name) => exists(() => api.readPriorityClass({ name }), log, { priorityClass: name });
}

export function pvcLookup(kc: KubeConfig, log: Logger): (namespace: string, name: string) => Promise<boolean | undefined> {
  const api = kc.makeApiClient(CoreV1Api);
  return (namespace, name) => exists(() => api.readNamespacedPersistentVolumeClaim({ namespace, name }), log, { pvc: `${namespace}/${name}` });
}
