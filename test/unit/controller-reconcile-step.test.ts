// The step decision over observed states, including every half-finished state a killed controller can leave.
import type { EtcdCluster } from '../../core/api.js';
import { memberName, peerURL } from '../../core/member-naming.js';
import type { MemberStartEntry } from '../../core/member-entry.js';
import { member, NAME, NS } from './controller-fixtures.js';
import {
  CLIENT_DRAIN_MS,
  desiredMemberEntries,
  isProgressStep,
  LEARNER_START_TIMEOUT_MS,
  nextStep,
  type Observed,
  type ObservedMember,
} from '../../core/reconcile-step.js';

const NOW = Date.parse('2026-01-01T00:10:00Z');


function cluster(size: number, statusMembers = 0): EtcdCluster {
  return {
    metadata: { name: NAME, namespace: NS, uid: 'u1', generation: 2 },
    spec: { size, version: '3.4.23' },
    status: statusMembers
      ? { members: Array.from({ length: statusMembers }, (_, k) => ({ name: memberName(NAME, k), id: member(k).id, isLearner: false, healthy: true })) }
      : undefined,
  };
}

/** A settled cluster of n members at spec size `size`, with ConfigMap entries matching etcd. */
function settled(n: number, size: number, patch: Partial<Observed> = {}): Observed {
  const members = Array.from({ length: n }, (_, k) => member(k));
  const base: Observed = {
    now: NOW,
    cluster: cluster(size, n),
    etcd: { members, authoritative: true, leaderId: members[0].id },
    servicesPresent: true,
    statefulSet: { replicas: n },
    pdb: { minAvailable: Math.floor(n / 2) + 1 },
    memberEntries: {},
    // Pods of voting members within spec.size serve clients, as the controller leaves them.
    pods: members.map((m) => ({ name: m.name, ordinal: m.ordinal!, ready: true, deleting: false, serving: m.ordinal! < size })),
    pvcs: members.map((m) => ({ name: `data-${m.name}`, ordinal: m.ordinal!, deleting: false })),
  };
  base.memberEntries = desiredMemberEntries(base, members);
  return { ...base, ...patch };
}

/** Same observation with etcd's list replaced (and ConfigMap entries in step with it unless told otherwise). */
function withMembers(o: Observed, members: ObservedMember[], opts: { entries?: Record<string, MemberStartEntry> | 'stale'; leader?: number } = {}): Observed {
  const next: Observed = { ...o, etcd: { ...o.etcd, members, leaderId: member(opts.leader ?? 0).id } };
  if (opts.entries !== 'stale') next.memberEntries = opts.entries ?? desiredMemberEntries(next, members);
  return next;
}

