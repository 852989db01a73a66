// Recovery from lost quorum (`kubectl etcd recover`, SPEC.md "Self-healing"), pure. Never automatic: a person
// chose the surviving member (annotation recover: "MEMBER/ID") after seeing what each other member would lose.
// The controller then restarts that member once with `force-new-cluster` (its entry carries the flag; etcd
// rewrites the membership to that member alone, keeping its data), and once it leads a cluster of itself the
// flag is gone from its entry and the cluster grows back to spec.size the usual way (new learners on new
// volumes: the other members' old data is never reused). Every step is recorded in status.lastRecovery, so a
// restarted controller neither repeats nor loses it.
import { Annotations, type EtcdCluster, type Recovery, type RecoveryFigures } from './api.js';
import { parseReplaceRequest } from './repair.js';
import { quorum } from './quorum.js';
import type { Observed, ObservedMember, Step } from './reconcile-step.js';

const RECOVERY_WAIT_MS = 1000;

export function requestedRecovery(c: EtcdCluster): { member: string; id: string } | undefined {
  return parseReplaceRequest(c.metadata.annotations?.[Annotations.recover]);
}

export function recoveryInProgress(c: EtcdCluster): Recovery | undefined {
  const r = c.status?.lastRecovery;
  return r && !r.completedAt ? r : undefined;
}

/** No member leads and the voting members that answer healthy are fewer than quorum: etcd cannot decide anything. */
export function quorumLost(members: ObservedMember[], authoritative: boolean): boolean {
  const voting = members.filter((m) => !m.isLearner);
  return !authoritative && voting.filter((m) => m.healthy).length < quorum(voting.length);
}

const figuresOf = (m: { name: string; id: string; figures?: { raftTerm: number; raftIndex: number; revision: number } }): RecoveryFigures => ({
  member: m.name, id: m.id, ...(m.figures ? { raftTerm: m.figures.raftTerm, raftIndex: m.figures.raftIndex, revision: m.figures.revision } : {}),
});

/** A recovery asked for, with quorum lost and the chosen member answering: record it (what each other member loses). */
export function beginRecovery(o: Observed, members: ObservedMember[]): Step | undefined {
  const asked = requestedRecovery(o.cluster);
  if (!asked || !quorumLost(members, o.etcd.authoritative)) return undefined;
  const done = o.cluster.status?.lastRecovery;
  if (done && done.member === asked.member && done.id === asked.id) return undefined; // this request was carried out
  const chosen = members.find((m) => m.name === asked.member && m.id === asked.id);
  if (!chosen?.answered) {
    return { kind: 'blocked', reason: 'RecoveryImpossible', message: `recovery from ${asked.member} (${asked.id}) asked for, but it ${chosen ? 'does not answer' : 'is not a member'}; choose a member that answers (kubectl etcd recover ${o.cluster.metadata.name})`, unhealthy: [] };
  }
  return {
    kind: 'begin-recovery',
    recovery: {
      ...figuresOf(chosen),
      lost: members.filter((m) => m.id !== chosen.id).map(figuresOf),
      startedAt: new Date(o.now).toISOString(),
    },
  };
}

/**
 * Until the chosen member runs as a cluster of itself: its entry flagged, then its pod restarted onto it.
 * Afterwards nothing here: its next entry drops the flag and the cluster grows back as in a resize.
 */
export function continueRecovery(o: Observed, r: Recovery, members: ObservedMember[] | undefined): Step | undefined {
  const alone = members?.length === 1 && members[0].id === r.id && o.etcd.authoritative;
  if (alone || r.forcedAt) return undefined;
  const entry = o.memberEntries?.[r.member];
  if (!entry?.forceNewClusterAt) {
    const forced = { ...(entry ?? { state: 'existing' as const, initialCluster: '', addedAt: new Date(o.now).toISOString() }), memberId: r.id, forceNewClusterAt: new Date(o.now).toISOString() };
    return { kind: 'write-member-entries', entries: { ...o.memberEntries, [r.member]: forced }, message: `recovery: ${r.member} (${r.id}) starts next as a one-member cluster (force-new-cluster)` };
  }
  const pod = o.pods.find((p) => p.name === r.member);
  const flaggedAt = Date.parse(entry.forceNewClusterAt);
  if (pod && !pod.deleting && (pod.etcdStartedAt === undefined || pod.etcdStartedAt < flaggedAt) && (pod.createdAt ?? 0) < flaggedAt) {
    return { kind: 'delete-pod', pod: pod.name, force: false, message: `recovery: restarting ${pod.name} so etcd starts from its entry with force-new-cluster` };
  }
  return { kind: 'wait', reason: 'Recovering', message: `recovery: waiting for ${r.member} to start as a one-member cluster`, requeueMs: RECOVERY_WAIT_MS };
}
