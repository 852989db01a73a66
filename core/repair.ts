// Self-healing (SPEC.md, "Self-healing"), pure: which member to replace, when, and the steps of a replacement
// (remove the member, add it again at its ordinal as a new learner, promote) that core/reconcile-step.ts does
// not already take for a resize. A member is replaced only while the members that stay keep a healthy quorum,
// one at a time, and never runs again under its old ID: its pod's member guard refuses to start etcd on a
// volume that lost its data or holds another member's, and a learner's pod is recycled until it starts on
// its own (empty) volume.
import { Annotations, DEFAULT_UNHEALTHY_AFTER, GROUP, type EtcdCluster, type MemberRepair, type RepairReason } from './api.js';
import { duration, parseDuration } from './duration.js';
import { quorum } from './quorum.js';
import type { ObservedMember, ObservedPod, Step } from './reconcile-step.js';
import { drainWait, names, type Known, type Ours } from './step-facts.js';

/** A pod that cannot be scheduled this long is pinned by its volume to a node it cannot run on (or none fits). */
export const UNSCHEDULABLE_GRACE_MS = 15_000;
/** A deletion this long past its grace period will not finish: the pod's node does not answer. */
export const STUCK_DELETION_MS = 15_000;
/**
 * A pod whose node reports its etcd stopped this long, still being deleted: the kubelet (1.20) lost a race with
 * its own cleanup of the exited container ("Failed killing the pod ... NotFound") and retries only at its next
 * full pod sync, up to a minute later. Its normal cleanup (volumes, sandbox) takes a few seconds.
 */
export const STOPPED_POD_GRACE_MS = 10_000;
/** Between the controller's clock (an entry's addedAt) and the API server's (creationTimestamp). */
const CLOCK_MARGIN_MS = 2000;
const REPAIR_WAIT_MS = 1000;

export interface RepairSettings {
  auto: boolean;
  unhealthyAfterMs: number;
}

export function repairSettings(c: EtcdCluster): RepairSettings {
  const ms = parseDuration(c.spec.repair?.unhealthyAfter ?? DEFAULT_UNHEALTHY_AFTER) ?? parseDuration(DEFAULT_UNHEALTHY_AFTER)!;
  return { auto: (c.spec.repair?.policy ?? 'Auto') === 'Auto', unhealthyAfterMs: ms };
}

/** The replacement under way: status.lastRepair until it is completed. */
export function repairInProgress(c: EtcdCluster): MemberRepair | undefined {
  const r = c.status?.lastRepair;
  return r && !r.completedAt ? r : undefined;
}

/** Members removed ahead of their replacement, in the order they are replaced after status.lastRepair. */
export function pendingRepairs(c: EtcdCluster): MemberRepair[] {
  return c.status?.pendingRepairs ?? [];
}

/** The member with this etcd ID is being replaced (or removed ahead of its replacement): no client traffic to it. */
export function beingReplaced(c: EtcdCluster, id: string): boolean {
  return repairInProgress(c)?.oldId === id || pendingRepairs(c).some((p) => p.oldId === id);
}

/** "MEMBER/ID" (the replace annotation's value), or undefined when it is not one. */
export function parseReplaceRequest(value: string | undefined): { member: string; id: string } | undefined {
  const m = /^([^/\s]+)\/([0-9a-f]{16})$/.exec(value ?? '');
  return m ? { member: m[1], id: m[2] } : undefined;
}

/** `kubectl etcd replace` asks with the annotation "MEMBER/ID": done once, for that member ID only. */
export function requestedReplacement(c: EtcdCluster): { member: string; id: string } | undefined {
  return parseReplaceRequest(c.metadata.annotations?.[Annotations.replace]);
}

/** The webhook records who asked for a replacement or a recovery as an Event (as ResizeRequested for resizes). */
export const REPLACE_REQUESTED_REASON = 'ReplaceRequested';
export const RECOVERY_REQUESTED_REASON = 'RecoveryRequested';
const REQUESTED_BY = `${GROUP}/requested-by`;
const REQUESTED_AT = `${GROUP}/requested-at`;

/** The annotations of such an Event: the request as the object's annotation holds it, who, when. */
export function requestAnnotations(key: string, value: string, requestedBy: string, requestedAt: string): Record<string, string> {
  return { [key]: value, [REQUESTED_BY]: requestedBy, [REQUESTED_AT]: requestedAt };
}