describe('nextStep: creating a cluster', () => {
  const fresh: Observed = {
    now: NOW,
    cluster: cluster(3),
    etcd: { authoritative: false, problem: 'no member endpoints to ask' },
    servicesPresent: false,
    pods: [],
    pvcs: [],
  };

  it('creates the Services first', () => {
    expect(nextStep(fresh).kind).toBe('ensure-services');
  });
  it('then the PDB (quorum of one member while bootstrapping)', () => {
    expect(nextStep({ ...fresh, servicesPresent: true })).toEqual({ kind: 'ensure-pdb', minAvailable: 1 });
  });
  it('then the bootstrap entry: member 0 starts a new cluster of itself', () => {
    const step = nextStep({ ...fresh, servicesPresent: true, pdb: { minAvailable: 1 } });
    expect(step.kind).toBe('write-member-entries');
    if (step.kind !== 'write-member-entries') return;
    expect(step.entries['demo-0']).toMatchObject({ state: 'new', initialCluster: `demo-0=${peerURL(NAME, NS, 0)}` });
    expect(Object.keys(step.entries)).toEqual(['demo-0']);
  });
  it('then the StatefulSet (one replica)', () => {
    const entries = { 'demo-0': { state: 'new' as const, initialCluster: 'x', addedAt: '' } };
    expect(nextStep({ ...fresh, servicesPresent: true, pdb: { minAvailable: 1 }, memberEntries: entries }).kind).toBe('create-statefulset');
  });
  it('waits for member 0 while the list is unknown and the cluster never formed', () => {
    const o = { ...fresh, servicesPresent: true, pdb: { minAvailable: 1 }, statefulSet: { replicas: 1 }, memberEntries: {} };
    expect(nextStep(o)).toMatchObject({ kind: 'wait', reason: 'WaitingForBootstrap' });
  });
  it('a new EtcdCluster over PVCs kept from a deleted one starts every kept member (member 0 alone has no quorum)', () => {
    const pvcs = [0, 1, 2].map((k) => ({ name: `data-demo-${k}`, ordinal: k, deleting: false }));
    const bootstrap: MemberStartEntry = { state: 'new', initialCluster: `demo-0=${peerURL(NAME, NS, 0)}`, addedAt: '2026-01-01T00:00:00.000Z' };
    const o = { ...fresh, servicesPresent: true, pdb: { minAvailable: 1 }, statefulSet: { replicas: 1 }, memberEntries: { 'demo-0': bootstrap }, pvcs };
    // First every kept member's entry (its etcd config file: pods start from it even with data), bootstrap kept.
    const step = nextStep(o);
    expect(step.kind).toBe('write-member-entries');
    if (step.kind !== 'write-member-entries') return;
    expect(Object.keys(step.entries).sort()).toEqual(['demo-0', 'demo-1', 'demo-2']);
    expect(step.entries['demo-0']).toEqual(bootstrap);
    expect(step.entries['demo-2']).toMatchObject({ state: 'existing', initialCluster: [0, 1, 2].map((k) => `demo-${k}=${peerURL(NAME, NS, k)}`).join(',') });
    // Then their pods.
    expect(nextStep({ ...o, memberEntries: step.entries })).toMatchObject({ kind: 'scale-statefulset', replicas: 3 });
  });
  it('but never on a formed cluster whose list is merely unknown (stale PVCs there wait for the leader)', () => {
    const pvcs = [0, 1, 2].map((k) => ({ name: `data-demo-${k}`, ordinal: k, deleting: false }));
    const o = { ...fresh, cluster: cluster(1, 1), servicesPresent: true, pdb: { minAvailable: 1 }, statefulSet: { replicas: 1 }, memberEntries: {}, pvcs };
    expect(nextStep(o)).toMatchObject({ kind: 'blocked', reason: 'EtcdUnreachable' });
  });
  it('adds member 1 as a learner once member 0 serves', () => {
    const o = settled(1, 3);
    expect(nextStep(o)).toEqual({ kind: 'add-learner', name: 'demo-1', ordinal: 1, peerURL: peerURL(NAME, NS, 1) });
  });
});

describe('nextStep: steady state and safety', () => {
  it('does nothing when etcd, the StatefulSet, PDB and entries all match spec.size', () => {
    expect(nextStep(settled(3, 3))).toEqual({ kind: 'idle' });
  });
  it('writes the NetworkPolicy (--network-policies) when it is missing or not what the controller renders', () => {
    expect(nextStep(settled(3, 3, { networkPolicyOutdated: true }))).toEqual({ kind: 'ensure-network-policy' });
  });
  it('writes the entries again, with the same bookkeeping, when their text is not what it renders now (spec.etcdOptions changed)', () => {
    const o = settled(3, 3, { memberEntriesOutdated: true });
    const step = nextStep(o);
    expect(step.kind).toBe('write-member-entries');
    if (step.kind === 'write-member-entries') expect(step.entries).toEqual(o.memberEntries);
    // Not on a list that is not the leader's: entries follow etcd's authoritative membership only.
    expect(nextStep({ ...o, etcd: { ...o.etcd, authoritative: false } }).kind).not.toBe('write-member-entries');
  });
  it('takes no membership step when the member list is unknown (a failed list is not "no members")', () => {
    const o = settled(3, 1, { etcd: { authoritative: false, problem: 'no etcd member answered' } });
    const step = nextStep(o);
    expect(step).toMatchObject({ kind: 'blocked', reason: 'EtcdUnreachable' });
  });
  it('takes no membership step on a list not from the leader (quorum lost), naming the members to repair', () => {
    const ms = [member(0), member(1, { healthy: false }), member(2, { healthy: false })];
    const o = settled(3, 1);
    const step = nextStep({ ...o, etcd: { members: ms, authoritative: false } });
    expect(step).toMatchObject({ kind: 'blocked', reason: 'QuorumLost', unhealthy: ['demo-1', 'demo-2'] });
  });
  it('refuses a removal that would leave the rest without a healthy quorum (quorum guard)', () => {
    // 3 -> 2: removing demo-2 leaves demo-0, demo-1 with demo-1 down: 1 healthy of 2, quorum 2.
    const o = withMembers(settled(3, 2), [member(0), member(1, { healthy: false }), member(2)]);
    // With repair.policy Manual nothing replaces demo-1: the shrink stays blocked, naming it.
    const manual = { ...o, cluster: { ...o.cluster, spec: { ...o.cluster.spec, repair: { policy: 'Manual' as const } } } };
    const step = nextStep(manual);
    expect(step).toMatchObject({ kind: 'blocked', reason: 'QuorumAtRisk', unhealthy: ['demo-1'] });
    if (step.kind === 'blocked') expect(step.message).toMatch(/repair demo-1/);
    // With Auto (the default) the shrink's way is cleared by replacing the member it keeps (removing demo-1
    // leaves demo-0 and demo-2, both healthy: quorum holds).
    expect(nextStep(o)).toMatchObject({ kind: 'begin-repair', repair: { member: 'demo-1', reason: 'KeptByShrink' } });
  });
  it('refuses to add while a voting member is unhealthy', () => {
    const o = withMembers(settled(3, 5), [member(0), member(1), member(2, { healthy: false })]);
    expect(nextStep(o)).toMatchObject({ kind: 'blocked', reason: 'MemberUnhealthy', unhealthy: ['demo-2'] });
  });
  it('picks the scale-down victim by ordinal, not by text order (demo-10 is above demo-9)', () => {
    const ms = Array.from({ length: 11 }, (_, k) => member(k));
    const o = settled(11, 9);
    expect(nextStep(withMembers(o, ms))).toMatchObject({ kind: 'remove-member', member: { name: 'demo-10' } });
  });
  it('updates the PDB to the quorum of the voting members etcd has', () => {
    const o = settled(3, 3, { pdb: { minAvailable: 1 } });
    expect(nextStep(o)).toEqual({ kind: 'ensure-pdb', minAvailable: 2 });
  });
  it('does nothing while the cluster is being deleted', () => {
    const o = settled(3, 1);
    o.cluster.metadata.deletionTimestamp = '2026-01-01T00:00:00Z';
    expect(nextStep(o)).toEqual({ kind: 'idle' });
  });
});

