// status of an EtcdCluster, pure: derived on every pass from what was observed and the step chosen, so it
// never freezes at a last good value. READY counts voting members etcd reports healthy whose pod is Ready.
import { selectorFor, type Condition, type EtcdCluster, type EtcdClusterStatus, type MemberRepair, type MemberStatus, type Phase, type Recovery } from './api.js';
import { findCondition } from './conditions.js';
import { backupCondition, nextBackupStatus, nextRestoredFrom, restoredCondition } from './backup-status.js';
import type { BackupAction } from './backup-step.js';
import { beginsResize, nextLastResize } from './last-resize.js';
import { nextLastRepair, nextPendingRepairs } from './last-repair.js';
import { nextLastRecovery } from './last-recovery.js';
import { nextLastUpgrade } from './last-upgrade.js';
import { rolloutPending, RolloutReasons } from './rollout.js';
import { byOrdinal } from './membership.js';
import { quorum } from './quorum.js';
import type { ResizeEventLike } from './resize-record.js';
import { isProgressStep, type Observed, type ObservedMember, type Step } from './reconcile-step.js';

/**
 * Quorum lost this long (Available False, reason QuorumLost, since its lastTransitionTime) is taken as lost
 * for good: phase Failed, the controller cannot go on without a person. Shorter losses (every pod restarted at
 * once, a node rebooting) are Degraded.
 */
export const FAILED_AFTER_MS = 180_000;

export interface StatusInput {
  observed: Observed;
  step: Step;
  /** The cluster's ResizeRequested Events, read when this pass begins a resize (core/last-resize.ts). */
  requests?: ResizeEventLike[];
  /** This pass's backup action (core/backup-step.ts), beside the step. */
  backupAction?: BackupAction;
}

/** Live figures that moved are written again once the last written are this old (never when nothing moved). */
export const FIGURES_MAX_AGE_MS = 30_000;

const FIGURE_KEYS = ['version', 'dbSize', 'raftTerm', 'raftIndex', 'revision', 'alarms', 'readAt'] as const;

/**
 * A member's figures: none when it did not answer this pass (a figure it no longer serves would read as live:
 * `kubectl etcd recover` takes a member with figures for one that answers). Otherwise the last written while
 * nothing in them changed (readAt: when these values were read; a cluster at rest writes no status), or while
 * they are younger than FIGURES_MAX_AGE_MS and only counters moved (a busy cluster's status is not rewritten
 * every pass); a new version or alarm is written at once.
 */
function figuresOf(m: ObservedMember, prev: MemberStatus | undefined, now: string): Partial<MemberStatus> {
  if (!m.figures) return {};
  const read = readNow(m, now);
  const last = prev?.readAt ? Object.fromEntries(FIGURE_KEYS.filter((k) => prev[k] !== undefined).map((k) => [k, prev[k]])) as Partial<MemberStatus> : undefined;
  if (!last) return { ...read, readAt: now };
  const same = (keys: readonly (keyof MemberStatus)[]) => keys.every((k) => JSON.stringify(last[k]) === JSON.stringify(read[k]));
  const young = Date.parse(now) - Date.parse(prev!.readAt!) < FIGURES_MAX_AGE_MS;
  if (same(['version', 'alarms']) && (young || same(['dbSize', 'raftTerm', 'raftIndex', 'revision']))) return last;
  return read;
}

/** The figures a member answered this pass, read now. */
function readNow(m: ObservedMember, now: string): Partial<MemberStatus> {
  const f = m.figures;
  if (!f) return {};
  return { version: f.version, dbSize: f.dbSize, raftTerm: f.raftTerm, raftIndex: f.raftIndex, revision: f.revision, ...(f.errors.length ? { alarms: f.errors } : {}), readAt: now };
}

/**
 * Every member's figures: when one member's are rewritten, every answering member's are, with the same readAt,
 * so figures in status are of one moment and comparable (a member's lag behind the leader). This adds no
 * status write: status is written anyway when one member's figures change.
 */
function figuresOfAll(seen: ObservedMember[], prev: Map<string, MemberStatus>, now: string): Map<string, Partial<MemberStatus>> {
  const each = new Map(seen.map((m) => [m.id, figuresOf(m, prev.get(m.id), now)]));
  if (![...each.values()].some((f) => f.readAt === now)) return each;
  return new Map(seen.map((m) => [m.id, readNow(m, now)]));
}

