// Self-healing decisions over observed states (core/repair.ts through nextStep), every half-done replacement
// included, and the status record of a replacement (core/last-repair.ts, status-derive).
import { Annotations, type EtcdCluster, type MemberRepair, type Recovery, type RepairSpec } from '../../core/api.js';
import { memberName } from '../../core/member-naming.js';
import { desiredMemberEntries, nextStep, type Observed, type ObservedMember, type ObservedPod } from '../../core/reconcile-step.js';
import { STUCK_DELETION_MS, UNSCHEDULABLE_GRACE_MS } from '../../core/repair.js';
import { deriveStatus } from '../../core/status-derive.js';
import { member, NAME, NS } from './controller-fixtures.js';

const NOW = Date.parse('2026-01-01T00:10:00Z');
const iso = (ms: number) => new Date(ms).toISOString();

interface Setup {
  size: number;
  members: ObservedMember[];
  repair?: RepairSpec;
  lastRepair?: MemberRepair;
  pendingRepairs?: MemberRepair[];
  lastRecovery?: Recovery;
  /** Pod fields by ordinal (merged over a Ready, serving pod). */
  pods?: Record<number, Partial<ObservedPod> | null>;
  /** status.members[].unhealthySince by ordinal. */
  unhealthySince?: Record<number, number>;
  annotations?: Record<string, string>;
  leader?: number;
  statefulSet?: number;
  pvcs?: { ordinal: number; deleting?: boolean }[];
}

function observed(s: Setup): Observed {
  const ordinals = s.members.map((m) => m.ordinal!);
  const cluster: EtcdCluster = {
    metadata: { name: NAME, namespace: NS, uid: 'u1', generation: 2, annotations: s.annotations },
    spec: { size: s.size, version: '3.5.16', ...(s.repair ? { repair: s.repair } : {}) },
    status: {
      phase: 'Running',
      size: s.members.filter((m) => !m.isLearner).length,
      members: s.members.map((m) => ({
        name: m.name, id: m.id, isLearner: m.isLearner, healthy: m.healthy,
        ...(s.unhealthySince?.[m.ordinal!] !== undefined ? { unhealthySince: iso(s.unhealthySince[m.ordinal!]) } : {}),
      })),
      ...(s.lastRepair ? { lastRepair: s.lastRepair } : {}),
      ...(s.pendingRepairs ? { pendingRepairs: s.pendingRepairs } : {}),
      ...(s.lastRecovery ? { lastRecovery: s.lastRecovery } : {}),
    },
  };
  const replicas = s.statefulSet ?? Math.max(...ordinals, ...Object.keys(s.pods ?? {}).map(Number)) + 1;
  const pods: ObservedPod[] = [];
  for (let k = 0; k < replicas; k++) {
    const extra = s.pods?.[k];
    if (extra === null) continue;
    const m = s.members.find((x) => x.ordinal === k);
    pods.push({ name: memberName(NAME, k), ordinal: k, ready: !!m?.healthy, deleting: false, serving: !!m && !m.isLearner && k < s.size, createdAt: NOW - 600_000, etcdStartedAt: NOW - 600_000, ...extra });
  }
  const o: Observed = {
    now: NOW,
    cluster,
    etcd: { members: s.members, authoritative: true, leaderId: member(s.leader ?? 0).id },
    servicesPresent: true,
    statefulSet: { replicas },
    pdb: { minAvailable: Math.floor(s.members.filter((m) => !m.isLearner).length / 2) + 1 },
    pods,
    pvcs: (s.pvcs ?? Array.from({ length: replicas }, (_, k): { ordinal: number; deleting?: boolean } => ({ ordinal: k }))).map((p) => ({ name: `data-${memberName(NAME, p.ordinal)}`, ordinal: p.ordinal, deleting: !!p.deleting })),
  };
  o.memberEntries = desiredMemberEntries(o, s.members);
  return o;
}

const down = (k: number, extra: Partial<ObservedMember> = {}) => member(k, { healthy: false, answered: false, ...extra });
const three = (sick?: number) => [0, 1, 2].map((k) => (k === sick ? down(k) : member(k)));
const repairOf = (k: number, reason: MemberRepair['reason'] = 'DataLost'): MemberRepair => ({ member: memberName(NAME, k), oldId: member(k).id, reason, message: 'why', startedAt: iso(NOW - 5000) });
const lostData = { guardRefusal: { reason: 'DataLost' as const, message: 'its volume holds no data' }, etcdStartedAt: undefined, ready: false };