describe('nextStep: scale up, and each state a crash can leave', () => {
  const base = settled(3, 5);
  const learner3 = member(3, { isLearner: true, started: false, name: 'demo-3' });

  it('adds the lowest free ordinal as a learner', () => {
    expect(nextStep(base)).toMatchObject({ kind: 'add-learner', name: 'demo-3', ordinal: 3 });
  });
  it('learner added, no ConfigMap entry yet: writes the entry (existing + current members + itself)', () => {
    const o = withMembers(base, [...base.etcd.members!, learner3], { entries: 'stale' });
    const step = nextStep(o);
    expect(step.kind).toBe('write-member-entries');
    if (step.kind !== 'write-member-entries') return;
    expect(step.entries['demo-3']).toMatchObject({ state: 'existing', memberId: learner3.id });
    expect(step.entries['demo-3'].initialCluster.split(',')).toEqual([0, 1, 2, 3].map((k) => `demo-${k}=${peerURL(NAME, NS, k)}`));
  });
  it('entry written, StatefulSet not grown: grows it to cover the learner', () => {
    const o = withMembers(base, [...base.etcd.members!, learner3]);
    expect(nextStep(o)).toMatchObject({ kind: 'scale-statefulset', replicas: 4 });
  });
  it('StatefulSet grown, pod not started: waits (no second add while a learner exists)', () => {
    const o = withMembers({ ...base, statefulSet: { replicas: 4 } }, [...base.etcd.members!, learner3]);
    expect(nextStep(o)).toMatchObject({ kind: 'wait', reason: 'WaitingForLearnerPod' });
  });
  it('a learner whose pod never starts is removed again after the time limit', () => {
    const o = withMembers({ ...base, statefulSet: { replicas: 4 } }, [...base.etcd.members!, learner3]);
    o.memberEntries!['demo-3'].addedAt = new Date(NOW - LEARNER_START_TIMEOUT_MS - 1000).toISOString();
    expect(nextStep(o)).toMatchObject({ kind: 'remove-member', reason: 'LearnerNeverStarted', member: { name: 'demo-3' } });
  });
  it('learner started (caught up or not): promotes it (etcd refusing means retry soon)', () => {
    const o = withMembers({ ...base, statefulSet: { replicas: 4 } }, [...base.etcd.members!, { ...learner3, started: true }]);
    expect(nextStep(o)).toMatchObject({ kind: 'promote', member: { name: 'demo-3' } });
  });
  it('a learner beyond spec.size (size lowered mid-resize) is removed first', () => {
    const o = withMembers({ ...settled(3, 3), statefulSet: { replicas: 4 } }, [...base.etcd.members!, learner3]);
    expect(nextStep(o)).toMatchObject({ kind: 'remove-member', member: { name: 'demo-3', isLearner: true } });
  });
  it('a stale PVC at the ordinal about to be reused is deleted before the add', () => {
    const o = { ...base, pvcs: [...base.pvcs, { name: 'data-demo-3', ordinal: 3, deleting: false }] };
    expect(nextStep(o)).toEqual({ kind: 'delete-pvc', name: 'data-demo-3', message: expect.stringMatching(/data-demo-3/) });
  });
  it('and the add waits while that PVC is still terminating', () => {
    const o = { ...base, pvcs: [...base.pvcs, { name: 'data-demo-3', ordinal: 3, deleting: true }] };
    expect(nextStep(o)).toMatchObject({ kind: 'wait', reason: 'WaitingForPVCDeletion' });
  });
  it('a member etcd knows whose PVC outlived a deleted EtcdCluster gets its pod back even without a leader', () => {
    const ms = [member(0), member(1, { healthy: false }), member(2, { healthy: false })];
    const o = settled(3, 3, { statefulSet: { replicas: 1 } });
    expect(nextStep({ ...o, etcd: { members: ms, authoritative: false } })).toMatchObject({ kind: 'scale-statefulset', replicas: 3 });
  });
});

