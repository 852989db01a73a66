// The controller's decision, pure: from what etcd and Kubernetes show right now to the one next step.
// Every half-done state a crash can leave maps to the step that finishes (or undoes) it, so a controller
// killed anywhere converges. Membership steps are taken only on the leader's own member list.
import type { EtcdCluster } from './api.js';
import { memberName, peerURL, pvcName } from './member-naming.js';
import { quorum } from './quorum.js';

/** A learner whose pod has not started etcd this long after it was added is removed again (LESSONS rule 4). */
export const LEARNER_START_TIMEOUT_MS = 180_000;
/** A started learner not in sync after this long is reported (it keeps being retried). */
export const PROMOTE_WARN_AFTER_MS = 60_000;
/** Requeue while etcd is expected to accept soon (catch-up, the ~5 s reconfigure guard). */
export const SHORT_REQUEUE_MS = 300;
export const WAIT_REQUEUE_MS = 1000;
/**
 * How long a leaving member keeps running after it left the client Service before leadership moves off it
 * and it is removed: consumers of Endpoints (kube-proxy, client-side resolvers) need a moment to stop
 * sending new requests to it.
 */
export const CLIENT_DRAIN_MS = 1500;
const DRAIN_POLL_MS = 100;

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
}

export interface EtcdObservation {
  /** etcd's member list; undefined = unknown (no member answered), never "no members". */
  members?: ObservedMember[];
  /** The list came from the leader: only then are membership steps taken. */
  authoritative: boolean;
  leaderId?: string;
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
}

export interface ObservedPVC {
  name: string;
  ordinal: number;
  deleting: boolean;
}

/** What a member's pod needs to start etcd the first time (ConfigMap NAME-members, one key per member). */
export interface MemberStartEntry {
  state: 'new' | 'existing';
  initialCluster: string;
  /** etcd member ID the entry was written for; absent for the bootstrap member. */
  memberId?: string;
  /** When the member was added: the clock of the learner start timeout, kept in Kubernetes, not in memory. */
  addedAt: string;
}

export interface Observed {
  now: number;
  cluster: EtcdCluster;
  etcd: EtcdObservation;
  servicesPresent: boolean;
  statefulSet?: { replicas: number };
  pdb?: { minAvailable: number };
  /** Entries of ConfigMap NAME-members by member name; undefined when the ConfigMap is absent. */
  memberEntries?: Record<string, MemberStartEntry>;
  pods: ObservedPod[];
  pvcs: ObservedPVC[];
}

export type Step =
  | { kind: 'ensure-services' }
  | { kind: 'write-member-entries'; entries: Record<string, MemberStartEntry>; message: string }
  | { kind: 'create-statefulset' }
  | { kind: 'scale-statefulset'; replicas: number; message: string }
  | { kind: 'ensure-pdb'; minAvailable: number }
  | { kind: 'delete-pvc'; name: string; message: string }
  | { kind: 'set-serving'; pod: string; serving: boolean; message: string }
  | { kind: 'add-learner'; name: string; ordinal: number; peerURL: string }
  | { kind: 'promote'; member: ObservedMember; addedAt?: string }
  | { kind: 'move-leader'; from: ObservedMember; to: ObservedMember }
  | { kind: 'remove-member'; member: ObservedMember; reason: 'ScaleDown' | 'LearnerNeverStarted'; message: string }
  | { kind: 'wait'; reason: string; message: string; requeueMs: number }
  | { kind: 'blocked'; reason: string; message: string; unhealthy: string[] }
  | { kind: 'idle' };

/** Steps that change etcd's membership or the member objects: the resize is in progress while one is next. */
export function isProgressStep(step: Step): boolean {
  return !['idle', 'blocked', 'ensure-services', 'ensure-pdb', 'set-serving'].includes(step.kind);
}

/**
 * A leaving member's pod is out of the client Service (label off) before it goes; wait until the Endpoints
 * no longer list it and CLIENT_DRAIN_MS have passed since the label came off, so clients stop sending to
 * it before it is removed. A pod already deleting, or none, has nothing to drain.
 */