/** Who asked for `value` of annotation `key`: the newest request Event naming it. */
export function requesterOf(events: { metadata?: { annotations?: Record<string, string> } }[], key: string, value: string): string | undefined {
  let best: { by: string; at: number } | undefined;
  for (const e of events) {
    const a = e.metadata?.annotations;
    if (a?.[key] !== value || !a[REQUESTED_BY]) continue;
    const at = Date.parse(a[REQUESTED_AT] ?? '') || 0;
    if (!best || at >= best.at) best = { by: a[REQUESTED_BY], at };
  }
  return best?.by;
}

interface Candidate {
  member: Ours;
  reason: RepairReason;
  message: string;
  /** When it may be replaced (unhealthyAfter reached); undefined = now. */
  dueAt?: number;
}

const podOf = (k: Known, m: Ours): ObservedPod | undefined => k.o.pods.find((p) => p.ordinal === m.ordinal);

/** Since when a member has been unhealthy without a break, as status last recorded it (same member ID). */
function unhealthySince(k: Known, m: ObservedMember): number {
  const seen = k.o.cluster.status?.members?.find((x) => x.id === m.id)?.unhealthySince;
  const t = Date.parse(seen ?? '');
  return Number.isNaN(t) ? k.o.now : t;
}

/** What is wrong with a member that does not answer, in the words of its pod. */
function trouble(k: Known, m: Ours): string {
  return podOf(k, m)?.trouble ?? (podOf(k, m) ? 'not answering' : 'no pod');
}

/** A shrink has been asked for and is not done: members it keeps must end healthy. */
function shrinking(k: Known): boolean {
  const r = k.o.cluster.status?.lastResize;
  return k.voting.length > k.size || (!!r && !r.completedAt && r.to < r.from);
}

/** Members that should be replaced, most urgent first: asked for, data gone, kept by a shrink, unhealthy too long. */
export function repairCandidates(k: Known): Candidate[] {
  const settings = repairSettings(k.o.cluster);
  const asked = requestedReplacement(k.o.cluster);
  const out: Candidate[] = [];
  for (const m of k.mine.filter((x) => !x.isLearner).sort((a, b) => a.ordinal - b.ordinal)) {
    if (asked && asked.member === m.name && asked.id === m.id) {
      out.push({ member: m, reason: 'Requested', message: 'replacement requested (kubectl etcd replace)' });
      continue;
    }
    if (m.answered) continue;
    const refusal = podOf(k, m)?.guardRefusal;
    if (refusal && refusal.reason !== 'NoStartEntry') {
      out.push({ member: m, reason: refusal.reason, message: refusal.message });
      continue;
    }
    if (m.ordinal >= k.size) continue; // a shrink removes it anyway
    const since = unhealthySince(k, m);
    if (shrinking(k)) {
      out.push({ member: m, reason: 'KeptByShrink', message: `unhealthy (${trouble(k, m)}) and kept by the shrink to ${k.size}` });
      continue;
    }
    out.push({
      member: m,
      reason: 'Unhealthy',
      message: `unhealthy for ${duration(k.o.now - since)} (${trouble(k, m)})`,
      dueAt: since + settings.unhealthyAfterMs,
    });
  }
  const rank: Record<RepairReason, number> = { Requested: 0, DataLost: 1, ForeignData: 1, KeptByShrink: 2, Unhealthy: 3 };
  return out.sort((a, b) => rank[a.reason] - rank[b.reason] || (a.dueAt ?? 0) - (b.dueAt ?? 0));
}

/** Removing `m` leaves the members that stay with a healthy quorum. */
function quorumAfterRemoving(k: Known, m: ObservedMember): { ok: boolean; healthy: number; remaining: number } {
  const remaining = k.voting.filter((x) => x.id !== m.id);
  const healthy = remaining.filter((x) => x.healthy).length;
  return { ok: remaining.length > 0 && healthy >= quorum(remaining.length), healthy, remaining: remaining.length };
}

function quorumBlock(k: Known, m: ObservedMember, why: string): Step {
  const q = quorumAfterRemoving(k, m);
  const down = k.voting.filter((x) => x.id !== m.id && !x.healthy);
  return {
    kind: 'blocked',
    reason: 'QuorumAtRisk',
    message: `${why}: removing ${m.name} would leave ${q.healthy} healthy of ${q.remaining} members (quorum ${quorum(q.remaining)}); repair ${names(down) || 'the others'} first`,
    unhealthy: [m.name, ...down.map((x) => x.name)],
  };
}

