// The controller's decision, pure: from what etcd and Kubernetes show right now to the one next step.
// Every half-done state a crash can leave maps to the step that finishes (or undoes) it, so a controller
// killed anywhere converges. Membership steps are taken only on the leader's own member list.
import type { EtcdCluster, LastUpgrade, MemberRepair, Recovery } from './api.js';
import { memberName, peerURL } from './member-naming.js';
import type { MemberStartEntry } from './member-entry.js';
import type { GuardRefusal } from './member-guard.js';
import { joiningOrdinal, leavingOrder } from './membership.js';
import { quorum } from './quorum.js';
import { beginRecovery, continueRecovery, recoveryInProgress } from './recovery.js';
import { beginRepair, beingReplaced, continueRepair, growthAllowedDuringRepair, learnerPod, removeAhead, repairInProgress, reportUnhealthy, stuckDeletion, takeUpQueued } from './repair.js';
import type { ObservedBackup } from './backup-step.js';
import { restoreFailure } from './backup-status.js';
import { certificateStep, type CertificateKind, type ObservedTls } from './certificate-step.js';
import { rollout } from './rollout.js';
import { schemeOf } from './tls-config.js';
import { known, names, ours, drainWait, type Known } from './step-facts.js';

export { CLIENT_DRAIN_MS } from './step-facts.js';

/** A learner whose pod has not started etcd this long after it was added is removed again (LESSONS rule 4). */
export const LEARNER_START_TIMEOUT_MS = 180_000;
/** A started learner not in sync after this long is reported (it keeps being retried). */
export const PROMOTE_WARN_AFTER_MS = 60_000;
/** Requeue while etcd is expected to accept soon (catch-up, the ~5 s reconfigure guard). */
export const SHORT_REQUEUE_MS = 300;
export const WAIT_REQUEUE_MS = 1000;
export interface ObservedMember {
  /** 16 lower-case hex digits. */
  id: string;
  /** NAME-k when the peer URL is ours, else etcd's name. */
  name: string;
  /** Undefined when the peer URL is not one this controller names (never touched then). */
  ordinal?: number;
  peerURL: string;
  clientURL: string;
  isLearner: boolean;
  /** etcd reports a name once the member's process has started. */
  started: boolean;
  healthy: boolean;
  /** Its own endpoint answered a status request this pass (healthy may still be false: alarms, no leader). */
  answered: boolean;
  /** What it said, when it answered: read from the member itself, so known without quorum too. */
  figures?: MemberFigures;
}

export interface MemberFigures {
  version: string;
  dbSize: number;
  raftTerm: number;
  raftIndex: number;
  revision: number;
  /** Alarms and errors it reports (NOSPACE, CORRUPT). */
  errors: string[];
}

export interface EtcdObservation {
  /** etcd's member list; undefined = unknown (no member answered), never "no members". */
  members?: ObservedMember[];
  /** The list came from the leader: only then are membership steps taken. */
  authoritative: boolean;
  leaderId?: string;
  /** etcd's cluster version ("3.5.0", the lowest minor every member runs), as the leader reports it. */
  clusterVersion?: string;
  problem?: string;
}

export interface ObservedPod {
  name: string;
  ordinal: number;
  ready: boolean;
  deleting: boolean;
  /** Carries SERVING_LABEL="true": behind the client Service. */
  serving: boolean;
  /** When SERVING_LABEL last changed (ms since the epoch), from the pod's annotation. */
  servingChangedAt?: number;
  /** Listed in the client Service's Endpoints (ready or not); undefined when they could not be read. */
  inClientEndpoints?: boolean;
  /** When the pod object was created (ms). */
  createdAt?: number;
  /** When its etcd container started running, while it runs (ms). */
  etcdStartedAt?: number;
  /** The member guard's last refusal to start etcd in this pod (the init container's exit code and words). */
  guardRefusal?: { reason: GuardRefusal; message: string };
  /** PodScheduled False (Unschedulable) since (ms). */
  unschedulableSince?: number;
  /** When a graceful deletion's grace period ends (deletionTimestamp, ms). */
  deletionDeadline?: number;
  /** While it is being deleted: since when its node reports etcd not running (exited, or never restarted), ms. */
  etcdStoppedAt?: number;
  /** Why the pod does not serve, in Kubernetes' words ("CrashLoopBackOff", "Unschedulable: ..."). */
  trouble?: string;
  /** The hash of the pod template it was made from (TEMPLATE_HASH_ANNOTATION); absent on older pods. */
  templateHash?: string;
}

