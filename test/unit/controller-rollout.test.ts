// The rollout of a new pod template (a version change) through nextStep, every half-done state included, and
// its record (status.lastUpgrade, phase and conditions).
import type { EtcdCluster, LastUpgrade } from '../../core/api.js';
import { memberName } from '../../core/member-naming.js';
import { desiredMemberEntries, nextStep, type Observed, type ObservedMember, type ObservedPod } from '../../core/reconcile-step.js';
import { CATCH_UP_ENTRIES, RESTART_STUCK_MS } from '../../core/rollout.js';
import { deriveStatus } from '../../core/status-derive.js';
import { member, NAME, NS } from './controller-fixtures.js';

const NOW = Date.parse('2026-01-01T00:10:00Z');
const OLD = 'h-old';
const NEW = 'h-new';
const upgrade: LastUpgrade = { from: '3.4.23', to: '3.5.16', startedAt: '2026-01-01T00:05:00Z' };

interface Setup {
  size?: number;
  version?: string;
  /** The StatefulSet's template: its version and hash, and whether spec renders another. */
  sts?: { version?: string; hash?: string; outdated?: boolean };
  /** Template hash of each pod by ordinal (default OLD); pod fields merged over a Ready pod. */
  pods?: Record<number, Partial<ObservedPod> | null>;
  members?: ObservedMember[];
  leader?: number;
  lastUpgrade?: LastUpgrade;
  clusterVersion?: string;
}

function observed(s: Setup = {}): Observed {
  const size = s.size ?? 3;
  const members = s.members ?? Array.from({ length: size }, (_, k) => member(k, { figures: figures('3.4.23') }));
  const cluster: EtcdCluster = {
    metadata: { name: NAME, namespace: NS, uid: 'u1', generation: 3 },
    spec: { size, version: s.version ?? '3.5.16' },
    status: {
      phase: 'Running',
      size,
      members: members.map((m) => ({ name: m.name, id: m.id, isLearner: m.isLearner, healthy: m.healthy, version: m.figures?.version })),
      ...(s.lastUpgrade ? { lastUpgrade: s.lastUpgrade } : {}),
    },
  };
  const pods: ObservedPod[] = [];
  for (let k = 0; k < size; k++) {
    const extra = s.pods?.[k];
    if (extra === null) continue;
    const m = members.find((x) => x.ordinal === k);
    pods.push({ name: memberName(NAME, k), ordinal: k, ready: !!m?.healthy, deleting: false, serving: true, createdAt: NOW - 600_000, templateHash: OLD, ...extra });
  }
  const o: Observed = {
    now: NOW,
    cluster,
    etcd: { members, authoritative: true, leaderId: member(s.leader ?? 0).id, ...(s.clusterVersion ? { clusterVersion: s.clusterVersion } : {}) },
    servicesPresent: true,
    statefulSet: { replicas: size, version: s.sts?.version ?? '3.5.16', templateHash: s.sts?.hash ?? NEW, ...(s.sts?.outdated ? { templateOutdated: true } : {}) },
    pdb: { minAvailable: Math.floor(members.filter((m) => !m.isLearner).length / 2) + 1 },
    pods,
    pvcs: Array.from({ length: size }, (_, k) => ({ name: `data-${memberName(NAME, k)}`, ordinal: k, deleting: false })),
  };
  o.memberEntries = desiredMemberEntries(o, members);
  return o;
}

function figures(version: string, raftIndex = 1000) {
  return { version, dbSize: 1, raftTerm: 2, raftIndex, revision: 10, errors: [] };
}

/** Members 0..n-1 where those in `onNew` run 3.5.16. */
function members(n: number, onNew: number[] = [], patch: Record<number, Partial<ObservedMember>> = {}): ObservedMember[] {
  return Array.from({ length: n }, (_, k) => member(k, { figures: figures(onNew.includes(k) ? '3.5.16' : '3.4.23'), ...patch[k] }));
}

