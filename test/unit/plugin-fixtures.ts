// Fixed EtcdClusters, pods and etcd answers for the plugin's rendering tests.
import type { Condition, EtcdCluster, MemberStatus } from '../../core/api.js';
import type { EtcdStatusResponse, KubeEvent, Pod } from '../../plugin/kube/resources.js';
import { buildView, type ClusterView } from '../../plugin/commands/status/view.js';

export const NOW = new Date('2026-11-24T12:00:00Z');
const ago = (s: number) => new Date(NOW.getTime() - s * 1000).toISOString();
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
    spec: { nodeName: 'node-1' },
    status: {
      phase: 'Running', podIP: `10.244.0.${10 + i}`,
      conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }],
      containerStatuses: [{ name: 'etcd', ready, restartCount: restarts }],
    },
  };
}

/** etcd's answer: member_id and leader as decimal strings, as the JSON gateway sends them. */
export function live(i: number, leader: number, raftIndex: number, dbSize = 24576): EtcdStatusResponse {
  return {
    header: { member_id: BigInt(`0x${ID[i]}`).toString(10), raft_term: '4' },
    version: '3.4.23', dbSize: String(dbSize), leader: BigInt(`0x${ID[leader]}`).toString(10), raftIndex: String(raftIndex), raftTerm: '4',
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
    cluster: cluster(3, [member(0), member(1), member(2)]),
    pods: [pod(0), pod(1), pod(2, true, 1)],
    events: EVENTS,
    live: new Map([['demo-0', live(0, 0, 100)], ['demo-1', live(1, 0, 98)], ['demo-2', live(2, 0, 100)]]),
    unreadable: [],
    now: NOW,
  }),
  scaling: () => buildView({
    cluster: cluster(3, [member(0), member(1), member(2, { isLearner: true })], {
      phase: 'Scaling', size: 2,
      conditions: [cond('Available', 'True', 'QuorumHealthy', '2 voting members healthy'), cond('Progressing', 'True', 'PromotingLearner', 'waiting for demo-2 to catch up before promoting it', 30)],
      lastResize: { from: 1, to: 3, requestedBy: 'bob', startedAt: ago(90) },
    }, 3),
    pods: [pod(0), pod(1), pod(2, false, 0, 40)],
    events: EVENTS,
    live: new Map([['demo-0', live(0, 0, 200)], ['demo-1', live(1, 0, 200)]]),
    unreadable: ['demo-2 (etcd status via the pod proxy): connection refused'],
    now: NOW,
  }),
  degraded: () => buildView({
    cluster: cluster(3, [member(0), member(1), member(2, { healthy: false })], {
      phase: 'Degraded', readyReplicas: 2,
      conditions: [cond('Available', 'True', 'QuorumHealthy', '2 of 3 healthy'), cond('Degraded', 'True', 'MemberUnhealthy', 'demo-2 is unhealthy')],
    }),
    pods: [pod(0), pod(1), pod(2, false, 7)],
    events: EVENTS,
    live: new Map([['demo-0', live(0, 0, 100)], ['demo-1', live(1, 0, 100)]]),
    unreadable: ['demo-2 (etcd status via the pod proxy): timed out'],
    now: NOW,
  }),
  lostQuorum: () => buildView({
    cluster: cluster(3, [member(0), member(1, { healthy: false }), member(2, { healthy: false })], {
      phase: 'Failed', readyReplicas: 1, leader: undefined,
      conditions: [cond('Available', 'False', 'QuorumLost', '1 of 3 healthy, quorum is 2')],
    }),
    pods: [pod(0), pod(1, false), pod(2, false)],
    events: [],
    live: new Map(),
    unreadable: ['demo-0 (etcd status via the pod proxy): timed out'],
    now: NOW,
  }),
  learnerStuck: () => buildView({
    cluster: cluster(3, [member(0), member(1), member(2, { isLearner: true })], {
      phase: 'Scaling', size: 2,
      conditions: [cond('Progressing', 'True', 'PromotingLearner', 'learner demo-2 not in sync with the leader', 600)],
    }),
    pods: [pod(0), pod(1), pod(2, true, 0, 600)],
    events: [],
    live: new Map([['demo-0', live(0, 0, 5000)], ['demo-1', live(1, 0, 5000)], ['demo-2', live(2, 0, 1200, 1.9 * 1024 ** 3)]]),
    unreadable: [],
    now: NOW,
  }),
};