function members(o: Observed, now: string): MemberStatus[] {
  const seen = o.etcd.members;
  const prev = new Map((o.cluster.status?.members ?? []).map((m) => [m.id, m]));
  // The clock of repair.unhealthyAfter: kept across passes (and controllers) while the member stays unhealthy.
  const since = (m: MemberStatus): MemberStatus => {
    const { unhealthySince: _t, ...rest } = m;
    return m.healthy ? rest : { ...rest, unhealthySince: prev.get(m.id)?.unhealthySince ?? now };
  };
  if (!seen) {
    // Unknown now: keep the last list but never claim health we cannot see.
    return (o.cluster.status?.members ?? []).map((m) => since({ ...m, healthy: false }));
  }
  const figures = figuresOfAll(seen, prev, now);
  return byOrdinal(
    seen.map((m) => since({
      name: m.name, id: m.id, peerURL: m.peerURL, clientURL: m.clientURL, isLearner: m.isLearner, healthy: m.healthy,
      ...figures.get(m.id),
    })),
    (m) => seen.find((x) => x.id === m.id)?.ordinal,
  );
}

/** The cluster has reached a size before: from then on, growth is a resize and trouble is not "Creating". */
function wasRunning(prev: EtcdClusterStatus | undefined): boolean {
  return !!prev?.phase && !['Pending', 'Creating'].includes(prev.phase);
}

/** This pass begins a resize: the controller then reads who asked for it (the Events of deriveStatus's `requests`). */
export function resizeBegins(c: EtcdCluster): boolean {
  return beginsResize({ prev: c.status?.lastResize, target: c.spec.size, everRunning: wasRunning(c.status), lastSize: c.status?.size });
}

/** Failed only when quorum has been lost longer than FAILED_AFTER_MS; an unreadable member list never is. */
function lostForGood(available: Condition, now: string): boolean {
  return available.reason === 'QuorumLost' && Date.parse(now) - Date.parse(available.lastTransitionTime) >= FAILED_AFTER_MS;
}

interface Busy {
  repairing: boolean;
  resizing: boolean;
  /** A new pod template (a version) is being rolled out. */
  rolling: boolean;
}

function phaseOf(o: Observed, step: Step, list: MemberStatus[], available: Condition, busy: Busy, now: string): Phase {
  if (!o.statefulSet && !list.length) return 'Pending';
  // Until the cluster first reaches its size, anything short of Running is part of creating it.
  const creating = !wasRunning(o.cluster.status);
  if (available.status !== 'True') return creating ? 'Creating' : lostForGood(available, now) ? 'Failed' : 'Degraded';
  const voting = list.filter((m) => !m.isLearner);
  if (step.kind === 'blocked' || busy.repairing || voting.some((m) => !m.healthy)) return creating ? 'Creating' : 'Degraded';
  // A rollout at size with every member healthy serves as Running does (Progressing says what rolls).
  if (busy.rolling && !busy.resizing && voting.length === o.cluster.spec.size) return 'Running';
  // A resize not completed yet is Scaling even on a pass of housekeeping (the PDB, client traffic) in between.
  if (isProgressStep(step) || busy.resizing || voting.length !== o.cluster.spec.size) return creating ? 'Creating' : 'Scaling';
  return 'Running';
}

/** The replacement under way and the ones queued behind it (removed ahead). */
function replacingMessage(r: MemberRepair | undefined, pending: MemberRepair[] | undefined): string {
  const now = r && !r.completedAt ? `replacing ${r.member} (${r.reason}): ${r.message}` : undefined;
  const then = pending?.length ? `${now ? 'then ' : 'replacing next '}${pending.map((p) => `${p.member} (${p.reason}, removed ahead)`).join(', ')}` : undefined;
  return [now, then].filter(Boolean).join('; ');
}

function stepMessage(step: Step): string {
  switch (step.kind) {
    case 'add-learner':
      return `adding ${step.name} as a learner`;
    case 'promote':
      return `promoting learner ${step.member.name} once it has caught up`;
    case 'move-leader':
      return `moving leadership from ${step.from.name} to ${step.to.name} ${step.why}`;
    case 'begin-upgrade':
      return `upgrading etcd ${step.upgrade.from} -> ${step.upgrade.to}, one member at a time`;
    case 'remove-member':
      return `removing ${step.member.name}: ${step.message}`;
    case 'begin-repair':
      return `replacing ${step.repair.member} (${step.repair.reason}): ${step.repair.message}`;
    case 'queue-repair':
      return step.message;
    case 'begin-recovery':
      return `recovering from lost quorum from ${step.recovery.member} (${step.recovery.id})`;
    case 'delete-pod':
    case 'issue-certificates':
    case 'request-certificates':
    case 'update-statefulset':
    case 'write-member-entries':
    case 'scale-statefulset':
    case 'delete-pvc':
    case 'wait':
    case 'blocked':
      return step.message;
    case 'create-statefulset':
      return 'creating the StatefulSet';
    case 'ensure-network-policy':
      return 'writing the NetworkPolicy';
    default:
      return step.kind;
  }
}