describe('nextStep: scale down, and each state a crash can leave', () => {
  it('moves leadership off the victim first', () => {
    const o = withMembers(settled(3, 1), settled(3, 1).etcd.members!, { leader: 2 });
    expect(nextStep(o)).toMatchObject({ kind: 'move-leader', from: { name: 'demo-2' }, to: { name: 'demo-0' } });
  });
  it('removes the highest ordinal once it is not the leader', () => {
    expect(nextStep(settled(3, 1))).toMatchObject({ kind: 'remove-member', reason: 'ScaleDown', member: { name: 'demo-2' } });
  });
  it('removed from etcd, StatefulSet not shrunk: shrinks it (before any further removal)', () => {
    const o = withMembers(settled(3, 1), [member(0), member(1)]);
    expect(nextStep(o)).toMatchObject({ kind: 'scale-statefulset', replicas: 2 });
  });
  it('StatefulSet shrunk, pod still terminating: the next removal does not wait for it (that member is out of etcd)', () => {
    const s = settled(3, 1);
    const o = withMembers({ ...s, statefulSet: { replicas: 2 } }, [member(0), member(1)]);
    expect(nextStep(o)).toMatchObject({ kind: 'remove-member', member: { name: 'demo-1' } });
  });
  it('at the target size, the removed member\'s PVC waits for its pod to go', () => {
    const s = settled(3, 2);
    const o = withMembers({ ...s, statefulSet: { replicas: 2 } }, [member(0), member(1)]);
    expect(nextStep(o)).toMatchObject({ kind: 'wait', reason: 'WaitingForPodDeletion' });
  });
  it('StatefulSet shrunk, pod gone, PVC remains: deletes the removed member\'s PVC (never reused)', () => {
    const s = settled(3, 2);
    const o = withMembers({ ...s, statefulSet: { replicas: 2 }, pods: s.pods.slice(0, 2) }, [member(0), member(1)]);
    expect(nextStep(o)).toMatchObject({ kind: 'delete-pvc', name: 'data-demo-2' });
    // Two removed members' PVCs (a 3 -> 1 shrink): each goes once its pod has; one still terminating is no reason to keep the other.
    const t = settled(3, 1);
    const both = withMembers({ ...t, statefulSet: { replicas: 1 }, pods: [t.pods[0], { ...t.pods[1], deleting: true, deletionDeadline: NOW + 20_000 }], pdb: { minAvailable: 1 } }, [member(0)]);
    expect(nextStep(both)).toMatchObject({ kind: 'delete-pvc', name: 'data-demo-2' });
  });
  it('PVC gone: removes the next victim', () => {
    const s = settled(3, 1);
    const o = withMembers({ ...s, statefulSet: { replicas: 2 }, pods: s.pods.slice(0, 2), pvcs: s.pvcs.slice(0, 2), pdb: { minAvailable: 2 } }, [member(0), member(1)]);
    expect(nextStep(o)).toMatchObject({ kind: 'remove-member', member: { name: 'demo-1' } });
  });
  it('drops the start entries of removed members', () => {
    const s = settled(3, 2);
    const o = withMembers({ ...s, statefulSet: { replicas: 2 } }, [member(0), member(1)], { entries: 'stale' });
    const step = nextStep(o);
    expect(step.kind).toBe('write-member-entries');
    if (step.kind === 'write-member-entries') expect(Object.keys(step.entries).sort()).toEqual(['demo-0', 'demo-1']);
  });
});

