// Records every accepted resize, whichever way it came, as a ResizeRequested Event on the EtcdCluster
// (core/resize-record.ts), and every accepted replacement as a ReplaceRequested Event (core/repair.ts). Written before the admission answer, so it exists before the resize does and the
// controller finds it on the pass that sees the resize begin; bounded by a short timeout, and never a reason
// to fail the request (the resize is then recorded without who asked).
import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { API_VERSION, KIND } from '../core/api.js';
import type { Logger } from '../core/log.js';
import { RESIZE_REQUESTED_REASON, resizeEventMessage, resizeRecordAnnotations, type ResizeRecord } from '../core/resize-record.js';
import type { WebhookMetrics } from './metrics.js';

export interface ClusterRef { namespace: string; name: string; uid?: string }

/** A request the webhook allowed, as an Event on the EtcdCluster: its reason, words and record (annotations). */
export interface RequestEvent {
  reason: string;
  message: string;
  annotations: Record<string, string>;
}

export interface ResizeRecorder {
  /** Resolves once the Event is written, or failed, or EVENT_TIMEOUT_MS passed; never rejects. */
  record(cluster: ClusterRef, record: ResizeRecord, via: string): Promise<void>;
  /** The same for any other request (ReplaceRequested). */
  recordRequest(cluster: ClusterRef, event: RequestEvent): Promise<void>;
}

const EVENT_TIMEOUT_MS = 2000;

export class EventResizeRecorder implements ResizeRecorder {
  private readonly api: CoreV1Api;

  constructor(kc: KubeConfig, private readonly metrics: WebhookMetrics, private readonly log: Logger, private readonly instance: string) {
    this.api = kc.makeApiClient(CoreV1Api);
  }

  record(cluster: ClusterRef, record: ResizeRecord, via: string): Promise<void> {
    return this.recordRequest(cluster, { reason: RESIZE_REQUESTED_REASON, message: resizeEventMessage(record, via), annotations: resizeRecordAnnotations(record) });
  }

  async recordRequest(cluster: ClusterRef, event: RequestEvent): Promise<void> {
    const now = new Date();
    const create = this.api.createNamespacedEvent({
      namespace: cluster.namespace,
      body: {
        metadata: { generateName: `${cluster.name}.request-`, namespace: cluster.namespace, annotations: event.annotations },
        involvedObject: { apiVersion: API_VERSION, kind: KIND, name: cluster.name, namespace: cluster.namespace, uid: cluster.uid },
        reason: event.reason,
        message: event.message,
        type: 'Normal',
        source: { component: 'etcd-webhook' },
        reportingComponent: 'etcd-webhook',
        reportingInstance: this.instance,
        firstTimestamp: now,
        lastTimestamp: now,
        count: 1,
      },
    });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => { timer = setTimeout(() => resolve('timeout'), EVENT_TIMEOUT_MS); });
    const target = `${cluster.namespace}/${cluster.name}`;
    await Promise.race([create.then(() => 'created' as const), timeout])
      .then((result) => {
        this.metrics.resizeEvents.inc({ result });
        if (result === 'timeout') this.log.warn({ cluster: target }, `${event.reason} Event not written within ${EVENT_TIMEOUT_MS} ms`);
      })
      .catch((err: unknown) => {
        this.metrics.resizeEvents.inc({ result: 'failed' });
        this.log.warn({ cluster: target, err: err instanceof Error ? err.message : String(err) }, `could not write the ${event.reason} Event`);
      })
      .finally(() => clearTimeout(timer));
  }
}
