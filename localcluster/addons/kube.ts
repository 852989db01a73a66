// API access shared by the agent's parts: typed clients, merge-patch options, error helpers, and informers
// that restart after API errors (client-node's ListWatch stops on a failed list or watch).
import {
  CoreV1Api, KubeConfig, PatchStrategy, makeInformer, setHeaderOptions,
  type Informer, type KubernetesListObject, type KubernetesObject, type ObjectCache,
} from '@kubernetes/client-node';
import type { Logger } from '../../core/log.js';

export interface Clients {
  kc: KubeConfig;
  core: CoreV1Api;
}

export function makeClients(kc: KubeConfig): Clients {
  return { kc, core: kc.makeApiClient(CoreV1Api) };
}

export const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

export function statusCode(err: unknown): number | undefined {
  const e = err as { code?: unknown; statusCode?: unknown };
  if (typeof e?.code === 'number') return e.code;
  return typeof e?.statusCode === 'number' ? e.statusCode : undefined;
}

export function isNotFound(err: unknown): boolean {
  return statusCode(err) === 404;
}

/** A short, single-line description of an API error (its Status message when there is one). */
export function describeError(err: unknown): string {
  const e = err as { body?: unknown; message?: string };
  if (typeof e?.body === 'string') {
    try {
      const status = JSON.parse(e.body) as { message?: string };
      if (status.message) return status.message;
    } catch { /* not JSON: fall through */ }
  }
  return (e?.message ?? String(err)).split('\n')[0];
}

export type WatchedCache<T> = Informer<T & KubernetesObject> & ObjectCache<T & KubernetesObject>;

/** Starts an informer and keeps it running: after an error it starts again with back-off (1 s .. 30 s). */
export function startInformer<T extends KubernetesObject>(kc: KubeConfig, path: string,
  list: () => Promise<KubernetesListObject<T>>, log: Logger, labelSelector?: string): WatchedCache<T> {
  const informer = makeInformer<T>(kc, path, list, labelSelector);
  let delay = 1000;
  let stopped = false;
  let pending = false;
  const start = (): void => {
    pending = false;
    informer.start().catch((err: unknown) => restart(err));
  };
  // One restart per failure, however many callbacks report it.
  const restart = (err: unknown): void => {
    if (stopped || pending) return;
    pending = true;
    log.warn({ path, err: describeError(err), retryInMs: delay }, 'watch failed; restarting');
    setTimeout(start, delay).unref();
    delay = Math.min(delay * 2, 30000);
  };
  informer.on('error', restart);
  informer.on('connect', () => { delay = 1000; });
  const origStop = informer.stop.bind(informer);
  informer.stop = async () => { stopped = true; await origStop(); };
  start();
  return informer as WatchedCache<T>;
}
