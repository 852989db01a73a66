// Rolling a new pod template out to running members (SPEC.md, "Versions"), pure. The StatefulSet uses OnDelete:
// nothing restarts a member but this. A change of spec.version begins with its record (status.lastUpgrade);
// then the StatefulSet gets the new template; then one member at a time, followers first (highest ordinal
// down) and the leader last with leadership moved off it, each pod is deleted and comes back from the new
// template on its own volume, and the next waits until that member is healthy and caught up. Nothing rolls
// while a member is unhealthy or a membership change runs; the rollout is done when every member runs the new
// version and etcd's cluster version has reached its minor. Every step is read back from the pods' template
// hashes, so a controller killed anywhere carries on.
import { DEFAULT_ETCD_VERSION, type EtcdCluster, type LastUpgrade } from './api.js';
import { duration } from './duration.js';
import { minorOf } from './etcd-version.js';
import type { Observed, ObservedMember, ObservedPod, Step } from './reconcile-step.js';
import { stoppedPodDeletion } from './repair.js';
import { names, type Known, type Ours } from './step-facts.js';

/** A restarted member within this many raft entries of the leader has caught up. */
export const CATCH_UP_ENTRIES = 100;
/** A restarted pod whose etcd has not come back this long after it was created is reported as stuck. */
export const RESTART_STUCK_MS = 120_000;
const ROLLOUT_WAIT_MS = 1000;

/** Condition reasons of a rollout, shared with the plugin: Progressing while it rolls, Degraded when it is held. */
export const RolloutReasons = {
  upgrading: 'Upgrading',
  rollingRestart: 'RollingRestart',
  paused: 'RolloutPaused',
  stuck: 'RolloutStuck',
  restarting: 'MemberRestarting',
} as const;

/** Waiting reasons of pod states that only a new pod from the current template can cure (the image is wrong). */
const IMAGE_TROUBLE = /ErrImagePull|ImagePullBackOff|InvalidImageName|ErrImageNeverPull/;

export const wantedVersion = (c: EtcdCluster) => c.spec.version ?? DEFAULT_ETCD_VERSION;

/** The upgrade under way: status.lastUpgrade until it is completed. */
export function upgradeInProgress(c: EtcdCluster): LastUpgrade | undefined {
  const u = c.status?.lastUpgrade;
  return u && !u.completedAt ? u : undefined;
}

/** A pod made from an older template than the StatefulSet's current one (or from none we know). */
export function outdated(o: Observed, pod: ObservedPod): boolean {
  return pod.templateHash !== o.statefulSet?.templateHash;
}

const podOf = (k: Known, m: Ours) => k.o.pods.find((p) => p.ordinal === m.ordinal);

/**
 * The rollout's next step, when the template changed or a version change is open; undefined when nothing
 * is to roll. Called once no resize, replacement or recovery has a step to take.
 */
export function rollout(k: Known): Step | undefined {
  const { o } = k;
  const sts = o.statefulSet!;
  const want = wantedVersion(o.cluster);
  const open = upgradeInProgress(o.cluster);
  // A new version begins its record; so does going back to the template's version before it changed (the
  // open record's target is then what is left behind).
  const from = sts.version !== want ? sts.version : open && open.to !== want ? open.to : undefined;
  if (from !== undefined && open?.to !== want) {
    return { kind: 'begin-upgrade', upgrade: { from, to: want, startedAt: new Date(o.now).toISOString() } };
  }
  if (sts.templateOutdated) {
    return { kind: 'update-statefulset', message: open ? `etcd ${open.to} in the pod template (upgrade from ${open.from})` : 'the pod template changed' };
  }
  const stale = k.mine.filter((m) => { const p = podOf(k, m); return !p || outdated(o, p); });
  if (!stale.length) return open ? clusterVersionWait(k, open) : undefined;
  return rollNext(k, stale, open);
}

/** Done restarting: etcd's cluster version moves to the new minor once every member runs it (checked by the leader). */
function clusterVersionWait(k: Known, open: LastUpgrade): Step | undefined {
  const cv = k.o.etcd.clusterVersion;
  if (minorOf(cv) === minorOf(open.to)) return undefined;
  return { kind: 'wait', reason: 'WaitingForClusterVersion', message: `every member runs ${open.to}; waiting for etcd's cluster version (${cv ?? 'unknown'}) to reach ${minorOf(open.to)}`, requeueMs: ROLLOUT_WAIT_MS };
}

function what(open: LastUpgrade | undefined): string {
  return open ? `upgrade ${open.from} -> ${open.to}` : 'rolling restart (pod template changed)';
}

