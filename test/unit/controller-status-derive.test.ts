// Status derivation: READY is etcd health AND pod readiness, phases and conditions follow the truth.
import type { EtcdCluster } from '../../core/api.js';
import { peerURL } from '../../core/member-naming.js';
import { member, NAME, NS } from './controller-fixtures.js';
import type { Observed, ObservedMember, Step } from '../../core/reconcile-step.js';
import { deriveStatus, statusEqual } from '../../core/status-derive.js';
import { Annotations } from '../../core/api.js';
import { parseResizeRecord } from '../../core/resize-record.js';

const T = '2026-01-01T00:00:00.000Z';


function observed(members: ObservedMember[] | undefined, opts: { size?: number; ready?: number[]; status?: EtcdCluster['status']; authoritative?: boolean; annotations?: Record<string, string> } = {}): Observed {
  const ready = new Set(opts.ready ?? members?.map((m) => m.ordinal!) ?? []);
  return {
    now: Date.parse(T),
    cluster: {
      metadata: { name: NAME, namespace: NS, uid: 'u', generation: 7, annotations: opts.annotations },
      spec: { size: opts.size ?? members?.filter((m) => !m.isLearner).length ?? 1 },
      status: opts.status,
    },
    etcd: { members, authoritative: opts.authoritative ?? !!members, leaderId: members?.[0]?.id, problem: members ? undefined : 'no etcd member answered' },
    servicesPresent: true,
    statefulSet: { replicas: members?.length ?? 1 },
    pods: (members ?? []).map((m) => ({ name: m.name, ordinal: m.ordinal!, ready: ready.has(m.ordinal!), deleting: false, serving: !m.isLearner })),
    pvcs: [],
  };
}

const idle: Step = { kind: 'idle' };
const cond = (s: ReturnType<typeof deriveStatus>, type: string) => s.conditions!.find((c) => c.type === type)!;
const running = { phase: 'Running' as const };

