// One "done" check for a resize, the same for the operator and for the by-hand floor, read from etcd and
// Kubernetes (never from the operator's status): exactly `size` started voting members and no learner in
// the leader's member list, pods NAME-0..size-1 all Ready and none deleting, the StatefulSet at `size`,
// and exactly `size` PVCs (none for an emptyDir cluster).
import type { AppsV1Api, CoreV1Api } from '@kubernetes/client-node';
import { CLUSTER_LABEL } from '../core/api.js';
import { clientURL } from '../core/member-naming.js';
import { EtcdAdmin, type EtcdClientCredentials } from '../controller/etcd-admin.js';

const etcd = new EtcdAdmin({ timeoutMs: 1000 });

export interface Kube {
  core: CoreV1Api;
  apps: AppsV1Api;
}

/** Undefined when converged at `size`, else what is not there yet (a TLS cluster's members asked with `tls`'s client certificate). */
export async function notConverged(kube: Kube, namespace: string, name: string, size: number, tls?: EtcdClientCredentials): Promise<string | undefined> {
  const selector = `${CLUSTER_LABEL}=${name}`;
  const [pods, pvcs, sts] = await Promise.all([
    kube.core.listNamespacedPod({ namespace, labelSelector: selector }),
    kube.core.listNamespacedPersistentVolumeClaim({ namespace, labelSelector: selector }),
    kube.apps.readNamespacedStatefulSet({ namespace, name }),
  ]);
  const want = Array.from({ length: size }, (_, k) => `${name}-${k}`).join(',');
  const podNames = pods.items.map((p) => p.metadata!.name!).sort().join(',');
  if (podNames !== want) return `pods ${podNames || 'none'}`;
  const unready = pods.items.filter((p) => p.metadata?.deletionTimestamp || !p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
  if (unready.length) return `pods not ready: ${unready.map((p) => p.metadata!.name).join(',')}`;
  if (sts.spec?.replicas !== size) return `StatefulSet replicas ${sts.spec?.replicas}`;
  // An emptyDir cluster (no volume claim template) has no PVCs.
  const wantPvcs = sts.spec?.volumeClaimTemplates?.length ? size : 0;
  if (pvcs.items.length !== wantPvcs) return `${pvcs.items.length} PVCs (want ${wantPvcs})`;
  const admin = tls ? etcd.withCredentials(tls) : etcd;
  const view = await admin.observe(Array.from({ length: size + 2 }, (_, k) => clientURL(name, namespace, k, tls ? 'https' : 'http')));
  if (!view.authoritative || !view.members) return `etcd: ${view.problem ?? 'no leader'}`;
  const voting = view.members.filter((m) => !m.isLearner && m.name !== '');
  if (voting.length !== size || view.members.length !== size) return `etcd members ${view.members.map((m) => `${m.name || '?'}${m.isLearner ? '(learner)' : ''}`).join(',')}`;
  return undefined;
}