/** The replacement under way, while its old member is still in etcd: drained, relieved of leadership, removed. */
export function continueRepair(k: Known, r: MemberRepair): Step | undefined {
  const old = k.mine.find((m) => m.id === r.oldId);
  if (!old) return undefined; // removed: the grow and learner phases add and start the new member
  if (!quorumAfterRemoving(k, old).ok) return quorumBlock(k, old, `replacing ${r.member} (${r.reason})`);
  const draining = drainWait(k.o, old);
  if (draining) return draining;
  if (k.o.etcd.leaderId === old.id) {
    const to = k.mine.filter((m) => m.id !== old.id && !m.isLearner && m.healthy).sort((a, b) => a.ordinal - b.ordinal)[0];
    if (to) return { kind: 'move-leader', from: old, to, why: `before removing ${old.name} (replacement)` };
  }
  return { kind: 'remove-member', member: old, reason: 'Replace', message: `replacing ${r.member}: ${r.message}` };
}

/** A candidate that is due now and allowed by repair.policy (or asked for). */
function due(k: Known, c: Candidate): boolean {
  return (c.reason === 'Requested' || repairSettings(k.o.cluster).auto) && (c.dueAt === undefined || c.dueAt <= k.o.now);
}

const recordOf = (k: Known, c: Candidate): MemberRepair =>
  ({ member: c.member.name, oldId: c.member.id, reason: c.reason, message: c.message, startedAt: new Date(k.o.now).toISOString() });

/** A member removed ahead of its replacement is replaced next, before any other change (its record is kept). */
export function takeUpQueued(k: Known): Step | undefined {
  const [queued] = pendingRepairs(k.o.cluster);
  return queued && { kind: 'begin-repair', repair: queued };
}

/** The next replacement, when one is due, allowed by repair.policy (or asked for) and safe. */
export function beginRepair(k: Known): Step | undefined {
  for (const c of repairCandidates(k)) {
    if (!due(k, c)) continue;
    if (!quorumAfterRemoving(k, c.member).ok) return quorumBlock(k, c.member, `cannot replace ${c.member.name} (${c.reason}) now`);
    return { kind: 'begin-repair', repair: recordOf(k, c) };
  }
  return undefined;
}

/**
 * While a replacement has removed its member and not yet added the new one, another member due for replacement
 * that does not answer is removed first, its replacement queued (status.pendingRepairs): etcd 3.5 starting a new
 * member asks every listed member for its version and waits without a deadline on one that takes the connection
 * and never answers (a hung process, a stalled disk), so no new member starts while such a member is listed.
 * Removing a sick member never lowers what the cluster tolerates (one voting member fewer, as many healthy); it is
 * done only while the members that stay keep a healthy quorum.
 */
export function removeAhead(k: Known, r: MemberRepair): Step | undefined {
  if (k.members.some((m) => m.name === r.member && m.id !== r.oldId)) return undefined; // its new member is in
  const pending = pendingRepairs(k.o.cluster);
  for (const p of pending) {
    const old = k.mine.find((m) => m.id === p.oldId);
    if (old && quorumAfterRemoving(k, old).ok) return continueRepair(k, p);
  }
  const taken = new Set([r.oldId, ...pending.map((p) => p.oldId)]);
  const next = repairCandidates(k).find((c) => !taken.has(c.member.id) && !c.member.answered && due(k, c) && quorumAfterRemoving(k, c.member).ok);
  if (!next) return undefined;
  return {
    kind: 'queue-repair',
    repair: recordOf(k, next),
    message: `${next.member.name} (${next.reason}: ${next.message}) is removed before ${r.member}'s new member is added, which cannot start while a member that does not answer is listed; it is replaced next`,
  };
}

/** Unhealthy members not replaced (yet): what is wrong and what will happen, or what to do. */
export function reportUnhealthy(k: Known): Step | undefined {
  const unhealthy = k.voting.filter((m) => !m.healthy);
  if (!unhealthy.length) return undefined;
  const settings = repairSettings(k.o.cluster);
  const byName = new Map(repairCandidates(k).map((c) => [c.member.name, c]));
  const parts = unhealthy.map((m) => {
    const c = byName.get(m.name);
    if (!c) return `${m.name} ${m.answered ? 'answers but is not healthy (no leader view or an alarm)' : 'is unhealthy'}`;
    const what = `${m.name}: ${c.message}`;
    if (!settings.auto) return `${what}; repair.policy is Manual: replace it with \`kubectl etcd replace ${k.name} ${m.name}\``;
    if (c.dueAt !== undefined && c.dueAt > k.o.now) return `${what}; replaced in ${duration(c.dueAt - k.o.now)} if still unhealthy (repair.unhealthyAfter ${k.o.cluster.spec.repair?.unhealthyAfter ?? '3m'})`;
    return what;
  });
  return { kind: 'blocked', reason: 'MemberUnhealthy', message: parts.join('; '), unhealthy: unhealthy.map((m) => m.name) };
}