function rollNext(k: Known, stale: Ours[], open: LastUpgrade | undefined): Step {
  const { o } = k;
  const voting = k.mine.filter((m) => !m.isLearner);
  const done = voting.length - stale.length;
  const progress = `${done} of ${voting.length} members restarted`;
  const restarting = o.pods.filter((p) => p.deleting);
  if (restarting.length) {
    // A pod whose etcd has stopped but that the kubelet does not finish deleting is deleted for good. Not one on a
    // node that does not answer: its member is still in etcd and may still run there.
    const forced = restarting.map((p) => stoppedPodDeletion(k, p, 'the restarted member\'s pod')).find((s) => s !== undefined);
    if (forced) return forced;
    return { kind: 'wait', reason: 'WaitingForPodRestart', message: `${what(open)}: waiting for pod ${restarting.map((p) => p.name).join(', ')} to stop (${progress})`, requeueMs: ROLLOUT_WAIT_MS };
  }
  // Only at spec.size with every member a voting one: a resize or a replacement goes first.
  if (k.mine.some((m) => m.isLearner) || k.voting.length !== k.size) {
    return { kind: 'wait', reason: 'WaitingForMembership', message: `${what(open)}: waiting for the membership change to finish (${progress})`, requeueMs: ROLLOUT_WAIT_MS };
  }
  const missing = voting.filter((m) => !podOf(k, m));
  if (missing.length) {
    return { kind: 'wait', reason: 'WaitingForPodRestart', message: `${what(open)}: waiting for the pod of ${names(missing)} to be created (${progress})`, requeueMs: ROLLOUT_WAIT_MS };
  }
  const back = comingBack(k, voting.filter((m) => !stale.includes(m)), open, progress);
  if (back) return back;
  const sick = voting.filter((m) => !m.healthy);
  if (sick.length) {
    // An outdated pod that cannot even pull its image is cured only by a pod of the current template.
    const cure = sick.map((m) => ({ m, pod: podOf(k, m) })).find((x) => stale.includes(x.m) && x.pod && IMAGE_TROUBLE.test(x.pod.trouble ?? ''));
    if (cure) return restart(cure.m, cure.pod!, open, progress, `its pod cannot start (${cure.pod!.trouble})`);
    return {
      kind: 'blocked',
      reason: RolloutReasons.paused,
      message: `${what(open)} paused (${progress}): ${names(sick)} ${sick.length > 1 ? 'are' : 'is'} unhealthy (${sick.map((m) => podOf(k, m)?.trouble ?? 'not answering').join('; ')}); it resumes once every member is healthy`,
      unhealthy: sick.map((m) => m.name),
    };
  }
  const lag = lagging(k, voting);
  if (lag) return { kind: 'wait', reason: 'WaitingForCatchUp', message: `${what(open)}: waiting for ${lag.name} to catch up with the leader (${progress})`, requeueMs: ROLLOUT_WAIT_MS };
  const leaderId = o.etcd.leaderId;
  const followers = stale.filter((m) => m.id !== leaderId).sort((a, b) => b.ordinal - a.ordinal);
  const next = followers[0] ?? stale[0];
  if (next.id === leaderId) {
    const to = voting.filter((m) => m.id !== next.id && !stale.includes(m)).sort((a, b) => a.ordinal - b.ordinal)[0]
      ?? voting.filter((m) => m.id !== next.id).sort((a, b) => a.ordinal - b.ordinal)[0];
    if (to) return { kind: 'move-leader', from: next, to, why: `before restarting ${next.name} (${what(open)})` };
  }
  return restart(next, podOf(k, next)!, open, progress, next.id === leaderId ? 'the only member: etcd is unavailable until it is back' : 'a follower');
}

function restart(m: Ours, pod: ObservedPod, open: LastUpgrade | undefined, progress: string, why: string): Step {
  const on = open ? ` on etcd ${open.to}` : ' from the new pod template';
  return { kind: 'delete-pod', pod: pod.name, force: false, message: `${what(open)}: restarting ${m.name}${on} (${why}; ${progress})` };
}

/**
 * A member restarted by the rollout that is not back yet: healthy in etcd and its pod ready (in the client
 * Service again), so no two members are out of service at once. Waited for, or reported once it is stuck.
 */
function comingBack(k: Known, updated: Ours[], open: LastUpgrade | undefined, progress: string): Step | undefined {
  const m = updated.find((x) => !x.healthy || !podOf(k, x)?.ready);
  if (!m) return undefined;
  const pod = podOf(k, m)!;
  const age = pod.createdAt !== undefined ? k.o.now - pod.createdAt : 0;
  const trouble = pod.trouble ? ` (${pod.trouble})` : '';
  if (age < RESTART_STUCK_MS) {
    return { kind: 'wait', reason: 'WaitingForMemberRestart', message: `${what(open)}: waiting for ${m.name} to come back${trouble} (${progress})`, requeueMs: ROLLOUT_WAIT_MS };
  }
  const back = open ? backOut(k, open) : '';
  return {
    kind: 'blocked',
    reason: RolloutReasons.stuck,
    message: `${what(open)} stopped (${progress}): ${m.name} has not come back ${duration(age)} after its restart${trouble}; fix it${back}`,
    unhealthy: [m.name],
  };
}

/** Going back is safe while no member runs the new minor (etcd never wrote its storage). */
function backOut(k: Known, open: LastUpgrade): string {
  const newMinor = minorOf(open.to);
  const running = k.mine.filter((m) => m.figures?.version && minorOf(m.figures.version) === newMinor);
  if (minorOf(open.from) === newMinor || !running.length) return `, or set spec.version back to ${open.from}`;
  return '';
}

/** A member more than CATCH_UP_ENTRIES behind the leader (per each one's own committed index this pass). */
function lagging(k: Known, voting: ObservedMember[]): ObservedMember | undefined {
  const leader = voting.find((m) => m.id === k.o.etcd.leaderId)?.figures?.raftIndex;
  if (leader === undefined) return undefined;
  return voting.find((m) => (m.figures?.raftIndex ?? 0) < leader - CATCH_UP_ENTRIES);
}

/** Something is to roll: a version change open, the StatefulSet's template behind spec, or a member's pod behind it. */
export function rolloutPending(o: Observed): boolean {
  if (upgradeInProgress(o.cluster)) return true;
  const sts = o.statefulSet;
  if (!sts) return false;
  if (sts.templateOutdated) return true;
  return o.pods.some((p) => !p.deleting && p.ordinal < sts.replicas && outdated(o, p));
}
