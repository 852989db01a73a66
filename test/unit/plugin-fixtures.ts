// Fixed EtcdClusters (with members' figures as the controller writes them) and pods for the plugin's rendering tests.
import { createHash } from 'node:crypto';
import type { Condition, EtcdCluster, MemberStatus, SnapshotRecord } from '../../core/api.js';
import { snapshotFileName } from '../../core/snapshot-files.js';
import type { KubeEvent, Pod } from '../../plugin/kube/resources.js';
import { buildView, type ClusterView } from '../../plugin/commands/status/view.js';

export const NOW = new Date('2026-11-24T12:00:00Z');
export const ago = (s: number, now = NOW) => new Date(now.getTime() - s * 1000).toISOString();
const ID = ['8e9e05c52164694d', '91bc3c398fb3c146', 'fd422379fda50e48'];

export function member(i: number, extra: Partial<MemberStatus> = {}): MemberStatus {
  return { name: `demo-${i}`, id: ID[i], peerURL: `http://demo-${i}.demo.ns.svc:2380`, clientURL: `http://demo-${i}.demo.ns.svc:2379`, isLearner: false, healthy: true, ...extra };
}

export function cond(type: string, status: 'True' | 'False', reason: string, message: string, secondsAgo = 60): Condition {
  return { type, status, reason, message, lastTransitionTime: ago(secondsAgo), observedGeneration: 2 };
}

export function pod(i: number, ready = true, restarts = 0, createdSecondsAgo = 3600): Pod {
  return {
    metadata: { name: `demo-${i}`, creationTimestamp: ago(createdSecondsAgo) },
    spec: { nodeName: `node-${i + 1}` },
    status: {
      phase: 'Running', podIP: `10.244.0.${10 + i}`,
      conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }],
      containerStatuses: [{ name: 'etcd', ready, restartCount: restarts }],
    },
  };
}

/** A member's figures as the controller writes them into status.members: read from it 12 s before NOW unless said. */
export function figures(raftIndex: number, extra: Partial<MemberStatus> = {}): Partial<MemberStatus> {
  return { version: '3.4.23', dbSize: 24576, raftTerm: 4, raftIndex, revision: raftIndex - 10, readAt: ago(12), ...extra };
}

/** A snapshot as the controller records it in status.backup: taken from demo-1 `secondsAgo` before `now`, 1.5 MiB. */
export function snapshotRecord(secondsAgo: number, revision: number, extra: Partial<SnapshotRecord> = {}, now = NOW): SnapshotRecord {
  const takenAt = ago(secondsAgo, now);
  return {
    name: snapshotFileName('demo', new Date(takenAt), revision), revision, sizeBytes: 1.5 * 1024 ** 2,
    sha256: createHash('sha256').update(String(revision)).digest('hex'), takenAt, member: 'demo-1', ...extra,
  };
}

export function cluster(spec: number, members: MemberStatus[], extra: Partial<NonNullable<EtcdCluster['status']>> = {}, generation = 2, annotations?: Record<string, string>): EtcdCluster {
  return {
    apiVersion: 'etcd.k8s-operator.io/v1alpha1', kind: 'EtcdCluster',
    metadata: { name: 'demo', namespace: 'ns', generation, creationTimestamp: ago(7200), annotations },
    spec: { size: spec, version: '3.6.5' },
    status: {
      observedGeneration: generation, phase: 'Running', size: members.filter((m) => !m.isLearner).length,
      readyReplicas: members.filter((m) => m.healthy).length, leader: 'demo-0', members,
      conditions: [cond('Available', 'True', 'QuorumHealthy', 'all members healthy')],
      lastResize: { from: 1, to: 3, requestedBy: 'alice', startedAt: ago(3000), completedAt: ago(2930) },
      selector: 'etcd.k8s-operator.io/cluster=demo',
      ...extra,
    },
  };
}

const EVENTS: KubeEvent[] = [
  { metadata: { name: 'e1' }, type: 'Normal', reason: 'MemberAdded', message: 'added demo-1 as learner', lastTimestamp: ago(3000) },
  { metadata: { name: 'e2' }, type: 'Normal', reason: 'MemberPromoted', message: 'promoted demo-1', lastTimestamp: ago(2950), count: 2 },
];

export const fixtures: Record<string, () => ClusterView> = {
  healthy: () => buildView({
    cluster: cluster(3, [member(0, figures(100)), member(1, figures(98)), member(2, figures(100))]),
    pods: [pod(0), pod(1), pod(2, true, 1)],
    events: EVENTS,
    unreadable: [],
    now: NOW,
  }),
  scaling: () => buildView({
    // demo-2's etcd has not answered the controller yet: no figures.
    cluster: cluster(3, [member(0, figures(200)), member(1, figures(200)), member(2, { isLearner: true })], {
      phase: 'Scaling', size: 2,
      conditions: [cond('Available', 'True', 'QuorumHealthy', '2 voting members healthy'), cond('Progressing', 'True', 'PromotingLearner', 'waiting for demo-2 to catch up before promoting it', 30)],
      lastResize: { from: 1, to: 3, requestedBy: 'bob', startedAt: ago(90) },
    }, 3),
    pods: [pod(0), pod(1), pod(2, false, 0, 40)],
    events: EVENTS,
    unreadable: [],
    now: NOW,
  }),
  degraded: () => buildView({
    cluster: cluster(3, [member(0, figures(100)), member(1, figures(100)), member(2, { healthy: false })], {
      phase: 'Degraded', readyReplicas: 2,
      conditions: [cond('Available', 'True', 'QuorumHealthy', '2 of 3 healthy'), cond('Degraded', 'True', 'MemberUnhealthy', 'demo-2 is unhealthy')],
    }),
    pods: [pod(0), pod(1), pod(2, false, 7)],
    events: EVENTS,
    unreadable: [],
    now: NOW,
  }),
  lostQuorum: () => buildView({
    cluster: cluster(3, [member(0), member(1, { healthy: false }), member(2, { healthy: false })], {
      phase: 'Failed', readyReplicas: 1, leader: undefined,
      conditions: [cond('Available', 'False', 'QuorumLost', '1 of 3 healthy, quorum is 2')],
    }),
    pods: [pod(0), pod(1, false), pod(2, false)],
    events: [],
    unreadable: [],
    now: NOW,
  }),
  learnerStuck: () => buildView({
    cluster: cluster(3, [member(0, figures(5000)), member(1, figures(5000)), member(2, { isLearner: true, ...figures(1200, { dbSize: 1.9 * 1024 ** 3 }) })], {
      phase: 'Scaling', size: 2,
      conditions: [cond('Progressing', 'True', 'PromotingLearner', 'learner demo-2 not in sync with the leader', 600)],
    }),
    pods: [pod(0), pod(1), pod(2, true, 0, 600)],
    events: [],
    unreadable: [],
    now: NOW,
  }),
};