describe('when to replace a member', () => {
  it('lost data: the member whose pod\'s guard found an empty volume is replaced at once', () => {
    const step = nextStep(observed({ size: 3, members: three(1), pods: { 1: lostData } }));
    expect(step).toMatchObject({ kind: 'begin-repair', repair: { member: 'demo-1', oldId: member(1).id, reason: 'DataLost', message: 'its volume holds no data', startedAt: iso(NOW) } });
  });
  it('another member\'s data in the volume (ForeignData) is replaced at once too', () => {
    const pods = { 2: { guardRefusal: { reason: 'ForeignData' as const, message: 'holds member 0abc' }, etcdStartedAt: undefined } };
    expect(nextStep(observed({ size: 3, members: three(2), pods }))).toMatchObject({ kind: 'begin-repair', repair: { member: 'demo-2', reason: 'ForeignData' } });
  });
  it('repair.policy Manual: reported with the command to run, never replaced', () => {
    const step = nextStep(observed({ size: 3, members: three(1), pods: { 1: lostData }, repair: { policy: 'Manual' } }));
    expect(step).toMatchObject({ kind: 'blocked', reason: 'MemberUnhealthy', unhealthy: ['demo-1'] });
    if (step.kind === 'blocked') expect(step.message).toContain('`kubectl etcd replace demo demo-1`');
  });
  it('unhealthy: replaced once unhealthy for unhealthyAfter, counted from status (kept across passes)', () => {
    const crashing = { 1: { trouble: 'etcd: CrashLoopBackOff', etcdStartedAt: undefined } };
    const early = nextStep(observed({ size: 3, members: three(1), pods: crashing, unhealthySince: { 1: NOW - 30_000 }, repair: { unhealthyAfter: '3m' } }));
    expect(early).toMatchObject({ kind: 'blocked', reason: 'MemberUnhealthy' });
    if (early.kind === 'blocked') expect(early.message).toBe('demo-1: unhealthy for 30s (etcd: CrashLoopBackOff); replaced in 2m30s if still unhealthy (repair.unhealthyAfter 3m)');
    const due = nextStep(observed({ size: 3, members: three(1), pods: crashing, unhealthySince: { 1: NOW - 180_000 }, repair: { unhealthyAfter: '3m' } }));
    expect(due).toMatchObject({ kind: 'begin-repair', repair: { member: 'demo-1', reason: 'Unhealthy', message: 'unhealthy for 3m (etcd: CrashLoopBackOff)' } });
  });
  it('a member that answers but is unhealthy (an alarm, no leader view) is reported, not replaced', () => {
    const step = nextStep(observed({ size: 3, members: [member(0), member(1, { healthy: false, answered: true }), member(2)], unhealthySince: { 1: NOW - 3_600_000 } }));
    expect(step).toMatchObject({ kind: 'blocked', reason: 'MemberUnhealthy' });
  });
  it('never when the members that stay would lack a healthy quorum (two of three down)', () => {
    const members = [member(0), down(1), down(2)];
    const step = nextStep(observed({ size: 3, members, pods: { 1: lostData }, unhealthySince: { 2: NOW - 3_600_000 } }));
    expect(step).toMatchObject({ kind: 'blocked', reason: 'QuorumAtRisk' });
    if (step.kind === 'blocked') expect(step.message).toMatch(/removing demo-1 would leave 1 healthy of 2 members \(quorum 2\)/);
  });
  it('one at a time: while a replacement runs, another due candidate waits', () => {
    const members = [0, 1, 2, 3, 4].map((k) => (k === 1 || k === 3 ? down(k) : member(k)));
    const step = nextStep(observed({ size: 5, members, pods: { 1: lostData, 3: lostData }, lastRepair: repairOf(1) }));
    expect(step).toMatchObject({ kind: 'set-serving', pod: 'demo-1', serving: false });
  });
  it('asked for (kubectl etcd replace, annotation MEMBER/ID): a healthy member too; a stale request is ignored', () => {
    const asked = { [Annotations.replace]: `demo-2/${member(2).id}` };
    expect(nextStep(observed({ size: 3, members: three(), annotations: asked }))).toMatchObject({ kind: 'begin-repair', repair: { member: 'demo-2', reason: 'Requested' } });
    const stale = { [Annotations.replace]: `demo-2/${'f'.repeat(16)}` };
    expect(nextStep(observed({ size: 3, members: three(), annotations: stale }))).toEqual({ kind: 'idle' });
  });
  it('a shrink that keeps an unhealthy member replaces it (the shrink\'s removals first while quorum allows)', () => {
    const members = [0, 1, 2, 3, 4].map((k) => (k === 1 ? down(k) : member(k)));
    const pods = { 3: { serving: false, inClientEndpoints: false, servingChangedAt: NOW - 5000 }, 4: { serving: false, inClientEndpoints: false, servingChangedAt: NOW - 5000 } };
    expect(nextStep(observed({ size: 3, members, pods }))).toMatchObject({ kind: 'remove-member', member: { name: 'demo-4' }, reason: 'ScaleDown' });
    const atSize = observed({ size: 3, members: three(1) });
    atSize.cluster.status!.lastResize = { from: 5, to: 3, startedAt: iso(NOW - 10_000) };
    expect(nextStep(atSize)).toMatchObject({ kind: 'begin-repair', repair: { member: 'demo-1', reason: 'KeptByShrink' } });
  });
});