function drainWait(o: Observed, victim: ObservedMember & { ordinal: number }): Step | undefined {
  const pod = o.pods.find((p) => p.ordinal === victim.ordinal);
  if (!pod || pod.deleting || pod.serving) return undefined;
  if (pod.inClientEndpoints) {
    return { kind: 'wait', reason: 'DrainingClientTraffic', message: `waiting for ${pod.name} to leave the client Service's endpoints before it is removed`, requeueMs: DRAIN_POLL_MS };
  }
  const left = pod.servingChangedAt === undefined ? 0 : CLIENT_DRAIN_MS - (o.now - pod.servingChangedAt);
  if (left > 0) {
    return { kind: 'wait', reason: 'DrainingClientTraffic', message: `${pod.name} left client traffic; removing it in ${(left / 1000).toFixed(1)} s`, requeueMs: Math.ceil(left) };
  }
  return undefined;
}

function ours(members: ObservedMember[]): (ObservedMember & { ordinal: number })[] {
  return members.filter((m): m is ObservedMember & { ordinal: number } => m.ordinal !== undefined);
}

/** The entries every member of the current list should have: join the cluster as it is now. */
export function desiredMemberEntries(o: Observed, members: ObservedMember[]): Record<string, MemberStartEntry> {
  const initialCluster = members.map((m) => `${m.name}=${m.peerURL}`).join(',');
  const entries: Record<string, MemberStartEntry> = {};
  for (const m of ours(members)) {
    const prev = o.memberEntries?.[m.name];
    const addedAt = prev && prev.memberId === m.id ? prev.addedAt : new Date(o.now).toISOString();
    entries[m.name] = { state: 'existing', initialCluster, memberId: m.id, addedAt };
  }
  return entries;
}

function sameEntries(a: Record<string, MemberStartEntry> | undefined, b: Record<string, MemberStartEntry>): boolean {
  if (!a) return false;
  const keys = Object.keys(b);
  if (Object.keys(a).length !== keys.length) return false;
  return keys.every((k) => {
    const x = a[k];
    const y = b[k];
    return !!x && x.state === y.state && x.initialCluster === y.initialCluster && x.memberId === y.memberId && x.addedAt === y.addedAt;
  });
}

const names = (ms: { name: string }[]) => ms.map((m) => m.name).join(', ');