function condition(type: string, status: Condition['status'], reason: string, message: string, generation: number | undefined, prev: EtcdClusterStatus | undefined, now: string): Condition {
  const old = findCondition(prev, type);
  const lastTransitionTime = old && old.status === status ? old.lastTransitionTime : now;
  return { type, status, reason, message, lastTransitionTime, observedGeneration: generation };
}

/** Available: True with a healthy quorum and a leader; Unknown while no member answers; False when quorum is lost. */
function availability(o: Observed, voting: MemberStatus[], leader: string | undefined, now: string): Condition {
  const { cluster, etcd } = o;
  const gen = cluster.metadata.generation;
  const prev = cluster.status;
  const healthy = voting.filter((m) => m.healthy).length;
  if (!etcd.members) return condition('Available', 'Unknown', 'EtcdUnreachable', `etcd's member list could not be read: ${etcd.problem ?? 'no answer'}`, gen, prev, now);
  if (leader && healthy >= quorum(voting.length)) {
    return condition('Available', 'True', 'QuorumHealthy', `${healthy} of ${voting.length} voting members healthy, leader ${leader}`, gen, prev, now);
  }
  return condition('Available', 'False', 'QuorumLost', etcd.problem ?? `${healthy} of ${voting.length} voting members healthy, quorum is ${quorum(voting.length)}`, gen, prev, now);
}

/**
 * Settled at spec.size: exactly that many voting members, no learner, nothing at all left to do (the pass
 * decided idle, or blocked on something the resize cannot change: no PDB, client-traffic or cleanup step is
 * pending), and the pod of every member etcd reports healthy Ready (what READY shows). A member that is
 * unhealthy is not waited for: the resize cannot make it healthy.
 */
function settledAtSize(o: Observed, step: Step, list: MemberStatus[], readyPods: Set<string>): boolean {
  if (!o.etcd.members || !o.etcd.authoritative || list.some((m) => m.isLearner)) return false;
  const nothingLeft = step.kind === 'idle' || step.kind === 'blocked';
  return list.length === o.cluster.spec.size && nothingLeft && list.every((m) => !m.healthy || readyPods.has(m.name));
}

export function deriveStatus({ observed: o, step, requests, backupAction }: StatusInput, now: string): EtcdClusterStatus {
  const prev = o.cluster.status;
  const gen = o.cluster.metadata.generation;
  const list = members(o, now);
  const voting = list.filter((m) => !m.isLearner);
  const healthyVoting = voting.filter((m) => m.healthy);
  const readyPods = new Set(o.pods.filter((p) => p.ready && !p.deleting).map((p) => p.name));
  const leader = o.etcd.authoritative ? list.find((m) => m.id === o.etcd.leaderId)?.name : undefined;
  const available = availability(o, voting, leader, now);
  const size = o.cluster.spec.size;
  const lastRepair = nextLastRepair({ prev: prev?.lastRepair, step, members: o.etcd.members, readyPods, size, now });
  const pendingRepairs = nextPendingRepairs(prev?.pendingRepairs, step, size);
  const repairing = (!!lastRepair && !lastRepair.completedAt) || !!pendingRepairs;
  const lastRecovery = nextLastRecovery({ prev: prev?.lastRecovery, step, members: o.etcd.members, authoritative: o.etcd.authoritative, readyPods, size, now });
  const recovering = !!lastRecovery && !lastRecovery.completedAt;
  const lastResize = nextLastResize({
    prev: prev?.lastResize,
    target: size,
    everRunning: wasRunning(prev),
    votingNow: o.etcd.members ? voting.length : undefined,
    lastSize: prev?.size,
    requests,
    settled: settledAtSize(o, step, list, readyPods),
    now,
  });
  const resizing = !!lastResize && !lastResize.completedAt;
  const lastUpgrade = nextLastUpgrade(o, step, readyPods, now);
  const upgrading = !!lastUpgrade && !lastUpgrade.completedAt;
  const rolling = upgrading || rolloutPending(o);
  const phase = recovering ? 'Degraded' : phaseOf(o, step, list, available, { repairing, resizing, rolling }, now);
  const progressReason = recovering ? 'Recovering' : repairing ? 'Repairing' : rolling && !resizing ? (upgrading ? RolloutReasons.upgrading : RolloutReasons.rollingRestart)
    : wasRunning(prev) ? 'Resizing' : 'Creating';
  const restarting = step.kind === 'wait' && step.reason === 'WaitingForMemberRestart';

  const progressing = isProgressStep(step)
    ? condition('Progressing', 'True', progressReason, stepMessage(step), gen, prev, now)
    : condition('Progressing', 'False', voting.length === size ? 'SizeReached' : 'Stalled', voting.length === size ? `${voting.length} voting members as wanted` : stepMessage(step), gen, prev, now);
  // A learner not caught up yet is a resize in progress, not a degradation.
  const unhealthy = voting.filter((m) => !m.healthy).map((m) => m.name);
  const degraded =
    recovering
      ? condition('Degraded', 'True', 'Recovering', recoveryMessage(lastRecovery, size), gen, prev, now)
      : step.kind === 'blocked'
      ? condition('Degraded', 'True', step.reason, step.message, gen, prev, now)
      : repairing
        ? condition('Degraded', 'True', 'MemberReplacing', replacingMessage(lastRepair, pendingRepairs), gen, prev, now)
      : restarting
        ? condition('Degraded', 'True', RolloutReasons.restarting, step.message, gen, prev, now)
      : unhealthy.length
        ? condition('Degraded', 'True', 'MemberUnhealthy', `unhealthy: ${unhealthy.join(', ')}`, gen, prev, now)
        : condition('Degraded', 'False', 'AllMembersHealthy', 'every member is healthy', gen, prev, now);

  const make = (type: string, st: Condition['status'], reason: string, message: string) => condition(type, st, reason, message, gen, prev, now);
  const backup = nextBackupStatus({ cluster: o.cluster, backup: o.backup, action: backupAction, now });
  const restoredFrom = nextRestoredFrom(o.cluster, o.backup, now);
  const extra = [backupCondition(o.cluster, backup, make), restoredCondition(o.cluster, restoredFrom, o.backup, make)].filter((x) => !!x);

  const status: EtcdClusterStatus = {
    observedGeneration: gen,
    phase,
    size: voting.length,
    readyReplicas: healthyVoting.filter((m) => readyPods.has(m.name)).length,
    members: list,
    conditions: [available, progressing, degraded, ...extra],
    selector: selectorFor(o.cluster.metadata.name!),
  };
  if (backup) status.backup = backup;
  if (restoredFrom) status.restoredFrom = restoredFrom;
  if (leader) status.leader = leader;
  if (lastResize) status.lastResize = lastResize;
  if (lastRepair) status.lastRepair = lastRepair;
  if (pendingRepairs) status.pendingRepairs = pendingRepairs;
  if (lastRecovery) status.lastRecovery = lastRecovery;
  if (lastUpgrade) status.lastUpgrade = lastUpgrade;
  // Unknown this pass (no leader answered): the last known, which moves only forward.
  const clusterVersion = o.etcd.clusterVersion ?? prev?.clusterVersion;
  if (clusterVersion) status.clusterVersion = clusterVersion;
  return status;
}