describe('the steps of a replacement (remove, then add again as a new learner)', () => {
  it('the member is taken out of client traffic, drained, relieved of leadership, then removed', () => {
    const base = { size: 3, members: three(), lastRepair: repairOf(2, 'Requested') };
    expect(nextStep(observed(base))).toMatchObject({ kind: 'set-serving', pod: 'demo-2', serving: false });
    const drained = { serving: false, inClientEndpoints: false, servingChangedAt: NOW - 5000 };
    expect(nextStep(observed({ ...base, pods: { 2: drained }, leader: 2 }))).toMatchObject({ kind: 'move-leader', from: { name: 'demo-2' }, to: { name: 'demo-0' } });
    expect(nextStep(observed({ ...base, pods: { 2: drained } }))).toMatchObject({ kind: 'remove-member', member: { name: 'demo-2' }, reason: 'Replace' });
  });
  it('a middle ordinal: once removed, a learner is added there even with the old pod still present', () => {
    const members = [member(0), member(2)];
    const step = nextStep(observed({ size: 3, members, lastRepair: repairOf(1), pods: { 1: { ...lostData, serving: false } }, statefulSet: 3 }));
    expect(step).toMatchObject({ kind: 'add-learner', name: 'demo-1', ordinal: 1 });
  });
  it('growing back while another member is down is allowed during a replacement when quorum holds once it votes', () => {
    // 5 members, demo-1 replaced (removed), demo-3 down too: 3 healthy of 4; with the new member 4 of 5, quorum 3.
    const members = [member(0), member(2), down(3), member(4)];
    const o = observed({ size: 5, members, lastRepair: repairOf(1), pods: { 1: { ...lostData, serving: false }, 3: { ready: false } }, statefulSet: 5 });
    expect(nextStep(o)).toMatchObject({ kind: 'add-learner', name: 'demo-1' });
    // Without a replacement under way the same shortfall is a grow, refused while a member is unhealthy.
    const { lastRepair: _r, ...status } = o.cluster.status!;
    expect(nextStep({ ...o, cluster: { ...o.cluster, status } })).toMatchObject({ kind: 'blocked', reason: 'MemberUnhealthy' });
  });
  it('another member due and not answering is removed before the new member is added (a hung member blocks its start), then replaced next', () => {
    // 5 members, demo-1's replacement has removed it; demo-3 has not answered for an hour (frozen: it takes
    // connections and never answers, so a new member's start would wait on it forever).
    const hung = { 1: { ...lostData, serving: false }, 3: { ready: false } };
    const base = { size: 5, lastRepair: repairOf(1, 'Unhealthy'), statefulSet: 5, unhealthySince: { 3: NOW - 3_600_000 } };
    const first = observed({ ...base, members: [member(0), member(2), down(3), member(4)], pods: hung });
    const queue = nextStep(first);
    expect(queue).toMatchObject({ kind: 'queue-repair', repair: { member: 'demo-3', oldId: member(3).id, reason: 'Unhealthy', startedAt: iso(NOW) } });
    if (queue.kind === 'queue-repair') expect(queue.message).toMatch(/^demo-3 \(Unhealthy: unhealthy for 1h.*\) is removed before demo-1's new member is added/);
    // Recorded before anything else (status.pendingRepairs), and the Degraded condition names both.
    const s = deriveStatus({ observed: first, step: queue }, iso(NOW));
    expect(s.pendingRepairs).toEqual([(queue as { repair: MemberRepair }).repair]);
    expect(s.conditions?.find((c) => c.type === 'Degraded')?.message).toMatch(/^replacing demo-1 \(Unhealthy\): why; then demo-3 \(Unhealthy, removed ahead\)$/);

    // Queued: out of client traffic, drained, then removed; only then is demo-1's learner added.
    const pending = [(queue as { repair: MemberRepair }).repair];
    const queued = { ...base, pendingRepairs: pending, members: [member(0), member(2), down(3), member(4)] };
    expect(nextStep(observed({ ...queued, pods: hung }))).toMatchObject({ kind: 'set-serving', pod: 'demo-3', serving: false });
    const drained = { ready: false, serving: false, inClientEndpoints: false, servingChangedAt: NOW - 5000 };
    expect(nextStep(observed({ ...queued, pods: { ...hung, 3: drained } }))).toMatchObject({ kind: 'remove-member', member: { name: 'demo-3' }, reason: 'Replace' });
    const removed = observed({ ...base, pendingRepairs: pending, members: [member(0), member(2), member(4)], pods: { ...hung, 3: drained } });
    expect(nextStep(removed)).toMatchObject({ kind: 'add-learner', name: 'demo-1', ordinal: 1 });

    // demo-1 done: the queued replacement begins with its own record (its startedAt kept), and leaves the queue.
    const y = member(1, { id: 'ffff00000000abcd' });
    const after = observed({ ...base, lastRepair: { ...repairOf(1, 'Unhealthy'), newId: y.id, completedAt: iso(NOW - 1000) }, pendingRepairs: [{ ...pending[0], startedAt: iso(NOW - 60_000) }],
      members: [member(0), y, member(2), member(4)], pods: { 3: drained } });
    const begin = nextStep(after);
    expect(begin).toEqual({ kind: 'begin-repair', repair: { ...pending[0], startedAt: iso(NOW - 60_000) } });
    const s2 = deriveStatus({ observed: after, step: begin }, iso(NOW));
    expect(s2.lastRepair).toMatchObject({ member: 'demo-3', oldId: member(3).id, startedAt: iso(NOW - 60_000) });
    expect(s2.lastRepair?.completedAt).toBeUndefined();
    expect(s2).not.toHaveProperty('pendingRepairs');
  });
  it('not removed ahead: a member not yet due or one that answers; several that do not answer go one after another', () => {
    const pods = { 1: { ...lostData, serving: false }, 3: { ready: false } };
    const base = { size: 5, lastRepair: repairOf(1, 'Unhealthy'), statefulSet: 5, pods };
    // Not due: unhealthy for 30 s of the default 3 minutes.
    expect(nextStep(observed({ ...base, members: [member(0), member(2), down(3), member(4)], unhealthySince: { 3: NOW - 30_000 } }))).toMatchObject({ kind: 'add-learner', name: 'demo-1' });
    // Answers (an alarm, no leader view): it will not hang a new member's start.
    expect(nextStep(observed({ ...base, members: [member(0), member(2), member(3, { healthy: false, answered: true }), member(4)], unhealthySince: { 3: NOW - 3_600_000 } })))
      .toMatchObject({ kind: 'add-learner', name: 'demo-1' });
    // 7 members, demo-1 removed, demo-3 and demo-5 due: demo-3 goes ahead, then demo-5. (Removing a member that
    // does not answer never breaks a quorum that holds: one voting member fewer, as many healthy.)
    const seven = { ...base, size: 7, statefulSet: 7, unhealthySince: { 3: NOW - 3_600_000, 5: NOW - 3_600_000 } };
    const queue3 = nextStep(observed({ ...seven, members: [member(0), member(2), down(3), member(4), down(5), member(6)] }));
    expect(queue3).toMatchObject({ kind: 'queue-repair', repair: { member: 'demo-3' } });
    const third = (queue3 as { repair: MemberRepair }).repair;
    const drained = { ready: false, serving: false, inClientEndpoints: false, servingChangedAt: NOW - 5000 };
    const next = observed({ ...seven, pendingRepairs: [third], members: [member(0), member(2), member(4), down(5), member(6)], pods: { ...pods, 3: drained } });
    expect(nextStep(next)).toMatchObject({ kind: 'queue-repair', repair: { member: 'demo-5' } });
    expect(deriveStatus({ observed: next, step: nextStep(next) }, iso(NOW)).pendingRepairs?.map((p) => p.member)).toEqual(['demo-3', 'demo-5']);
  });
  it('the highest ordinal: the removal is finished as a shrink (StatefulSet down, volume deleted), then grown back', () => {
    const o = observed({ size: 3, members: [member(0), member(1)], lastRepair: repairOf(2), statefulSet: 3, pods: { 2: { serving: false } } });
    expect(nextStep(o)).toMatchObject({ kind: 'scale-statefulset', replicas: 2 });
  });
});

describe('a new learner\'s pod: recycled until it starts the learner on its own volume', () => {
  const learner = member(1, { id: 'ffff00000000abcd', isLearner: true, started: false, healthy: false, answered: false });
  const withLearner = (pod: Partial<ObservedPod> | null, pvcs?: Setup['pvcs']) => {
    const o = observed({ size: 3, members: [member(0), learner, member(2)], lastRepair: repairOf(1), pods: { 1: pod }, pvcs });
    // The learner was added a moment ago (its entry's clock).
    o.memberEntries![learner.name] = { ...o.memberEntries![learner.name], addedAt: iso(NOW - 2000) };
    return o;
  };
  it('a pod from before the learner was added (the old member\'s, running or crash-looping): its volume goes, then the pod', () => {
    expect(nextStep(withLearner({ etcdStartedAt: undefined, trouble: 'etcd: CrashLoopBackOff', serving: false }))).toMatchObject({ kind: 'delete-pvc', name: 'data-demo-1' });
    expect(nextStep(withLearner({ etcdStartedAt: NOW - 600_000, serving: false }))).toMatchObject({ kind: 'delete-pvc', name: 'data-demo-1' });
    expect(nextStep(withLearner({ etcdStartedAt: NOW - 600_000, serving: false }, [{ ordinal: 0 }, { ordinal: 1, deleting: true }, { ordinal: 2 }])))
      .toMatchObject({ kind: 'delete-pod', pod: 'demo-1', force: false });
  });
  it('the guard found another member\'s data: the volume and the pod go', () => {
    const foreign = { guardRefusal: { reason: 'ForeignData' as const, message: 'm' }, etcdStartedAt: undefined, serving: false };
    expect(nextStep(withLearner(foreign))).toMatchObject({ kind: 'delete-pvc', name: 'data-demo-1' });
  });
  it('the guard refused with an older entry (data lost, no entry yet): only the pod is restarted', () => {
    expect(nextStep(withLearner({ ...lostData, serving: false }))).toMatchObject({ kind: 'delete-pod', pod: 'demo-1', force: false });
    const noEntry = { guardRefusal: { reason: 'NoStartEntry' as const, message: 'm' }, etcdStartedAt: undefined, serving: false };
    expect(nextStep(withLearner(noEntry))).toMatchObject({ kind: 'delete-pod', pod: 'demo-1' });
  });
  it('a pod that cannot be scheduled (its volume on a node that is gone) loses its volume after a grace', () => {
    const pending = (since: number) => ({ etcdStartedAt: undefined, createdAt: NOW - 1000, serving: false, unschedulableSince: since, trouble: 'Unschedulable: volume node affinity conflict' });
    expect(nextStep(withLearner(pending(NOW - 5000)))).toMatchObject({ kind: 'wait', reason: 'WaitingForLearnerPod' });
    expect(nextStep(withLearner(pending(NOW - UNSCHEDULABLE_GRACE_MS - 1)))).toMatchObject({ kind: 'delete-pvc', name: 'data-demo-1' });
  });
  it('a deletion that hangs (node not answering) is forced after its grace period and a margin', () => {
    const deleting = (deadline: number) => ({ deleting: true, deletionDeadline: deadline, serving: false });
    expect(nextStep(withLearner(deleting(NOW - 5000)))).toMatchObject({ kind: 'wait', reason: 'WaitingForPodDeletion' });
    expect(nextStep(withLearner(deleting(NOW - STUCK_DELETION_MS - 1)))).toMatchObject({ kind: 'delete-pod', pod: 'demo-1', force: true });
  });
  it('the new pod runs: nothing to do but wait for the learner to start', () => {
    expect(nextStep(withLearner({ etcdStartedAt: NOW - 500, createdAt: NOW - 1500, serving: false }))).toMatchObject({ kind: 'wait', reason: 'WaitingForLearnerPod' });
    expect(nextStep(withLearner(null))).toMatchObject({ kind: 'wait', reason: 'WaitingForLearnerPod' });
  });
  it('started: promoted', () => {
    const o = withLearner({ etcdStartedAt: NOW - 500, serving: false });
    o.etcd.members = o.etcd.members!.map((m) => (m.id === learner.id ? { ...m, started: true, answered: true } : m));
    o.memberEntries = desiredMemberEntries(o, o.etcd.members!);
    expect(nextStep(o)).toMatchObject({ kind: 'promote', member: { id: learner.id } });
  });
});

describe('status: the replacement recorded and members\' unhealthy clocks', () => {
  it('begin records it; the new ID when seen; completed once the new member votes, is healthy and Ready', () => {
    const begin = observed({ size: 3, members: three(1), pods: { 1: lostData } });
    const s1 = deriveStatus({ observed: begin, step: nextStep(begin) }, iso(NOW));
    expect(s1.lastRepair).toEqual({ member: 'demo-1', oldId: member(1).id, reason: 'DataLost', message: 'its volume holds no data', startedAt: iso(NOW) });
    expect(s1.phase).toBe('Degraded');
    expect(s1.conditions?.find((c) => c.type === 'Degraded')).toMatchObject({ status: 'True', reason: 'MemberReplacing' });

    const y = member(1, { id: 'ffff00000000abcd', isLearner: true, started: true, healthy: true });
    const learning = observed({ size: 3, members: [member(0), y, member(2)], lastRepair: s1.lastRepair });
    const s2 = deriveStatus({ observed: learning, step: nextStep(learning) }, iso(NOW + 3000));
    expect(s2.lastRepair).toMatchObject({ newId: y.id });
    expect(s2.lastRepair?.completedAt).toBeUndefined();
    expect(s2.conditions?.find((c) => c.type === 'Progressing')).toMatchObject({ status: 'True', reason: 'Repairing' });

    const voting = observed({ size: 3, members: [member(0), { ...y, isLearner: false }, member(2)], lastRepair: s2.lastRepair });
    const s3 = deriveStatus({ observed: voting, step: nextStep(voting) }, iso(NOW + 5000));
    expect(s3.lastRepair).toMatchObject({ newId: y.id, completedAt: iso(NOW + 5000) });
    expect(s3.phase).toBe('Running');
  });
  it('an unhealthy member\'s clock starts when first seen unhealthy and is kept while it stays so', () => {
    const o = observed({ size: 3, members: three(1), unhealthySince: { 1: NOW - 42_000 } });
    const s = deriveStatus({ observed: o, step: nextStep(o) }, iso(NOW));
    expect(s.members?.find((m) => m.name === 'demo-1')?.unhealthySince).toBe(iso(NOW - 42_000));
    const fresh = observed({ size: 3, members: three(2) });
    expect(deriveStatus({ observed: fresh, step: nextStep(fresh) }, iso(NOW)).members?.find((m) => m.name === 'demo-2')?.unhealthySince).toBe(iso(NOW));
    const healed = observed({ size: 3, members: three(), unhealthySince: { 1: NOW - 42_000 } });
    expect(deriveStatus({ observed: healed, step: nextStep(healed) }, iso(NOW)).members?.find((m) => m.name === 'demo-1')).not.toHaveProperty('unhealthySince');
  });
});

describe('recovery from lost quorum (kubectl etcd recover): never automatic, once, and resumable', () => {
  const figures = (raftIndex: number, revision: number) => ({ version: '3.5.16', dbSize: 1, raftTerm: 3, raftIndex, revision, errors: [] });
  // Two of three members lost their data: demo-0 alone answers, without a leader.
  const survivors = () => [member(0, { healthy: false, answered: true, figures: figures(120, 57) }), down(1), down(2)];
  const asked = { [Annotations.recover]: `demo-0/${member(0).id}` };
  const lost = (s: Partial<Setup> = {}) => {
    const o = observed({ size: 3, members: survivors(), pods: { 1: lostData, 2: lostData }, ...s });
    o.etcd = { ...o.etcd, authoritative: false, leaderId: undefined };
    return o;
  };
  const rec = (extra: Partial<Recovery> = {}): Recovery => ({ member: 'demo-0', id: member(0).id, raftTerm: 3, raftIndex: 120, revision: 57, lost: [], startedAt: iso(NOW - 10_000), ...extra });

  it('without a request, lost quorum is reported, nothing forced', () => {
    expect(nextStep(lost())).toMatchObject({ kind: 'blocked', reason: 'QuorumLost' });
  });
  it('asked for: begun, recording what each other member loses', () => {
    const step = nextStep(lost({ annotations: asked }));
    expect(step).toMatchObject({
      kind: 'begin-recovery',
      recovery: { member: 'demo-0', id: member(0).id, raftIndex: 120, revision: 57, startedAt: iso(NOW), lost: [{ member: 'demo-1', id: member(1).id }, { member: 'demo-2', id: member(2).id }] },
    });
  });
  it('not while quorum holds (a stale or early request does nothing)', () => {
    expect(nextStep(observed({ size: 3, members: three(), annotations: asked }))).toEqual({ kind: 'idle' });
  });
  it('in progress: its entry flagged with force-new-cluster, then its pod restarted onto it, then waited for', () => {
    const o = lost({ annotations: asked, lastRecovery: rec() });
    const flag = nextStep(o);
    expect(flag).toMatchObject({ kind: 'write-member-entries', entries: { 'demo-0': { memberId: member(0).id, forceNewClusterAt: iso(NOW) } } });
    o.memberEntries!['demo-0'] = { ...o.memberEntries!['demo-0'], forceNewClusterAt: iso(NOW - 1000) };
    expect(nextStep(o)).toMatchObject({ kind: 'delete-pod', pod: 'demo-0' });
    const restarted = lost({ annotations: asked, lastRecovery: rec(), pods: { 0: { createdAt: NOW - 500, etcdStartedAt: NOW - 200 }, 1: lostData, 2: lostData } });
    restarted.memberEntries!['demo-0'] = { ...restarted.memberEntries!['demo-0'], forceNewClusterAt: iso(NOW - 1000) };
    expect(nextStep(restarted)).toMatchObject({ kind: 'wait', reason: 'Recovering' });
  });
  it('forced: the entry loses the flag (once), the cluster grows back with new members; the request is not done again', () => {
    const alone = [member(0, { figures: figures(125, 57) })];
    const o = observed({ size: 3, members: alone, annotations: asked, lastRecovery: rec(), pods: { 1: lostData, 2: lostData }, statefulSet: 3 });
    o.memberEntries = { 'demo-0': { state: 'existing', initialCluster: 'x', memberId: member(0).id, addedAt: iso(NOW - 600_000), forceNewClusterAt: iso(NOW - 5000) } };
    const step = nextStep(o);
    expect(step.kind).toBe('write-member-entries');
    if (step.kind === 'write-member-entries') expect(step.entries['demo-0']).not.toHaveProperty('forceNewClusterAt');
    const status = deriveStatus({ observed: o, step }, iso(NOW));
    expect(status.lastRecovery).toMatchObject({ forcedAt: iso(NOW) });
    expect(status.lastRecovery?.completedAt).toBeUndefined();
    expect(status.phase).toBe('Degraded');
    // Entries in step: the other members are gone from etcd, so their pods stop and their data goes (as after a
    // removal), then the cluster grows back with new learners.
    o.memberEntries = desiredMemberEntries(o, alone);
    o.cluster.status!.lastRecovery = status.lastRecovery;
    expect(nextStep(o)).toMatchObject({ kind: 'scale-statefulset', replicas: 1 });
    const cleared = { ...o, statefulSet: { replicas: 1 }, pods: o.pods.slice(0, 1), pvcs: o.pvcs.slice(0, 1), pdb: { minAvailable: 1 } };
    expect(nextStep(cleared)).toMatchObject({ kind: 'add-learner', name: 'demo-1' });
    // Done: a later loss of quorum with the same annotation is not recovered again without a new request.
    const done = lost({ annotations: asked, lastRecovery: rec({ forcedAt: iso(NOW - 60_000), completedAt: iso(NOW - 30_000) }) });
    expect(nextStep(done)).toMatchObject({ kind: 'blocked', reason: 'QuorumLost' });
  });
});