export interface ObservedPVC {
  name: string;
  ordinal: number;
  deleting: boolean;
}

export interface Observed {
  now: number;
  cluster: EtcdCluster;
  etcd: EtcdObservation;
  servicesPresent: boolean;
  statefulSet?: {
    replicas: number;
    /** The hash of its pod template as the controller rendered it (TEMPLATE_HASH_ANNOTATION). */
    templateHash?: string;
    /** Its template is not what spec renders now: the rollout updates it first. */
    templateOutdated?: boolean;
    /** The etcd version of its template (the image tag). */
    version?: string;
  };
  pdb?: { minAvailable: number };
  /** Entries of ConfigMap NAME-members by member name; undefined when the ConfigMap is absent. */
  memberEntries?: Record<string, MemberStartEntry>;
  /**
   * Some entry's text is not what the controller renders from it now (spec.etcdOptions changed, or the config
   * format did with a new operator version): the entries are written again before any pod restarts on them.
   */
  memberEntriesOutdated?: boolean;
  pods: ObservedPod[];
  pvcs: ObservedPVC[];
  /** The controller runs with --network-policies and NetworkPolicy NAME is missing or not what it renders now. */
  networkPolicyOutdated?: boolean;
  /** The cluster's certificates, read only when spec.tls.enabled (core/certificate-step.ts). */
  tls?: ObservedTls;
  /** The backups volume and the snapshot and restore Jobs, read when spec.backup or spec.bootstrap is set. */
  backup?: ObservedBackup;
}

export type Step =
  | { kind: 'ensure-services' }
  | { kind: 'write-member-entries'; entries: Record<string, MemberStartEntry>; message: string }
  | { kind: 'create-statefulset' }
  /** Member 0's PVC and the Job that restores the snapshot into it (spec.bootstrap.fromSnapshot). */
  | { kind: 'start-restore'; message: string }
  | { kind: 'scale-statefulset'; replicas: number; message: string }
  | { kind: 'ensure-pdb'; minAvailable: number }
  | { kind: 'issue-certificates'; which: CertificateKind[]; message: string }
  | { kind: 'request-certificates'; message: string }
  | { kind: 'ensure-network-policy' }
  | { kind: 'delete-pvc'; name: string; message: string }
  | { kind: 'set-serving'; pod: string; serving: boolean; message: string }
  | { kind: 'add-learner'; name: string; ordinal: number; peerURL: string }
  | { kind: 'promote'; member: ObservedMember; addedAt?: string }
  | { kind: 'move-leader'; from: ObservedMember; to: ObservedMember; why: string }
  | { kind: 'remove-member'; member: ObservedMember; reason: 'ScaleDown' | 'LearnerNeverStarted' | 'Replace'; message: string }
  | { kind: 'begin-repair'; repair: MemberRepair }
  | { kind: 'queue-repair'; repair: MemberRepair; message: string }
  | { kind: 'begin-recovery'; recovery: Recovery }
  | { kind: 'begin-upgrade'; upgrade: LastUpgrade }
  | { kind: 'update-statefulset'; message: string }
  | { kind: 'delete-pod'; pod: string; force: boolean; message: string }
  | { kind: 'wait'; reason: string; message: string; requeueMs: number }
  | { kind: 'blocked'; reason: string; message: string; unhealthy: string[] }
  | { kind: 'idle' };

/** Steps that change etcd's membership or the member objects: the resize is in progress while one is next. */
export function isProgressStep(step: Step): boolean {
  return !['idle', 'blocked', 'ensure-services', 'ensure-pdb', 'set-serving', 'issue-certificates', 'request-certificates', 'ensure-network-policy'].includes(step.kind);
}

/** The entries every member of the current list should have: join the cluster as it is now. */
export function desiredMemberEntries(o: Observed, members: ObservedMember[]): Record<string, MemberStartEntry> {
  const initialCluster = members.map((m) => `${m.name}=${m.peerURL}`).join(',');
  const entries: Record<string, MemberStartEntry> = {};
  const now = new Date(o.now).toISOString();
  for (const m of ours(members)) {
    const prev = o.memberEntries?.[m.name];
    const same = prev && prev.memberId === m.id;
    const entry: MemberStartEntry = { state: 'existing', initialCluster, memberId: m.id, addedAt: same ? prev.addedAt : now };
    // From its first start on, the member's data lives in its volume (the guard refuses an empty one).
    const joinedAt = same && prev.joinedAt ? prev.joinedAt : m.started ? now : undefined;
    if (joinedAt) entry.joinedAt = joinedAt;
    entries[m.name] = entry;
  }
  return entries;
}