export function nextStep(o: Observed): Step {
  const { cluster } = o;
  const name = cluster.metadata.name!;
  const namespace = cluster.metadata.namespace!;
  const size = cluster.spec.size;
  if (cluster.metadata.deletionTimestamp) return { kind: 'idle' };
  if (!o.servicesPresent) return { kind: 'ensure-services' };

  const members = o.etcd.members;
  const voting = members?.filter((m) => !m.isLearner);
  // PDB follows the members etcd has; left alone while the list is unknown.
  const wantedMin = voting ? quorum(Math.max(voting.length, 1)) : o.pdb ? undefined : 1;
  if (wantedMin !== undefined && o.pdb?.minAvailable !== wantedMin) return { kind: 'ensure-pdb', minAvailable: wantedMin };

  if (!o.statefulSet) {
    const bootstrap = memberName(name, 0);
    if (!members && !o.memberEntries?.[bootstrap]) {
      return {
        kind: 'write-member-entries',
        entries: {
          [bootstrap]: { state: 'new', initialCluster: `${bootstrap}=${peerURL(name, namespace, 0)}`, addedAt: new Date(o.now).toISOString() },
        },
        message: `bootstrap member ${bootstrap} as a new cluster`,
      };
    }
    return { kind: 'create-statefulset' };
  }

  if (!members) {
    const formed = (cluster.status?.members?.length ?? 0) > 0;
    // PVCs kept from an earlier EtcdCluster of this name: a member alone serves nothing until its peers are
    // back (no quorum), so start the pods of every kept PVC and let the old members find each other.
    const kept = o.pvcs.filter((p) => p.ordinal >= o.statefulSet!.replicas && !p.deleting);
    if (!formed && kept.length) {
      // Every etcd pod starts from its entry (etcd --config-file), even with data; etcd then ignores the
      // initial-cluster settings and rejoins as itself, so the entries only have to exist and be valid.
      const resumed = o.pvcs.filter((p) => !p.deleting).map((p) => p.ordinal).sort((a, b) => a - b);
      const missing = resumed.filter((k) => !o.memberEntries?.[memberName(name, k)]);
      if (missing.length) {
        const initialCluster = resumed.map((k) => `${memberName(name, k)}=${peerURL(name, namespace, k)}`).join(',');
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

  const mine = ours(members);
  const replicasForMembers = mine.length ? Math.max(...mine.map((m) => m.ordinal)) + 1 : 0;

  // A pod must find its start entry before the StatefulSet creates it.
  if (o.etcd.authoritative) {
    const entries = desiredMemberEntries(o, members);
    if (!sameEntries(o.memberEntries, entries)) {
      return { kind: 'write-member-entries', entries, message: `start entries for ${names(mine)}` };
    }
  }
  // Every member etcd has gets a pod (also rejoins a cluster whose PVCs outlived a deleted EtcdCluster).
  if (o.statefulSet.replicas < replicasForMembers) {
    const starting = mine.filter((m) => m.ordinal >= o.statefulSet!.replicas);
    return { kind: 'scale-statefulset', replicas: replicasForMembers, message: `start the pod(s) of ${names(starting)}` };
  }

  if (!o.etcd.authoritative) {
    const down = members.filter((m) => !m.isLearner && !m.healthy);
    return {
      kind: 'blocked',
      reason: 'QuorumLost',
      message: `no etcd leader: ${o.etcd.problem ?? 'quorum lost'}; repair member(s) ${names(down) || 'unknown'} (no membership change is made without a leader)`,
      unhealthy: down.map((m) => m.name),
    };
  }
  const leader = members.find((m) => m.id === o.etcd.leaderId);

  // Client traffic goes only to voting members that stay: a learner refuses client requests, and a member
  // about to leave (ordinal >= spec.size) is taken out of the client Service before leadership moves off it
  // or it is removed, so clients are not sent to it while it goes (LESSONS rule 5).
  for (const pod of [...o.pods].sort((a, b) => a.ordinal - b.ordinal)) {
    if (pod.deleting) continue;
    const m = mine.find((x) => x.ordinal === pod.ordinal);
    const want = !!m && !m.isLearner && pod.ordinal < size;
    if (pod.serving !== want) {
      const why = !m ? 'is not an etcd member' : m.isLearner ? 'is a learner' : want ? 'is a voting member' : `is leaving (spec.size ${size})`;
      return { kind: 'set-serving', pod: pod.name, serving: want, message: `${pod.name} ${why}: ${want ? 'add it to' : 'take it out of'} client traffic` };
    }
  }

  // One membership change in flight: a learner is finished (promoted) or undone (removed) first.
  const learner = mine.filter((m) => m.isLearner).sort((a, b) => b.ordinal - a.ordinal)[0];
  if (learner) {
    if (learner.ordinal >= size) {
      return { kind: 'remove-member', member: learner, reason: 'ScaleDown', message: `learner ${learner.name} is beyond spec.size ${size}` };
    }
    const addedAt = o.memberEntries?.[learner.name]?.addedAt;
    if (!learner.started) {
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
    return { kind: 'promote', member: learner, addedAt };
  }

  // A removal is finished before anything else: shrink the StatefulSet, then drop the removed member's data.
  if (o.statefulSet.replicas > replicasForMembers) {
    const leaving = o.pods.filter((p) => p.ordinal >= replicasForMembers).map((p) => p.name);
    return {
      kind: 'scale-statefulset',
      replicas: replicasForMembers,
      message: `stop the pod(s) of removed member(s) ${leaving.join(', ') || `>= ordinal ${replicasForMembers}`}`,
    };
  }
  const memberOrdinals = new Set(mine.map((m) => m.ordinal));
  const stale = o.pvcs
    .filter((p) => p.ordinal >= o.statefulSet!.replicas && !memberOrdinals.has(p.ordinal))
    .sort((a, b) => a.ordinal - b.ordinal);
  for (const pvc of stale) {
    if (o.pods.some((p) => p.ordinal === pvc.ordinal)) {
      return { kind: 'wait', reason: 'WaitingForPodDeletion', message: `waiting for pod ${memberName(name, pvc.ordinal)} to go before deleting ${pvc.name}`, requeueMs: WAIT_REQUEUE_MS };
    }
    if (!pvc.deleting) return { kind: 'delete-pvc', name: pvc.name, message: `${pvc.name} holds the data of a member no longer in etcd` };
  }

  const votingMine = mine.filter((m) => !m.isLearner).sort((a, b) => a.ordinal - b.ordinal);
  const votingAll = voting!;
  if (votingAll.length > size) {
    const victim = votingMine[votingMine.length - 1];
    if (!victim) return { kind: 'blocked', reason: 'ForeignMembers', message: `etcd has members this controller did not create (${names(votingAll)})`, unhealthy: [] };
    const remaining = votingAll.filter((m) => m.id !== victim.id);
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
    const draining = drainWait(o, victim);
    if (draining) return draining;
    if (leader && leader.id === victim.id) {
      const to = healthyRemaining.sort((a, b) => (a.ordinal ?? 0) - (b.ordinal ?? 0))[0];
      return { kind: 'move-leader', from: victim, to };
    }
    return { kind: 'remove-member', member: victim, reason: 'ScaleDown', message: `scale down ${votingAll.length} -> ${size}: remove ${victim.name}` };
  }

  const unhealthy = votingAll.filter((m) => !m.healthy);
  if (votingAll.length < size) {
    if (unhealthy.length) {
      return {
        kind: 'blocked',
        reason: 'MemberUnhealthy',
        message: `not adding a member while ${names(unhealthy)} ${unhealthy.length > 1 ? 'are' : 'is'} unhealthy; repair or remove it first`,
        unhealthy: unhealthy.map((m) => m.name),
      };
    }
    let k = 0;
    while (memberOrdinals.has(k)) k++;
    const pod = o.pods.find((p) => p.ordinal === k);
    if (pod) {
      // Only a gap below the StatefulSet's size leaves a pod at a non-member ordinal that the StatefulSet keeps.
      return k < o.statefulSet.replicas
        ? { kind: 'blocked', reason: 'OrphanPod', message: `pod ${pod.name} runs but is not an etcd member; delete it and ${pvcName(name, k)} to let ${pod.name} be added`, unhealthy: [] }
        : { kind: 'wait', reason: 'WaitingForPodDeletion', message: `waiting for old pod ${pod.name} to go`, requeueMs: WAIT_REQUEUE_MS };
    }
    const pvc = o.pvcs.find((p) => p.ordinal === k);
    if (pvc) {
      return pvc.deleting
        ? { kind: 'wait', reason: 'WaitingForPVCDeletion', message: `waiting for stale ${pvc.name} to be deleted`, requeueMs: WAIT_REQUEUE_MS }
        : { kind: 'delete-pvc', name: pvc.name, message: `${pvc.name} holds old data and ${memberName(name, k)} is about to be added` };
    }
    return { kind: 'add-learner', name: memberName(name, k), ordinal: k, peerURL: peerURL(name, namespace, k) };
  }
  if (unhealthy.length) {
    return { kind: 'blocked', reason: 'MemberUnhealthy', message: `member(s) ${names(unhealthy)} unhealthy; repair them`, unhealthy: unhealthy.map((m) => m.name) };
  }
  return { kind: 'idle' };
}
