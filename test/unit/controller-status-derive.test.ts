// Status derivation: READY is etcd health AND pod readiness, phases and conditions follow the truth.
import type { EtcdCluster } from '../../core/api.js';
import { peerURL } from '../../core/member-naming.js';
import { member, NAME, NS } from './controller-fixtures.js';
import type { Observed, ObservedMember, Step } from '../../core/reconcile-step.js';
import { deriveStatus, failureStatus, FAILED_AFTER_MS, FIGURES_MAX_AGE_MS, statusEqual } from '../../core/status-derive.js';
import { RESIZE_REQUESTED_REASON, resizeRecordAnnotations } from '../../core/resize-record.js';

const T = '2026-01-01T00:00:00.000Z';


function observed(members: ObservedMember[] | undefined, opts: { size?: number; ready?: number[]; status?: EtcdCluster['status']; authoritative?: boolean } = {}): Observed {
  const ready = new Set(opts.ready ?? members?.map((m) => m.ordinal!) ?? []);
  return {
    now: Date.parse(T),
    cluster: {
      metadata: { name: NAME, namespace: NS, uid: 'u', generation: 7 },
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
    // The step, not a "from -> to": the resize as asked for is status.lastResize.
    expect(cond(s, 'Progressing')).toMatchObject({ status: 'True', reason: 'Resizing', message: 'promoting learner demo-3 once it has caught up' });
  });

  it('Creating while a new cluster grows to its first size', () => {
    const step: Step = { kind: 'add-learner', name: 'demo-1', ordinal: 1, peerURL: peerURL(NAME, NS, 1) };
    const s = deriveStatus({ observed: observed([member(0)], { size: 3 }), step }, T);
    expect(s.phase).toBe('Creating');
    expect(cond(s, 'Progressing')).toMatchObject({ status: 'True', reason: 'Creating' });
  });

  it('etcd unreachable (every pod restarting): the last members kept, none claimed healthy, READY 0, Degraded, Available Unknown', () => {
    const prev = deriveStatus({ observed: observed([member(0), member(1), member(2)], { status: running }), step: idle }, T);
    const step: Step = { kind: 'blocked', reason: 'EtcdUnreachable', message: 'etcd member list unknown', unhealthy: [] };
    const s = deriveStatus({ observed: observed(undefined, { size: 3, status: prev }), step }, T);
    expect(s.members!.map((m) => m.healthy)).toEqual([false, false, false]);
    expect(s.readyReplicas).toBe(0);
    expect(s.phase).toBe('Degraded');
    expect(s.leader).toBeUndefined();
    expect(cond(s, 'Available')).toMatchObject({ status: 'Unknown', reason: 'EtcdUnreachable', message: "etcd's member list could not be read: no etcd member answered" });
    expect(cond(s, 'Degraded')).toMatchObject({ status: 'True', reason: 'EtcdUnreachable' });
    // However long it lasts: an unreadable list is never "Failed" (a person may not be needed).
    const later = deriveStatus({ observed: observed(undefined, { size: 3, status: s }), step }, new Date(Date.parse(T) + 10 * FAILED_AFTER_MS).toISOString());
    expect(later.phase).toBe('Degraded');
  });

  it('quorum lost: Degraded at first, Failed once lost for FAILED_AFTER_MS (the clock is the Available condition)', () => {
    const prev = deriveStatus({ observed: observed([member(0), member(1), member(2)], { status: running }), step: idle }, T);
    const down = [member(0), member(1, { healthy: false }), member(2, { healthy: false })];
    const step: Step = { kind: 'blocked', reason: 'QuorumLost', message: 'no etcd leader', unhealthy: ['demo-1', 'demo-2'] };
    const at = (ms: number) => new Date(Date.parse(T) + ms).toISOString();
    const lost = deriveStatus({ observed: observed(down, { size: 3, status: prev, authoritative: false }), step }, at(1000));
    expect(lost.phase).toBe('Degraded');
    expect(cond(lost, 'Available')).toMatchObject({ status: 'False', reason: 'QuorumLost', lastTransitionTime: at(1000) });
    const still = deriveStatus({ observed: observed(down, { size: 3, status: lost, authoritative: false }), step }, at(1000 + FAILED_AFTER_MS - 1));
    expect(still.phase).toBe('Degraded');
    const failed = deriveStatus({ observed: observed(down, { size: 3, status: still, authoritative: false }), step }, at(1000 + FAILED_AFTER_MS));
    expect(failed.phase).toBe('Failed');
    // Back: Running again, and the clock starts over.
    const back = deriveStatus({ observed: observed([member(0), member(1), member(2)], { status: failed }), step: idle }, at(2 * FAILED_AFTER_MS));
    expect(back.phase).toBe('Running');
    expect(cond(back, 'Available')).toMatchObject({ status: 'True', lastTransitionTime: at(2 * FAILED_AFTER_MS) });
  });

  it('a pass that could not observe the cluster says why in a condition (never an empty status)', () => {
    const c = observed([member(0)]).cluster;
    const s = failureStatus(c, 'ObserveFailed', 'could not read the objects of demo: 400 invalid label selector', T);
    expect(s).toMatchObject({ observedGeneration: 7, phase: 'Pending', selector: 'etcd.k8s-operator.io/cluster=demo' });
    expect(cond(s, 'Degraded')).toMatchObject({ status: 'True', reason: 'ObserveFailed', message: 'could not read the objects of demo: 400 invalid label selector' });
    expect(cond(s, 'Available')).toMatchObject({ status: 'Unknown', reason: 'ObserveFailed' });
    const wasRunning = deriveStatus({ observed: observed([member(0)], { status: running }), step: idle }, T);
    const again = failureStatus({ ...c, status: wasRunning }, 'ObserveFailed', 'x', T);
    expect(again).toMatchObject({ phase: 'Degraded', members: wasRunning.members, size: 1 });
  });

  it('a refused step (quorum guard) makes the cluster Degraded with the message naming the member', () => {
    const step: Step = { kind: 'blocked', reason: 'QuorumAtRisk', message: 'repair demo-1 first', unhealthy: ['demo-1'] };
    const s = deriveStatus({ observed: observed([member(0), member(1, { healthy: false }), member(2)], { size: 1, status: running }), step }, T);
    expect(s.phase).toBe('Degraded');
    expect(cond(s, 'Degraded')).toMatchObject({ status: 'True', reason: 'QuorumAtRisk', message: 'repair demo-1 first' });
  });

  it('lastResize from the ResizeRequested Event, completed once etcd has the size', () => {
    const requests = [{ reason: RESIZE_REQUESTED_REASON, metadata: { annotations: resizeRecordAnnotations({ from: 1, to: 3, requestedBy: 'alice', requestedAt: '2025-12-31T23:59:00.250Z' }) } }];
    const during = deriveStatus({ observed: observed([member(0)], { size: 3, status: { ...running, size: 1 } }), step: { kind: 'add-learner', name: 'demo-1', ordinal: 1, peerURL: '' }, requests }, T);
    expect(during.lastResize).toEqual({ from: 1, to: 3, requestedBy: 'alice', startedAt: '2025-12-31T23:59:00.250Z' });
    const after = deriveStatus({ observed: observed([member(0), member(1), member(2)], { size: 3, status: during }), step: idle }, '2026-01-01T00:00:09.000Z');
    expect(after.lastResize).toEqual({ from: 1, to: 3, requestedBy: 'alice', startedAt: '2025-12-31T23:59:00.250Z', completedAt: '2026-01-01T00:00:09.000Z' });
  });

  it('lastResize completes when READY shows it: healthy members\' pods Ready; an unhealthy member is not waited for', () => {
    const open = { ...running, size: 2, lastResize: { from: 2, to: 3, startedAt: T } };
    const three = [member(0), member(1), member(2)];
    const notReady = deriveStatus({ observed: observed(three, { size: 3, status: open, ready: [0, 1] }), step: idle }, T);
    expect(notReady.lastResize?.completedAt).toBeUndefined();
    const ready = deriveStatus({ observed: observed(three, { size: 3, status: notReady }), step: idle }, '2026-01-01T00:00:02.000Z');
    expect(ready.lastResize?.completedAt).toBe('2026-01-01T00:00:02.000Z');
    const sick = [member(0), member(1), member(2, { healthy: false })];
    const shrunk = deriveStatus({ observed: observed(sick, { size: 3, status: { ...running, size: 5, lastResize: { from: 5, to: 3, startedAt: T } }, ready: [0, 1] }), step: { kind: 'blocked', reason: 'MemberUnhealthy', message: '', unhealthy: ['demo-2'] } }, T);
    expect(shrunk.lastResize?.completedAt).toBe(T);
    expect(shrunk.phase).toBe('Degraded');
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

  it('live figures: kept while younger than FIGURES_MAX_AGE_MS, refreshed after when they moved, never rewritten unchanged, gone as soon as the member stops answering', () => {
    const figures = (raftIndex: number) => ({ version: '3.5.16', dbSize: 20480, raftTerm: 2, raftIndex, revision: raftIndex - 10, errors: [] });
    const first = deriveStatus({ observed: observed([member(0, { figures: figures(100) }), member(1, { figures: figures(100) })], { status: running }), step: idle }, T);
    expect(first.members![1]).toMatchObject({ raftIndex: 100, revision: 90, readAt: T });
    // 10 s later: the same figures (a cluster at rest writes no status), though etcd's index moved.
    const soon = new Date(Date.parse(T) + 10_000).toISOString();
    const kept = deriveStatus({ observed: observed([member(0, { figures: figures(120) }), member(1, { figures: figures(120) })], { status: first }), step: idle }, soon);
    expect(kept.members![1]).toMatchObject({ raftIndex: 100, readAt: T });
    const late = new Date(Date.parse(T) + FIGURES_MAX_AGE_MS).toISOString();
    const read = deriveStatus({ observed: observed([member(0, { figures: figures(150) }), member(1, { figures: figures(150) })], { status: first }), step: idle }, late);
    expect(read.members![1]).toMatchObject({ raftIndex: 150, readAt: late });
    // At rest nothing moves: the figures are not rewritten, however old (a cluster at rest writes no status).
    const rest = deriveStatus({ observed: observed([member(0, { figures: figures(100) }), member(1, { figures: figures(100) })], { status: first }), step: idle }, late);
    expect(rest.members![1]).toMatchObject({ raftIndex: 100, readAt: T });
    expect(statusEqual(rest, first)).toBe(true);
    // demo-1 stops answering 10 s after its figures were read: they go at once (recover takes figures for an answer).
    const gone = deriveStatus({ observed: observed([member(0, { figures: figures(120) }), member(1, { healthy: false })], { status: first }), step: idle }, soon);
    expect(gone.members![1]).toMatchObject({ name: 'demo-1', healthy: false });
    for (const k of ['raftTerm', 'raftIndex', 'revision', 'version', 'dbSize', 'readAt']) expect(gone.members![1]).not.toHaveProperty(k);
    expect(gone.members![0]).toMatchObject({ raftIndex: 100, readAt: T });
  });

  it('live figures are of one moment: when one member\'s are rewritten, every answering member\'s are, with the same readAt', () => {
    const figures = (raftIndex: number, version = '3.5.16') => ({ version, dbSize: 20480, raftTerm: 2, raftIndex, revision: raftIndex - 10, errors: [] });
    const first = deriveStatus({ observed: observed([member(0, { figures: figures(100) }), member(1, { figures: figures(100) }), member(2)], { status: running }), step: idle }, T);
    // 10 s later demo-1 runs a new version (written at once): demo-0's moved counters are read again with it.
    const soon = new Date(Date.parse(T) + 10_000).toISOString();
    const s = deriveStatus({ observed: observed([member(0, { figures: figures(130) }), member(1, { figures: figures(125, '3.5.17') }), member(2)], { status: first }), step: idle }, soon);
    expect(s.members![0]).toMatchObject({ raftIndex: 130, readAt: soon });
    expect(s.members![1]).toMatchObject({ raftIndex: 125, version: '3.5.17', readAt: soon });
    // A member that did not answer has no figures to write.
    expect(s.members![2]).not.toHaveProperty('readAt');
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