describe('deriveStatus', () => {
  it('a healthy 3-member cluster: Running, 3/3, leader, members with hex ids, conditions with observedGeneration', () => {
    const s = deriveStatus({ observed: observed([member(0), member(1), member(2)], { status: running }), step: idle }, T);
    expect(s).toMatchObject({ observedGeneration: 7, phase: 'Running', size: 3, readyReplicas: 3, leader: 'demo-0', selector: 'etcd.k8s-operator.io/cluster=demo' });
    expect(s.members!.map((m) => m.id)).toEqual(['000000000000abc0', '000000000000abc1', '000000000000abc2']);
    expect(cond(s, 'Available')).toMatchObject({ status: 'True', reason: 'QuorumHealthy', observedGeneration: 7 });
    expect(cond(s, 'Progressing')).toMatchObject({ status: 'False', reason: 'SizeReached' });
    expect(cond(s, 'Degraded')).toMatchObject({ status: 'False', reason: 'AllMembersHealthy' });
  });

  it('READY counts members etcd reports healthy AND whose pod is Ready (not StatefulSet readiness)', () => {
    const s = deriveStatus({ observed: observed([member(0), member(1, { healthy: false }), member(2)], { ready: [0, 1], status: running }), step: idle }, T);
    // demo-1: pod ready, etcd unhealthy; demo-2: etcd healthy, pod not ready.
    expect(s.readyReplicas).toBe(1);
    expect(s.phase).toBe('Degraded');
    expect(cond(s, 'Degraded')).toMatchObject({ status: 'True', reason: 'MemberUnhealthy', message: 'unhealthy: demo-1' });
  });

  it('size counts voting members only; a learner shows with isLearner and the phase is Scaling', () => {
    const step: Step = { kind: 'promote', member: member(3, { isLearner: true }) };
    const s = deriveStatus({ observed: observed([member(0), member(1), member(2), member(3, { isLearner: true })], { size: 5, status: running }), step }, T);
    expect(s.size).toBe(3);
    expect(s.members![3]).toMatchObject({ name: 'demo-3', isLearner: true });
    expect(s.phase).toBe('Scaling');
    expect(cond(s, 'Progressing')).toMatchObject({ status: 'True', reason: 'Resizing', message: '3 -> 5: promoting learner demo-3 once it has caught up' });
  });

  it('Creating while a new cluster grows to its first size', () => {
    const step: Step = { kind: 'add-learner', name: 'demo-1', ordinal: 1, peerURL: peerURL(NAME, NS, 1) };
    const s = deriveStatus({ observed: observed([member(0)], { size: 3 }), step }, T);
    expect(s.phase).toBe('Creating');
    expect(cond(s, 'Progressing')).toMatchObject({ status: 'True', reason: 'Creating' });
  });

  it('etcd unreachable: the last members are kept but none claimed healthy, READY 0, phase Failed, Available False', () => {
    const prev = deriveStatus({ observed: observed([member(0), member(1), member(2)], { status: running }), step: idle }, T);
    const step: Step = { kind: 'blocked', reason: 'EtcdUnreachable', message: 'etcd member list unknown', unhealthy: [] };
    const s = deriveStatus({ observed: observed(undefined, { size: 3, status: prev }), step }, T);
    expect(s.members!.map((m) => m.healthy)).toEqual([false, false, false]);
    expect(s.readyReplicas).toBe(0);
    expect(s.phase).toBe('Failed');
    expect(s.leader).toBeUndefined();
    expect(cond(s, 'Available')).toMatchObject({ status: 'False', reason: 'EtcdUnreachable' });
  });

  it('a refused step (quorum guard) makes the cluster Degraded with the message naming the member', () => {
    const step: Step = { kind: 'blocked', reason: 'QuorumAtRisk', message: 'repair demo-1 first', unhealthy: ['demo-1'] };
    const s = deriveStatus({ observed: observed([member(0), member(1, { healthy: false }), member(2)], { size: 1, status: running }), step }, T);
    expect(s.phase).toBe('Degraded');
    expect(cond(s, 'Degraded')).toMatchObject({ status: 'True', reason: 'QuorumAtRisk', message: 'repair demo-1 first' });
  });

  it('lastResize from the webhook annotations, completed once etcd has the size', () => {
    const annotations = { [Annotations.intendedSize]: '3', [Annotations.previousSize]: '1', [Annotations.requestedBy]: 'alice', [Annotations.requestedAt]: '2025-12-31T23:59:00Z' };
    const resize = parseResizeRecord(annotations);
    const during = deriveStatus({ observed: observed([member(0)], { size: 3, status: running, annotations }), step: { kind: 'add-learner', name: 'demo-1', ordinal: 1, peerURL: '' }, resize }, T);
    expect(during.lastResize).toEqual({ from: 1, to: 3, requestedBy: 'alice', startedAt: '2025-12-31T23:59:00Z' });
    const after = deriveStatus({ observed: observed([member(0), member(1), member(2)], { size: 3, status: during, annotations }), step: idle, resize }, '2026-01-01T00:00:09.000Z');
    expect(after.lastResize).toEqual({ from: 1, to: 3, requestedBy: 'alice', startedAt: '2025-12-31T23:59:00Z', completedAt: '2026-01-01T00:00:09.000Z' });
  });

  it('lastResize without any record starts from the previous status.size', () => {
    const prev = deriveStatus({ observed: observed([member(0), member(1), member(2)], { status: running }), step: idle }, T);
    const s = deriveStatus({ observed: observed([member(0), member(1), member(2)], { size: 1, status: prev }), step: { kind: 'remove-member', member: member(2), reason: 'ScaleDown', message: '' } }, T);
    expect(s.lastResize).toEqual({ from: 3, to: 1, startedAt: T });
  });

  it('statusEqual ignores lastTransitionTime churn and key order, but not a change of health', () => {
    const a = deriveStatus({ observed: observed([member(0)], { status: running }), step: idle }, T);
    const b = deriveStatus({ observed: observed([member(0)], { status: running }), step: idle }, '2026-02-02T00:00:00.000Z');
    expect(statusEqual(a, b)).toBe(true);
    expect(statusEqual(JSON.parse(JSON.stringify(a)), { ...b, members: b.members })).toBe(true);
    const c = deriveStatus({ observed: observed([member(0, { healthy: false })], { status: running }), step: idle }, T);
    expect(statusEqual(a, c)).toBe(false);
  });

  it('keeps lastTransitionTime while a condition keeps its status', () => {
    const a = deriveStatus({ observed: observed([member(0)], { status: running }), step: idle }, T);
    const b = deriveStatus({ observed: observed([member(0)], { status: a }), step: idle }, '2026-02-02T00:00:00.000Z');
    expect(cond(b, 'Available').lastTransitionTime).toBe(T);
  });
});

describe('deriveStatus: creation is not a resize', () => {
  it('no lastResize while a new cluster grows to its first size', () => {
    const creating = { phase: 'Creating' as const, size: 1 };
    const s = deriveStatus({ observed: observed([member(0), member(1)], { size: 3, status: creating }), step: { kind: 'add-learner', name: 'demo-2', ordinal: 2, peerURL: '' } }, T);
    expect(s.lastResize).toBeUndefined();
  });
});

describe('deriveStatus: learners', () => {
  it('a learner whose pod has not started is progress, not degradation', () => {
    const step: Step = { kind: 'wait', reason: 'WaitingForLearnerPod', message: 'waiting for the pod of learner demo-1 to start etcd', requeueMs: 1000 };
    const s = deriveStatus({ observed: observed([member(0), member(1, { isLearner: true, started: false, healthy: false })], { size: 3, status: running }), step }, T);
    expect(s.phase).toBe('Scaling');
    expect(cond(s, 'Degraded')).toMatchObject({ status: 'False' });
    expect(s.members![1]).toMatchObject({ isLearner: true, healthy: false });
  });
});
