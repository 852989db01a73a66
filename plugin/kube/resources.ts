// The reads and writes the plugin makes, each one request: EtcdClusters (and merge patches of them), their
// pods and Events, and the /scale subresource. Never etcd itself: members' figures come from the EtcdCluster's
// status (the controller reads them), so reading needs no pods/proxy, which would let a user write to etcd.
import { API_VERSION, PLURAL, selectorFor, type EtcdCluster } from '../../core/api.js';
import type { Connection } from './connection.js';
import { kubeRequest, kubeWatch, type KubeResponse } from './http.js';

export const FIELD_MANAGER = 'kubectl-etcd';

/** The parts of core/v1 Pod the plugin shows. */
export interface Pod {
  metadata: { name: string; creationTimestamp?: string; labels?: Record<string, string>; deletionTimestamp?: string };
  spec?: { nodeName?: string };
  status?: {
    phase?: string;
    podIP?: string;
    conditions?: { type: string; status: string }[];
    containerStatuses?: { name: string; ready: boolean; restartCount: number }[];
  };
}

/** The parts of core/v1 Event the plugin shows (and a ResizeRequested Event's record, in its annotations). */
export interface KubeEvent {
  metadata: { name: string; creationTimestamp?: string; annotations?: Record<string, string> };
  involvedObject?: { uid?: string };
  type?: string;
  reason?: string;
  message?: string;
  count?: number;
  firstTimestamp?: string;
  lastTimestamp?: string;
  eventTime?: string;
}

export interface Scale {
  spec?: { replicas?: number };
  status?: { replicas?: number; selector?: string };
}

const base = (ns: string) => `/apis/${API_VERSION}/namespaces/${encodeURIComponent(ns)}/${PLURAL}`;

export async function getCluster(conn: Connection, ns: string, name: string): Promise<EtcdCluster> {
  return (await kubeRequest<EtcdCluster>(conn, { path: `${base(ns)}/${encodeURIComponent(name)}` })).body;
}

/** ns undefined = every namespace (-A). */
export async function listClusters(conn: Connection, ns: string | undefined, timeoutMs?: number): Promise<EtcdCluster[]> {
  const path = ns === undefined ? `/apis/${API_VERSION}/${PLURAL}` : base(ns);
  return (await kubeRequest<{ items: EtcdCluster[] }>(conn, { path, timeoutMs })).body.items ?? [];
}

export async function listPods(conn: Connection, ns: string, cluster: EtcdCluster | string): Promise<Pod[]> {
  const selector = typeof cluster === 'string' ? selectorFor(cluster) : cluster.status?.selector || selectorFor(cluster.metadata.name ?? '');
  const path = `/api/v1/namespaces/${encodeURIComponent(ns)}/pods`;
  return (await kubeRequest<{ items: Pod[] }>(conn, { path, query: { labelSelector: selector } })).body.items ?? [];
}

/** The Events of one EtcdCluster, oldest first. */
export async function listEvents(conn: Connection, ns: string, name: string): Promise<KubeEvent[]> {
  const path = `/api/v1/namespaces/${encodeURIComponent(ns)}/events`;
  const query = { fieldSelector: `involvedObject.kind=EtcdCluster,involvedObject.name=${name}` };
  const items = (await kubeRequest<{ items: KubeEvent[] }>(conn, { path, query })).body.items ?? [];
  return items.sort((a, b) => eventTime(a) - eventTime(b));
}

export function eventTime(e: KubeEvent): number {
  return Date.parse(e.lastTimestamp ?? e.eventTime ?? e.firstTimestamp ?? e.metadata.creationTimestamp ?? '') || 0;
}

/** A merge patch of spec.replicas on the /scale subresource, so the webhook's /scale rules apply. */
export function patchScale(conn: Connection, ns: string, name: string, replicas: number, dryRun: boolean): Promise<KubeResponse<Scale>> {
  return kubeRequest<Scale>(conn, {
    method: 'PATCH',
    path: `${base(ns)}/${encodeURIComponent(name)}/scale`,
    query: { fieldManager: FIELD_MANAGER, dryRun: dryRun ? 'All' : undefined },
    body: { spec: { replicas } },
    contentType: 'application/merge-patch+json',
  });
}

/** A merge patch of the EtcdCluster itself (not /scale), so the webhook judges the whole object's change. */
export function patchCluster(conn: Connection, ns: string, name: string, patch: Record<string, unknown>, dryRun: boolean): Promise<KubeResponse<EtcdCluster>> {
  return kubeRequest<EtcdCluster>(conn, {
    method: 'PATCH',
    path: `${base(ns)}/${encodeURIComponent(name)}`,
    query: { fieldManager: FIELD_MANAGER, dryRun: dryRun ? 'All' : undefined },
    body: patch,
    contentType: 'application/merge-patch+json',
  });
}

/** The EtcdCluster's annotations (a request such as `replace`). */
export function patchClusterAnnotations(conn: Connection, ns: string, name: string, annotations: Record<string, string | null>, dryRun: boolean): Promise<KubeResponse<EtcdCluster>> {
  return patchCluster(conn, ns, name, { metadata: { annotations } }, dryRun);
}

/** spec.version (`upgrade`): the webhook's V10 judges it and records who asked. */
export function patchClusterVersion(conn: Connection, ns: string, name: string, version: string, dryRun: boolean): Promise<KubeResponse<EtcdCluster>> {
  return patchCluster(conn, ns, name, { spec: { version } }, dryRun);
}

export function watchCluster(conn: Connection, ns: string, name: string, signal: AbortSignal, onChange: (c: EtcdCluster) => void): Promise<void> {
  return kubeWatch(conn, { path: base(ns), query: { fieldSelector: `metadata.name=${name}`, timeoutSeconds: '300' }, signal }, (type, object) => {
    if (type === 'ADDED' || type === 'MODIFIED') onChange(object as EtcdCluster);
  });
}

/** Names of the EtcdClusters in a namespace, for completion. */
export async function clusterNames(conn: Connection, ns: string, timeoutMs: number): Promise<string[]> {
  return (await listClusters(conn, ns, timeoutMs)).map((c) => c.metadata.name ?? '').filter((n) => n !== '');
}