function sameEntries(o: Observed, b: Record<string, MemberStartEntry>): boolean {
  const a = o.memberEntries;
  if (!a || o.memberEntriesOutdated) return false;
  const keys = Object.keys(b);
  if (Object.keys(a).length !== keys.length) return false;
  return keys.every((k) => {
    const x = a[k];
    const y = b[k];
    return !!x && x.state === y.state && x.initialCluster === y.initialCluster && x.memberId === y.memberId && x.addedAt === y.addedAt && x.joinedAt === y.joinedAt
      && x.forceNewClusterAt === y.forceNewClusterAt;
  });
}

/**
 * The one next step, from the first phase that has one: groundwork (Services, PDB), certificates (TLS), bootstrap (no StatefulSet
 * yet), then with etcd's member list unknown the rejoin of kept members, else member objects, the leader
 * requirement, client traffic, resume (a half-done change), shrink (or a replacement's removals), grow, repair and
 * the rollout of a new pod template (a version change).
 */
export function nextStep(o: Observed): Step {
  if (o.cluster.metadata.deletionTimestamp) return { kind: 'idle' };
  const early = groundwork(o) ?? certificateStep(o) ?? bootstrap(o);
  if (early) return early;
  const recovery = recoveryInProgress(o.cluster);
  if (!o.etcd.members) {
    // The recovering member restarts: no member answers for a moment.
    if (recovery) return continueRecovery(o, recovery, undefined) ?? membersUnknown(o);
    return membersUnknown(o);
  }
  const k = known(o, o.etcd.members);
  const repair = repairInProgress(o.cluster);
  return memberObjects(k)
    ?? (recovery ? continueRecovery(o, recovery, k.members) : beginRecovery(o, k.members))
    ?? requireLeader(k) ?? clientTraffic(k) ?? resume(k)
    ?? (repair ? continueRepair(k, repair) ?? removeAhead(k, repair) : takeUpQueued(k) ?? unlessBlocked(shrink(k), k))
    ?? dropRemovedData(k)
    ?? unlessBlocked(grow(k), k)
    ?? (repair ? undefined : beginRepair(k))
    ?? rollout(k)
    ?? reportUnhealthy(k)
    ?? { kind: 'idle' };
}

/** A resize step that is blocked (an unhealthy member in the way) gives way to a replacement that is due. */
function unlessBlocked(step: Step | undefined, k: Known): Step | undefined {
  if (!step || step.kind !== 'blocked' || repairInProgress(k.o.cluster)) return step;
  return beginRepair(k) ?? step;
}

/** Services (and the NetworkPolicy) first; the PDB follows the members etcd has and is left alone while the list is unknown. */
function groundwork(o: Observed): Step | undefined {
  if (!o.servicesPresent) return { kind: 'ensure-services' };
  if (o.networkPolicyOutdated) return { kind: 'ensure-network-policy' };
  const voting = o.etcd.members?.filter((m) => !m.isLearner);
  const wantedMin = voting ? quorum(Math.max(voting.length, 1)) : o.pdb ? undefined : 1;
  if (wantedMin !== undefined && o.pdb?.minAvailable !== wantedMin) return { kind: 'ensure-pdb', minAvailable: wantedMin };
  return undefined;
}

/** No StatefulSet yet: member 0's entry (a new cluster of itself), then the StatefulSet of one. */
function bootstrap(o: Observed): Step | undefined {
  if (o.statefulSet) return undefined;
  const name = o.cluster.metadata.name!;
  const bootstrapMember = memberName(name, 0);
  if (!o.etcd.members && !o.memberEntries?.[bootstrapMember]) {
    return {
      kind: 'write-member-entries',
      entries: {
        [bootstrapMember]: { state: 'new', initialCluster: `${bootstrapMember}=${peerURL(name, o.cluster.metadata.namespace!, 0, schemeOf(o.cluster))}`, addedAt: new Date(o.now).toISOString() },
      },
      message: `bootstrap member ${bootstrapMember} as a new cluster`,
    };
  }
  return restore(o) ?? { kind: 'create-statefulset' };
}