describe('rollout: a version change', () => {
  it('begins with its record, before the template or any pod changes', () => {
    const step = nextStep(observed({ sts: { version: '3.4.23', hash: OLD, outdated: true } }));
    expect(step).toEqual({ kind: 'begin-upgrade', upgrade: { from: '3.4.23', to: '3.5.16', startedAt: new Date(NOW).toISOString() } });
  });

  it('then puts the new template into the StatefulSet (a controller killed after the record resumes here)', () => {
    const step = nextStep(observed({ sts: { version: '3.4.23', hash: OLD, outdated: true }, lastUpgrade: upgrade }));
    expect(step).toMatchObject({ kind: 'update-statefulset' });
  });

  it('a version asked for while another upgrade is open begins a new record from what the template runs', () => {
    const step = nextStep(observed({ version: '3.5.17', sts: { version: '3.5.16', outdated: true }, lastUpgrade: upgrade }));
    expect(step).toMatchObject({ kind: 'begin-upgrade', upgrade: { from: '3.5.16', to: '3.5.17' } });
  });

  it('going back before the template changed begins a record of the way back, done once nothing is to roll', () => {
    const o = observed({ version: '3.4.23', sts: { version: '3.4.23', hash: NEW }, pods: { 0: { templateHash: NEW }, 1: { templateHash: NEW }, 2: { templateHash: NEW } }, lastUpgrade: upgrade, clusterVersion: '3.4.0' });
    const step = nextStep(o);
    expect(step).toMatchObject({ kind: 'begin-upgrade', upgrade: { from: '3.5.16', to: '3.4.23' } });
    const back = { ...upgrade, from: '3.5.16', to: '3.4.23' };
    const next = observed({ version: '3.4.23', sts: { version: '3.4.23', hash: NEW }, pods: { 0: { templateHash: NEW }, 1: { templateHash: NEW }, 2: { templateHash: NEW } }, lastUpgrade: back, clusterVersion: '3.4.0' });
    expect(nextStep(next)).toEqual({ kind: 'idle' });
    expect(deriveStatus({ observed: next, step: nextStep(next) }, new Date(NOW).toISOString()).lastUpgrade?.completedAt).toBeDefined();
  });

  it('restarts followers first, from the highest ordinal down', () => {
    const step = nextStep(observed({ lastUpgrade: upgrade }));
    expect(step).toMatchObject({ kind: 'delete-pod', pod: 'demo-2', force: false });
    const next = nextStep(observed({ lastUpgrade: upgrade, members: members(3, [2]), pods: { 2: { templateHash: NEW } } }));
    expect(next).toMatchObject({ kind: 'delete-pod', pod: 'demo-1' });
  });

  it('moves leadership off the leader, to a member already restarted, before restarting it last', () => {
    const o = observed({ lastUpgrade: upgrade, members: members(3, [1, 2]), pods: { 1: { templateHash: NEW }, 2: { templateHash: NEW } }, leader: 0 });
    const step = nextStep(o);
    expect(step).toMatchObject({ kind: 'move-leader', from: { name: 'demo-0' }, to: { name: 'demo-1' } });
    // Leadership moved: demo-0 is a follower now and restarts.
    const moved = observed({ lastUpgrade: upgrade, members: members(3, [1, 2]), pods: { 1: { templateHash: NEW }, 2: { templateHash: NEW } }, leader: 1 });
    expect(nextStep(moved)).toMatchObject({ kind: 'delete-pod', pod: 'demo-0' });
  });

  it('leaves a leader among followers to the end even when its ordinal is highest', () => {
    expect(nextStep(observed({ lastUpgrade: upgrade, leader: 2 }))).toMatchObject({ kind: 'delete-pod', pod: 'demo-1' });
  });

  it('waits for a deleted pod to go, and for its member to come back, before the next', () => {
    const going = observed({ lastUpgrade: upgrade, pods: { 2: { deleting: true } } });
    expect(nextStep(going)).toMatchObject({ kind: 'wait', reason: 'WaitingForPodRestart' });
    const gone = observed({ lastUpgrade: upgrade, pods: { 2: null } });
    expect(nextStep(gone)).toMatchObject({ kind: 'wait', reason: 'WaitingForPodRestart' });
    const starting = observed({
      lastUpgrade: upgrade,
      members: members(3, [], { 2: { healthy: false, answered: false, figures: undefined } }),
      pods: { 2: { templateHash: NEW, ready: false, createdAt: NOW - 5000 } },
    });
    expect(nextStep(starting)).toMatchObject({ kind: 'wait', reason: 'WaitingForMemberRestart' });
    // Healthy in etcd but its pod not ready yet (out of the client Service): still waited for, so no two
    // members are out of service at once.
    const unready = observed({ lastUpgrade: upgrade, pods: { 2: { templateHash: NEW, ready: false, createdAt: NOW - 5000 } } });
    expect(nextStep(unready)).toMatchObject({ kind: 'wait', reason: 'WaitingForMemberRestart', message: expect.stringContaining('waiting for demo-2 to come back') });
    expect(nextStep(observed({ lastUpgrade: upgrade, pods: { 2: { templateHash: NEW, ready: true, createdAt: NOW - 5000 } } })).kind).not.toBe('wait');
  });

  it('deletes for good a restarted pod whose etcd its node reports stopped for 10 s and that does not go (kubelet 1.20 retries a lost kill race a minute later)', () => {
    const stopped = (ago: number) => observed({ lastUpgrade: upgrade, pods: { 2: { deleting: true, etcdStartedAt: undefined, etcdStoppedAt: NOW - ago, deletionDeadline: NOW + 25_000 } } });
    expect(nextStep(stopped(9000))).toMatchObject({ kind: 'wait', reason: 'WaitingForPodRestart' });
    const step = nextStep(stopped(11_000));
    expect(step).toMatchObject({ kind: 'delete-pod', pod: 'demo-2', force: true });
    if (step.kind === 'delete-pod') expect(step.message).toBe("the restarted member's pod demo-2: its node reported etcd stopped 11s ago and has not finished deleting it; deleting it for good");
    // Still running as its node last said (a node that does not answer): never forced, even long past its grace
    // period, since the member is still in etcd and may still run there.
    expect(nextStep(observed({ lastUpgrade: upgrade, pods: { 2: { deleting: true, deletionDeadline: NOW - 60_000 } } }))).toMatchObject({ kind: 'wait', reason: 'WaitingForPodRestart' });
  });

  it('reports a restarted member that does not come back, with the way back while no member runs the new minor', () => {
    const stuck = observed({
      lastUpgrade: upgrade,
      members: members(3, [], { 2: { healthy: false, answered: false, figures: undefined } }),
      pods: { 2: { templateHash: NEW, ready: false, createdAt: NOW - RESTART_STUCK_MS - 1000, trouble: 'etcd: ImagePullBackOff' } },
    });
    const step = nextStep(stuck);
    expect(step).toMatchObject({ kind: 'blocked', reason: 'RolloutStuck', unhealthy: ['demo-2'] });
    expect(step.kind === 'blocked' && step.message).toContain('ImagePullBackOff');
    expect(step.kind === 'blocked' && step.message).toContain('set spec.version back to 3.4.23');
  });

  it('waits for a restarted member to catch up with the leader', () => {
    const o = observed({ lastUpgrade: upgrade, members: members(3, [2], { 2: { figures: figures('3.5.16', 1000 - CATCH_UP_ENTRIES - 1) } }), pods: { 2: { templateHash: NEW } } });
    expect(nextStep(o)).toMatchObject({ kind: 'wait', reason: 'WaitingForCatchUp' });
    const close = observed({ lastUpgrade: upgrade, members: members(3, [2], { 2: { figures: figures('3.5.16', 1000 - CATCH_UP_ENTRIES) } }), pods: { 2: { templateHash: NEW } } });
    expect(nextStep(close)).toMatchObject({ kind: 'delete-pod', pod: 'demo-1' });
  });

  it('pauses while a member not yet restarted is unhealthy, naming it, and resumes once it is back', () => {
    const sick = observed({ lastUpgrade: upgrade, members: members(3, [2], { 1: { healthy: false, answered: false } }), pods: { 2: { templateHash: NEW }, 1: { trouble: 'etcd: CrashLoopBackOff' } } });
    const step = nextStep(sick);
    expect(step).toMatchObject({ kind: 'blocked', reason: 'RolloutPaused', unhealthy: ['demo-1'] });
    expect(step.kind === 'blocked' && step.message).toContain('CrashLoopBackOff');
    const back = observed({ lastUpgrade: upgrade, members: members(3, [2]), pods: { 2: { templateHash: NEW } } });
    expect(nextStep(back)).toMatchObject({ kind: 'delete-pod', pod: 'demo-1' });
  });

  it('restarts an outdated member that cannot pull its image: only a pod of the new template can start', () => {
    const o = observed({ lastUpgrade: upgrade, members: members(3, [], { 1: { healthy: false, answered: false } }), pods: { 1: { trouble: 'etcd: ImagePullBackOff', ready: false } } });
    expect(nextStep(o)).toMatchObject({ kind: 'delete-pod', pod: 'demo-1' });
  });

  it('does not roll during a membership change', () => {
    const learner = member(3, { isLearner: true, started: true, figures: figures('3.5.16') });
    const o = observed({ size: 4, lastUpgrade: upgrade, members: [...members(3), learner], pods: { 3: { templateHash: NEW, serving: false } } });
    expect(nextStep(o)).toMatchObject({ kind: 'promote', member: { name: 'demo-3' } });
  });

  it('once every pod is on the new template, waits for the cluster version, then is idle', () => {
    const all = { 0: { templateHash: NEW }, 1: { templateHash: NEW }, 2: { templateHash: NEW } };
    const waiting = observed({ lastUpgrade: upgrade, members: members(3, [0, 1, 2]), pods: all, clusterVersion: '3.4.0' });
    expect(nextStep(waiting)).toMatchObject({ kind: 'wait', reason: 'WaitingForClusterVersion' });
    const done = observed({ lastUpgrade: upgrade, members: members(3, [0, 1, 2]), pods: all, clusterVersion: '3.5.0' });
    expect(nextStep(done)).toEqual({ kind: 'idle' });
  });

  it('a one-member cluster restarts its only member (nothing to move leadership to)', () => {
    expect(nextStep(observed({ size: 1, lastUpgrade: upgrade }))).toMatchObject({ kind: 'delete-pod', pod: 'demo-0' });
  });

  it('a changed template without a version change rolls the same way, without an upgrade record', () => {
    const o = observed({ version: '3.5.16', members: members(3, [0, 1, 2]), sts: { version: '3.5.16', outdated: true } });
    expect(nextStep(o)).toMatchObject({ kind: 'update-statefulset', message: 'the pod template changed' });
    const rolling = observed({ version: '3.5.16', members: members(3, [0, 1, 2]) });
    expect(nextStep(rolling)).toMatchObject({ kind: 'delete-pod', pod: 'demo-2' });
  });
});