/**
 * A learner whose etcd has not started at its ordinal: its pod must run the new member on its own volume.
 * The member guard says what the pod found; a pod that read an older entry, runs an older process, cannot be
 * scheduled where its volume is, or hangs in deletion on a node that does not answer, is replaced (with its
 * volume when that holds another member's data or is pinned away). The learner has no data yet: nothing of
 * it can be lost.
 */
export function learnerPod(k: Known, learner: Ours, addedAt: string | undefined): Step | undefined {
  const pod = podOf(k, learner);
  if (!pod) return undefined;
  const pvc = k.o.pvcs.find((p) => p.ordinal === learner.ordinal && !p.deleting);
  if (pod.deleting) return stuckDeletion(k, pod, `learner ${learner.name}'s old pod`);
  const added = Date.parse(addedAt ?? '');
  const recycle = (why: string, withVolume: boolean): Step =>
    withVolume && pvc
      ? { kind: 'delete-pvc', name: pvc.name, message: `${pvc.name} ${why}; ${learner.name} starts on a new volume` }
      : { kind: 'delete-pod', pod: pod.name, force: false, message: `${pod.name} ${why}; restarting it for learner ${learner.name} (${learner.id})` };
  if (pod.guardRefusal?.reason === 'ForeignData') return recycle(`holds another member's data (${pod.guardRefusal.message})`, true);
  if (pod.guardRefusal) return recycle(`read an older start entry (${pod.guardRefusal.reason})`, false);
  if (pod.unschedulableSince !== undefined && k.o.now - pod.unschedulableSince > UNSCHEDULABLE_GRACE_MS) {
    return recycle(`cannot be scheduled (${pod.trouble ?? 'Unschedulable'})`, true);
  }
  // A pod from before the learner was added is the old member's (running, crash-looping on a container
  // restart that never reruns the guard): it and its volume go. The margin absorbs clock skew.
  if (pod.createdAt !== undefined && !Number.isNaN(added) && pod.createdAt < added - CLOCK_MARGIN_MS) {
    return recycle('was created before the learner was added (it is the replaced member\'s, its volume that member\'s data)', true);
  }
  return undefined;
}

/**
 * A pod being deleted whose node has reported etcd stopped for STOPPED_POD_GRACE_MS: forced (its process is gone,
 * so nothing can run twice on its volume); undefined otherwise.
 */
export function stoppedPodDeletion(k: Known, pod: ObservedPod, what: string): Step | undefined {
  if (pod.etcdStoppedAt === undefined || k.o.now - pod.etcdStoppedAt <= STOPPED_POD_GRACE_MS) return undefined;
  return { kind: 'delete-pod', pod: pod.name, force: true, message: `${what} ${pod.name}: its node reported etcd stopped ${duration(k.o.now - pod.etcdStoppedAt)} ago and has not finished deleting it; deleting it for good` };
}

/**
 * A pod of a member no longer in etcd that does not go: forced once its etcd is reported stopped
 * (stoppedPodDeletion), or once its node has had time to answer and did not.
 */
export function stuckDeletion(k: Known, pod: ObservedPod, what: string): Step {
  const stopped = stoppedPodDeletion(k, pod, what);
  if (stopped) return stopped;
  if (pod.deletionDeadline !== undefined && k.o.now - pod.deletionDeadline > STUCK_DELETION_MS) {
    return { kind: 'delete-pod', pod: pod.name, force: true, message: `${what} ${pod.name} has been terminating ${duration(k.o.now - pod.deletionDeadline)} past its grace period (its node does not answer); deleting it for good` };
  }
  return { kind: 'wait', reason: 'WaitingForPodDeletion', message: `waiting for ${what} ${pod.name} to go`, requeueMs: REPAIR_WAIT_MS };
}

/** During a replacement, growing back may add the new member while another is unhealthy, if quorum holds once it votes. */
export function growthAllowedDuringRepair(k: Known): boolean {
  if (!repairInProgress(k.o.cluster)) return false;
  const healthy = k.voting.filter((m) => m.healthy).length;
  return healthy + 1 >= quorum(k.voting.length + 1);
}