describe('nextStep: client traffic only to voting members that stay', () => {
  const servingOf = (o: Observed, k: number, serving: boolean): Observed => ({ ...o, pods: o.pods.map((p) => (p.ordinal === k ? { ...p, serving } : p)) });

  it('at rest, with every pod labelled as it should be: nothing to do (no writes)', () => {
    expect(nextStep(settled(3, 3)).kind).toBe('idle');
  });
  it('a voting member whose pod does not serve (a recreated pod) is put behind the client Service', () => {
    expect(nextStep(servingOf(settled(3, 3), 1, false))).toMatchObject({ kind: 'set-serving', pod: 'demo-1', serving: true });
  });
  it('a learner never serves: its pod is taken out, and an unlabelled learner pod is left alone (promote comes next)', () => {
    const s = settled(2, 3);
    const learnerPod = { name: 'demo-2', ordinal: 2, ready: true, deleting: false, serving: true };
    const o = withMembers({ ...s, statefulSet: { replicas: 3 }, pods: [...s.pods, learnerPod] }, [member(0), member(1), member(2, { isLearner: true })]);
    expect(nextStep(o)).toMatchObject({ kind: 'set-serving', pod: 'demo-2', serving: false });
    expect(nextStep(servingOf(o, 2, false))).toMatchObject({ kind: 'promote', member: { name: 'demo-2' } });
  });
  it('scale down: the leaving member leaves client traffic before leadership moves off it or it is removed', () => {
    const o = withMembers(servingOf(settled(3, 2), 2, true), [member(0), member(1), member(2)], { leader: 2 });
    expect(nextStep(o)).toMatchObject({ kind: 'set-serving', pod: 'demo-2', serving: false });
    expect(nextStep(servingOf(o, 2, false))).toMatchObject({ kind: 'move-leader', from: { name: 'demo-2' } });
  });
  it('scale down: the leaving member is removed only once out of the Endpoints and CLIENT_DRAIN_MS after leaving', () => {
    const leaving = (patch: Partial<Observed['pods'][number]>) => {
      const o = settled(3, 2);
      return { ...o, pods: o.pods.map((p) => (p.ordinal === 2 ? { ...p, serving: false, ...patch } : p)) };
    };
    // Still listed by the client Service's Endpoints: poll until the endpoints controller drops it.
    expect(nextStep(leaving({ inClientEndpoints: true, servingChangedAt: NOW - 10_000 }))).toMatchObject({ kind: 'wait', reason: 'DrainingClientTraffic', requeueMs: 100 });
    // Out of the Endpoints, label off 500 ms ago: waits the rest of the drain, to the millisecond.
    expect(nextStep(leaving({ inClientEndpoints: false, servingChangedAt: NOW - 500 }))).toMatchObject({ kind: 'wait', reason: 'DrainingClientTraffic', requeueMs: CLIENT_DRAIN_MS - 500 });
    // Drained: the removal goes ahead (and leadership moves first when it leads).
    expect(nextStep(leaving({ inClientEndpoints: false, servingChangedAt: NOW - CLIENT_DRAIN_MS }))).toMatchObject({ kind: 'remove-member', member: { name: 'demo-2' } });
    const leads = leaving({ inClientEndpoints: false, servingChangedAt: NOW - CLIENT_DRAIN_MS });
    expect(nextStep(withMembers(leads, leads.etcd.members!, { leader: 2 }))).toMatchObject({ kind: 'move-leader', from: { name: 'demo-2' } });
    // Endpoints unreadable and no timestamp (a pod labelled before this rule): nothing to wait for.
    expect(nextStep(leaving({}))).toMatchObject({ kind: 'remove-member', member: { name: 'demo-2' } });
  });
  it('a pod whose member is gone from etcd does not serve', () => {
    const s = settled(3, 2);
    const o = withMembers({ ...servingOf(s, 2, true), statefulSet: { replicas: 3 } }, [member(0), member(1)]);
    expect(nextStep(o)).toMatchObject({ kind: 'set-serving', pod: 'demo-2', serving: false });
  });
  it('is housekeeping, not a resize: it does not count as progress', () => {
    expect(isProgressStep({ kind: 'set-serving', pod: 'demo-1', serving: true, message: '' })).toBe(false);
  });
});
