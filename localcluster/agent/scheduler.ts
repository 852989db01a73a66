// Plays the scheduler for a one-node cluster: binds Pending pods to the node (a Binding, as kube-scheduler
// does), unless their nodeSelector excludes it; then they stay Pending with PodScheduled=False, as upstream.
import type { V1Pod } from '@kubernetes/client-node';
import { type Clients, describeError, mergePatch, statusCode } from './kube.js';
import type { Logger } from '../../core/log.js';

/** Why a pod cannot go to this node, or undefined when it can. */
export function unschedulableReason(pod: V1Pod, labels: Record<string, string>): string | undefined {
  const selector = pod.spec?.nodeSelector ?? {};
  const misses = Object.entries(selector).filter(([k, v]) => labels[k] !== v).map(([k, v]) => `${k}=${v}`);
  return misses.length ? `0/1 nodes are available: 1 node(s) didn't match node selector (${misses.join(', ')})` : undefined;
}

export function wantsBinding(pod: V1Pod): boolean {
  const scheduler = pod.spec?.schedulerName ?? 'default-scheduler';
  return !pod.spec?.nodeName && !pod.metadata?.deletionTimestamp && scheduler === 'default-scheduler'
    && pod.status?.phase !== 'Succeeded' && pod.status?.phase !== 'Failed';
}

export class Scheduler {
  private readonly inFlight = new Set<string>();
  private readonly reported = new Map<string, string>();

  constructor(private readonly nodeName: string, private readonly labels: Record<string, string>,
    private readonly clients: Clients, private readonly log: Logger) {}

  consider(pod: V1Pod): void {
    const uid = pod.metadata?.uid;
    if (!uid || !wantsBinding(pod) || this.inFlight.has(uid)) return;
    this.inFlight.add(uid);
    this.bind(pod).finally(() => this.inFlight.delete(uid));
  }

  forget(uid: string): void {
    this.reported.delete(uid);
  }

  private async bind(pod: V1Pod): Promise<void> {
    const name = pod.metadata!.name!, namespace = pod.metadata!.namespace!, uid = pod.metadata!.uid!;
    const why = unschedulableReason(pod, this.labels);
    try {
      if (why) {
        if (this.reported.get(uid) === why) return;
        await this.clients.core.patchNamespacedPodStatus({ name, namespace, body: { status: { conditions: [
          { type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: why, lastTransitionTime: new Date() },
        ] } } }, mergePatch);
        this.reported.set(uid, why);
        return;
      }
      await this.clients.core.createNamespacedPodBinding({ name, namespace, body: {
        metadata: { name, namespace, uid }, target: { apiVersion: 'v1', kind: 'Node', name: this.nodeName },
      } });
      this.log.info({ pod: `${namespace}/${name}` }, 'pod bound');
    } catch (err) {
      // 409: bound meanwhile (or replaced); 404: gone. The informer brings any newer state.
      const code = statusCode(err);
      if (code !== 409 && code !== 404) {
        this.log.warn({ pod: `${namespace}/${name}`, err: describeError(err) }, 'binding failed; retrying');
        setTimeout(() => this.consider(pod), 2000).unref();
      }
    }
  }
}