/** spec.bootstrap.fromSnapshot: member 0's volume is filled from the snapshot (verified) before its pod exists. */
function restore(o: Observed): Step | undefined {
  const from = o.cluster.spec.bootstrap?.fromSnapshot;
  if (!from || o.cluster.status?.restoredFrom) return undefined;
  const job = o.backup?.jobs.find((j) => j.kind === 'restore');
  if (!job) return { kind: 'start-restore', message: `restore member ${memberName(o.cluster.metadata.name!, 0)} from ${from.snapshot} of ${from.cluster}` };
  const failed = restoreFailure(o.backup);
  if (failed) return { kind: 'blocked', reason: failed.reason, message: `restore from ${from.snapshot} refused: ${failed.message}`, unhealthy: [] };
  // Succeeded: this pass's status records it (restoredFrom), and the next creates the StatefulSet on the volume.
  return { kind: 'wait', reason: job.state === 'Active' ? 'Restoring' : 'Restored', message: `restoring member ${memberName(o.cluster.metadata.name!, 0)} from ${from.snapshot} of ${from.cluster} (Job ${job.name})`, requeueMs: WAIT_REQUEUE_MS };
}

/**
 * etcd's member list unknown (no member answered): never "no members". A cluster that never formed here may
 * sit on PVCs kept from an earlier EtcdCluster of this name; otherwise wait for member 0, or report.
 */
function membersUnknown(o: Observed): Step {
  const name = o.cluster.metadata.name!;
  const namespace = o.cluster.metadata.namespace!;
  const formed = (o.cluster.status?.members?.length ?? 0) > 0;
  // A member alone serves nothing until its peers are back (no quorum), so start the pods of every kept PVC
  // and let the old members find each other.
  const kept = o.pvcs.filter((p) => p.ordinal >= o.statefulSet!.replicas && !p.deleting);
  if (!formed && kept.length) {
    // Every etcd pod starts from its entry (etcd --config-file), even with data; etcd then ignores the
    // initial-cluster settings and rejoins as itself, so the entries only have to exist and be valid.
    const resumed = o.pvcs.filter((p) => !p.deleting).map((p) => p.ordinal).sort((a, b) => a - b);
    const missing = resumed.filter((k) => !o.memberEntries?.[memberName(name, k)]);
    if (missing.length) {
      const initialCluster = resumed.map((k) => `${memberName(name, k)}=${peerURL(name, namespace, k, schemeOf(o.cluster))}`).join(',');
      const entries = { ...o.memberEntries };
      for (const k of missing) entries[memberName(name, k)] = { state: 'existing', initialCluster, addedAt: new Date(o.now).toISOString() };
      return { kind: 'write-member-entries', entries, message: `start entries for the members whose PVCs were kept (${missing.map((k) => memberName(name, k)).join(', ')})` };
    }
    return {
      kind: 'scale-statefulset',
      replicas: Math.max(...kept.map((p) => p.ordinal)) + 1,
      message: `resume the members whose PVCs were kept (${kept.map((p) => p.name).join(', ')})`,
    };
  }
  return formed
    ? { kind: 'blocked', reason: 'EtcdUnreachable', message: `etcd member list unknown: ${o.etcd.problem ?? 'no answer'}`, unhealthy: [] }
    : { kind: 'wait', reason: 'WaitingForBootstrap', message: `waiting for ${memberName(name, 0)} to start and serve`, requeueMs: WAIT_REQUEUE_MS };
}

/**
 * A pod must find its start entry before the StatefulSet creates it, and every member etcd has gets a pod
 * (also rejoins a cluster whose PVCs outlived a deleted EtcdCluster).
 */
function memberObjects(k: Known): Step | undefined {
  const { o, mine } = k;
  if (o.etcd.authoritative) {
    const entries = desiredMemberEntries(o, k.members);
    if (!sameEntries(o, entries)) {
      return { kind: 'write-member-entries', entries, message: `start entries for ${names(mine)}` };
    }
  }
  if (k.statefulSet.replicas < k.replicasForMembers) {
    const starting = mine.filter((m) => m.ordinal >= k.statefulSet.replicas);
    return { kind: 'scale-statefulset', replicas: k.replicasForMembers, message: `start the pod(s) of ${names(starting)}` };
  }
  return undefined;
}