describe('rollout: status', () => {
  const now = new Date(NOW).toISOString();

  it('records the upgrade when it begins and keeps phase Running with Progressing Upgrading', () => {
    const o = observed({ sts: { version: '3.4.23', hash: OLD, outdated: true } });
    const step = nextStep(o);
    const s = deriveStatus({ observed: o, step }, now);
    expect(s.lastUpgrade).toEqual({ from: '3.4.23', to: '3.5.16', startedAt: now });
    expect(s.phase).toBe('Running');
    expect(s.conditions?.find((c) => c.type === 'Progressing')).toMatchObject({ status: 'True', reason: 'Upgrading' });
  });

  it('says Degraded, MemberRestarting, while a restarted member is down', () => {
    const o = observed({
      lastUpgrade: upgrade,
      members: members(3, [], { 2: { healthy: false, answered: false, figures: undefined } }),
      pods: { 2: { templateHash: NEW, ready: false, createdAt: NOW - 5000 } },
    });
    const s = deriveStatus({ observed: o, step: nextStep(o) }, now);
    expect(s.phase).toBe('Degraded');
    expect(s.conditions?.find((c) => c.type === 'Degraded')).toMatchObject({ status: 'True', reason: 'MemberRestarting' });
  });

  it('completes only with every member on the new version, Ready, and the cluster version moved', () => {
    const all = { 0: { templateHash: NEW }, 1: { templateHash: NEW }, 2: { templateHash: NEW } };
    const before = observed({ lastUpgrade: upgrade, members: members(3, [0, 1, 2]), pods: all, clusterVersion: '3.4.0' });
    expect(deriveStatus({ observed: before, step: nextStep(before) }, now).lastUpgrade?.completedAt).toBeUndefined();
    const notReady = observed({ lastUpgrade: upgrade, members: members(3, [0, 1, 2]), pods: { ...all, 1: { templateHash: NEW, ready: false } }, clusterVersion: '3.5.0' });
    expect(deriveStatus({ observed: notReady, step: nextStep(notReady) }, now).lastUpgrade?.completedAt).toBeUndefined();
    const done = observed({ lastUpgrade: upgrade, members: members(3, [0, 1, 2]), pods: all, clusterVersion: '3.5.0' });
    const s = deriveStatus({ observed: done, step: nextStep(done) }, now);
    expect(s.lastUpgrade).toEqual({ ...upgrade, completedAt: now });
    expect(s.clusterVersion).toBe('3.5.0');
    expect(s.phase).toBe('Running');
    expect(s.conditions?.find((c) => c.type === 'Progressing')).toMatchObject({ status: 'False' });
  });

  it('shows a member\'s new version at once, not 30 s later', () => {
    const o = observed({ lastUpgrade: upgrade, members: members(3, [2]), pods: { 2: { templateHash: NEW } } });
    o.cluster.status!.members = o.cluster.status!.members!.map((m) => ({ ...m, version: '3.4.23', readAt: new Date(NOW - 1000).toISOString() }));
    const s = deriveStatus({ observed: o, step: nextStep(o) }, now);
    expect(s.members?.find((m) => m.name === 'demo-2')?.version).toBe('3.5.16');
    expect(s.members?.find((m) => m.name === 'demo-1')?.version).toBe('3.4.23');
  });
});