/**
 * The status of a pass that could not even observe the cluster (an API call refused, say): nothing is known
 * now, so availability is Unknown and a condition says why nothing goes on; the cluster never sits with an
 * empty or silent status.
 */
export function failureStatus(cluster: EtcdCluster, reason: string, message: string, now: string): EtcdClusterStatus {
  const prev = cluster.status;
  const gen = cluster.metadata.generation;
  const progressing = findCondition(prev, 'Progressing') ?? condition('Progressing', 'Unknown', reason, 'not observed yet', gen, prev, now);
  return {
    ...prev,
    observedGeneration: gen,
    phase: wasRunning(prev) ? 'Degraded' : prev?.phase ?? 'Pending',
    conditions: [
      condition('Available', 'Unknown', reason, message, gen, prev, now),
      progressing,
      condition('Degraded', 'True', reason, message, gen, prev, now),
    ],
    selector: selectorFor(cluster.metadata.name!),
  };
}

function recoveryMessage(r: Recovery, size: number): string {
  const lost = r.lost.map((m) => `${m.member}${m.raftIndex !== undefined ? ` index ${m.raftIndex}` : ' (unreachable)'}`).join(', ');
  const head = `recovering from lost quorum from ${r.member} (${r.id}, raft index ${r.raftIndex ?? '?'}, revision ${r.revision ?? '?'})`;
  return r.forcedAt
    ? `${head}: it runs as a one-member cluster since ${r.forcedAt}; growing back to ${size} with new members (discarded: ${lost || 'none'})`
    : `${head}: restarting it as a one-member cluster (force-new-cluster); the others' data is discarded (${lost || 'none'})`;
}

/** Equal for the purpose of writing: lastTransitionTime churn alone is not a change. */
export function statusEqual(a: EtcdClusterStatus | undefined, b: EtcdClusterStatus | undefined): boolean {
  const strip = (s: EtcdClusterStatus | undefined) =>
    JSON.stringify(s ? { ...s, conditions: s.conditions?.map(({ lastTransitionTime: _t, ...c }) => c) } : {}, sortKeys);
  return strip(a) === strip(b);
}

/** Key order and undefined members do not make two statuses different. */
function sortKeys(_key: string, value: unknown): unknown {
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>)
        .filter(([, v]) => v !== undefined)
        .sort(([x], [y]) => x.localeCompare(y)),
    );
  }
  return value;
}