/** Membership steps are taken only on the leader's own member list. */
function requireLeader(k: Known): Step | undefined {
  if (k.o.etcd.authoritative) return undefined;
  const down = k.voting.filter((m) => !m.healthy);
  return {
    kind: 'blocked',
    reason: 'QuorumLost',
    message: `no etcd leader: ${k.o.etcd.problem ?? 'quorum lost'}; repair member(s) ${names(down) || 'unknown'} (no membership change is made without a leader)`,
    unhealthy: down.map((m) => m.name),
  };
}

/**
 * Client traffic goes only to voting members that stay: a learner refuses client requests, and a member about
 * to leave (ordinal >= spec.size) is taken out of the client Service before leadership moves off it or it is
 * removed, so clients are not sent to it while it goes (LESSONS rule 5).
 */
function clientTraffic(k: Known): Step | undefined {
  for (const pod of [...k.o.pods].sort((a, b) => a.ordinal - b.ordinal)) {
    if (pod.deleting) continue;
    const m = k.mine.find((x) => x.ordinal === pod.ordinal);
    const replaced = !!m && beingReplaced(k.o.cluster, m.id);
    const want = !!m && !m.isLearner && pod.ordinal < k.size && !replaced;
    if (pod.serving !== want) {
      const why = !m ? 'is not an etcd member' : m.isLearner ? 'is a learner' : replaced ? 'is being replaced' : want ? 'is a voting member' : `is leaving (spec.size ${k.size})`;
      return { kind: 'set-serving', pod: pod.name, serving: want, message: `${pod.name} ${why}: ${want ? 'add it to' : 'take it out of'} client traffic` };
    }
  }
  return undefined;
}

/**
 * One membership change in flight at a time, and a half-done one first: a learner is finished (promoted) or
 * undone (removed); after a removal the StatefulSet is shrunk. The removed member's data goes once its pod
 * has (dropRemovedData), which the next removal of a shrink does not wait for: that member is out of etcd.
 */
function resume(k: Known): Step | undefined {
  return resumeLearner(k) ?? finishRemoval(k);
}

function resumeLearner(k: Known): Step | undefined {
  const { o } = k;
  const learner = k.mine.filter((m) => m.isLearner).sort((a, b) => b.ordinal - a.ordinal)[0];
  if (!learner) return undefined;
  if (learner.ordinal >= k.size) {
    return { kind: 'remove-member', member: learner, reason: 'ScaleDown', message: `learner ${learner.name} is beyond spec.size ${k.size}` };
  }
  const addedAt = o.memberEntries?.[learner.name]?.addedAt;
  if (learner.started) return { kind: 'promote', member: learner, addedAt };
  const pod = learnerPod(k, learner, addedAt);
  if (pod) return pod;
  const age = addedAt ? o.now - Date.parse(addedAt) : 0;
  if (age > LEARNER_START_TIMEOUT_MS) {
    return {
      kind: 'remove-member',
      member: learner,
      reason: 'LearnerNeverStarted',
      message: `learner ${learner.name} did not start within ${LEARNER_START_TIMEOUT_MS / 1000}s of being added; removing it to retry`,
    };
  }
  return { kind: 'wait', reason: 'WaitingForLearnerPod', message: `waiting for the pod of learner ${learner.name} to start etcd`, requeueMs: WAIT_REQUEUE_MS };
}

function finishRemoval(k: Known): Step | undefined {
  if (k.statefulSet.replicas <= k.replicasForMembers) return undefined;
  const leaving = k.o.pods.filter((p) => p.ordinal >= k.replicasForMembers).map((p) => p.name);
  return {
    kind: 'scale-statefulset',
    replicas: k.replicasForMembers,
    message: `stop the pod(s) of removed member(s) ${leaving.join(', ') || `>= ordinal ${k.replicasForMembers}`}`,
  };
}

/** The data of removed members (PVCs beyond the StatefulSet): deleted once their pods are gone, never reused. */
function dropRemovedData(k: Known): Step | undefined {
  const { o } = k;
  const memberOrdinals = new Set(k.mine.map((m) => m.ordinal));
  const stale = o.pvcs
    .filter((p) => p.ordinal >= k.statefulSet.replicas && !memberOrdinals.has(p.ordinal))
    .sort((a, b) => a.ordinal - b.ordinal);
  let waiting: Step | undefined;
  for (const pvc of stale) {
    const pod = o.pods.find((p) => p.ordinal === pvc.ordinal);
    if (pod) {
      const step = pod.deleting
        ? stuckDeletion(k, pod, 'the removed member\'s pod')
        : { kind: 'wait' as const, reason: 'WaitingForPodDeletion', message: `waiting for pod ${pod.name} to go before deleting ${pvc.name}`, requeueMs: WAIT_REQUEUE_MS };
      if (step.kind !== 'wait') return step;
      waiting ??= step;
      continue;
    }
    if (!pvc.deleting) return { kind: 'delete-pvc', name: pvc.name, message: `${pvc.name} holds the data of a member no longer in etcd` };
  }
  return waiting;
}

