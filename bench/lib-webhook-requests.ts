// The AdmissionReviews the latency benchmark sends: what the API server sends for a resize of a formed,
// healthy 3-member cluster, on the main resource (validate, mutate) and on /scale (validate).
import type { EtcdCluster } from '../core/api.js';

const members = [0, 1, 2].map((i) => ({
  name: `demo-${i}`, id: `8e9e05c5216469${i}d`, isLearner: false, healthy: true,
  peerURL: `http://demo-${i}.demo.bench.svc:2380`, clientURL: `http://demo-${i}.demo.bench.svc:2379`,
}));

const cluster: EtcdCluster = {
  apiVersion: 'etcd.k8s-operator.io/v1alpha1',
  kind: 'EtcdCluster',
  metadata: {
    name: 'demo', namespace: 'bench', uid: '6a1f4c1e-0000-4000-8000-000000000001', generation: 4, resourceVersion: '12345',
    creationTimestamp: '2026-11-24T18:00:00Z', labels: { app: 'demo' },
    annotations: { 'etcd.k8s-operator.io/intended-size': '3', 'kubectl.kubernetes.io/last-applied-configuration': '{"apiVersion":"etcd.k8s-operator.io/v1alpha1","kind":"EtcdCluster","metadata":{"name":"demo","namespace":"bench"},"spec":{"size":3}}' },
  },
  spec: { size: 3, version: '3.6.5', storage: { size: '1Gi' } },
  status: {
    observedGeneration: 4, phase: 'Running', size: 3, readyReplicas: 3, leader: 'demo-0', members,
    conditions: [
      { type: 'Available', status: 'True', reason: 'QuorumHealthy', message: '3 of 3 members healthy', lastTransitionTime: '2026-11-24T18:01:00Z', observedGeneration: 4 },
      { type: 'Progressing', status: 'False', reason: 'Idle', message: 'size 3 reached', lastTransitionTime: '2026-11-24T18:01:00Z', observedGeneration: 4 },
      { type: 'Degraded', status: 'False', reason: 'Healthy', message: '', lastTransitionTime: '2026-11-24T18:01:00Z', observedGeneration: 4 },
    ],
    selector: 'etcd.k8s-operator.io/cluster=demo',
  },
};

export const benchClusters: EtcdCluster[] = [cluster];

const userInfo = { username: 'alice', uid: 'u-1', groups: ['system:authenticated'] };
const resource = { group: 'etcd.k8s-operator.io', version: 'v1alpha1', resource: 'etcdclusters' };

function review(uid: string, request: Record<string, unknown>): string {
  return JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: { uid, resource, namespace: 'bench', name: 'demo', operation: 'UPDATE', userInfo, dryRun: false, ...request } });
}

const mainUpdate = {
  kind: { group: 'etcd.k8s-operator.io', version: 'v1alpha1', kind: 'EtcdCluster' },
  object: { ...cluster, spec: { ...cluster.spec, size: 5 } },
  oldObject: cluster,
};
const scale = (replicas: number) => ({
  apiVersion: 'autoscaling/v1', kind: 'Scale', metadata: { name: 'demo', namespace: 'bench', uid: cluster.metadata.uid },
  spec: { replicas }, status: { replicas: 3, selector: 'etcd.k8s-operator.io/cluster=demo' },
});

export const benchRequests: Array<{ path: string; body: string }> = [
  { path: '/validate', body: review('b-validate', mainUpdate) },
  { path: '/mutate', body: review('b-mutate', mainUpdate) },
  { path: '/validate', body: review('b-scale', { kind: { group: 'autoscaling', version: 'v1', kind: 'Scale' }, subResource: 'scale', object: scale(5), oldObject: scale(3) }) },
];