/**
 * More voting members than spec.size: the next to leave (core/membership.ts) goes, drained of clients and
 * relieved of leadership first, and only while the members that stay keep a healthy quorum.
 */
function shrink(k: Known): Step | undefined {
  if (k.voting.length <= k.size) return undefined;
  const victim = leavingOrder(k.mine.filter((m) => !m.isLearner), (m) => m.ordinal)[0];
  if (!victim) return { kind: 'blocked', reason: 'ForeignMembers', message: `etcd has members this controller did not create (${names(k.voting)})`, unhealthy: [] };
  const remaining = k.voting.filter((m) => m.id !== victim.id);
  const healthyRemaining = remaining.filter((m) => m.healthy);
  if (healthyRemaining.length < quorum(remaining.length)) {
    const down = remaining.filter((m) => !m.healthy);
    return {
      kind: 'blocked',
      reason: 'QuorumAtRisk',
      message: `removing ${victim.name} would leave ${healthyRemaining.length} healthy of ${remaining.length} members (quorum ${quorum(remaining.length)}); repair ${names(down)} first`,
      unhealthy: down.map((m) => m.name),
    };
  }
  const draining = drainWait(k.o, victim);
  if (draining) return draining;
  const leader = k.members.find((m) => m.id === k.o.etcd.leaderId);
  if (leader && leader.id === victim.id) {
    const to = [...healthyRemaining].sort((a, b) => (a.ordinal ?? 0) - (b.ordinal ?? 0))[0];
    return { kind: 'move-leader', from: victim, to, why: `before removing ${victim.name}` };
  }
  return { kind: 'remove-member', member: victim, reason: 'ScaleDown', message: `scale down ${k.voting.length} -> ${k.size}: remove ${victim.name}` };
}

/**
 * Fewer voting members than spec.size: a learner at the joining ordinal (core/membership.ts), only with every
 * voting member healthy, and only once that ordinal's old pod and PVC are gone.
 */
function grow(k: Known): Step | undefined {
  if (k.voting.length >= k.size) return undefined;
  const { o, name } = k;
  const unhealthy = k.voting.filter((m) => !m.healthy);
  if (unhealthy.length && !growthAllowedDuringRepair(k)) {
    return {
      kind: 'blocked',
      reason: 'MemberUnhealthy',
      message: `not adding a member while ${names(unhealthy)} ${unhealthy.length > 1 ? 'are' : 'is'} unhealthy; repair or remove it first`,
      unhealthy: unhealthy.map((m) => m.name),
    };
  }
  const ordinal = joiningOrdinal(k.mine.map((m) => m.ordinal));
  const pod = o.pods.find((p) => p.ordinal === ordinal);
  // A pod still at the ordinal (a replaced or hand-removed member's) stays until the learner is added: its
  // member guard keeps its etcd from starting there, and the learner's pod phase recycles it and its volume.
  if (pod?.deleting) return stuckDeletion(k, pod, 'the old pod');
  if (pod && ordinal >= k.statefulSet.replicas) {
    return { kind: 'wait', reason: 'WaitingForPodDeletion', message: `waiting for old pod ${pod.name} to go`, requeueMs: WAIT_REQUEUE_MS };
  }
  const pvc = o.pvcs.find((p) => p.ordinal === ordinal);
  if (pvc && !pod) {
    return pvc.deleting
      ? { kind: 'wait', reason: 'WaitingForPVCDeletion', message: `waiting for stale ${pvc.name} to be deleted`, requeueMs: WAIT_REQUEUE_MS }
      : { kind: 'delete-pvc', name: pvc.name, message: `${pvc.name} holds old data and ${memberName(name, ordinal)} is about to be added` };
  }
  return { kind: 'add-learner', name: memberName(name, ordinal), ordinal, peerURL: peerURL(name, k.namespace, ordinal, schemeOf(k.o.cluster)) };
}

