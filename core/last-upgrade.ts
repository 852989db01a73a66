// status.lastUpgrade (SPEC.md, "Versions"), pure: begun by the controller's begin-upgrade step (before any member
// restarts) and completed once, when every member runs the new version from a pod of the current template, all
// healthy and Ready, and etcd's cluster version has reached the new minor.
import type { LastUpgrade } from './api.js';
import { minorOf } from './etcd-version.js';
import type { Observed, Step } from './reconcile-step.js';

const notBefore = (now: string, startedAt: string) => (Date.parse(startedAt) > Date.parse(now) ? startedAt : now);

export function nextLastUpgrade(o: Observed, step: Step, readyPods: Set<string>, now: string): LastUpgrade | undefined {
  if (step.kind === 'begin-upgrade') return step.upgrade;
  const prev = o.cluster.status?.lastUpgrade;
  if (!prev || prev.completedAt || !o.etcd.members || !o.etcd.authoritative) return prev;
  if (o.cluster.spec.version !== undefined && o.cluster.spec.version !== prev.to) return prev;
  if (!o.statefulSet || o.statefulSet.templateOutdated) return prev;
  const members = o.etcd.members;
  const allOnNew = members.length === o.cluster.spec.size && members.every((m) => {
    const pod = o.pods.find((p) => p.name === m.name);
    return !m.isLearner && m.healthy && m.figures?.version === prev.to && !!pod && !pod.deleting
      && pod.templateHash === o.statefulSet!.templateHash && readyPods.has(m.name);
  });
  if (!allOnNew || minorOf(o.etcd.clusterVersion) !== minorOf(prev.to)) return prev;
  return { ...prev, completedAt: notBefore(now, prev.startedAt) };
}

/** Members by the version they run (from their own answers), for status lines: "3.5.16: demo-1, demo-2". */
export function membersByVersion(members: { name: string; version?: string }[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const m of members) {
    const v = m.version ?? 'unknown';
    out.set(v, [...(out.get(v) ?? []), m.name]);
  }
  return out;
}

/** The webhook records who asked for a version change as an UpgradeRequested Event (as ResizeRequested for resizes). */
export const UPGRADE_REQUESTED_REASON = 'UpgradeRequested';

/** The request as its Event's upgrade annotation holds it. */
export const upgradeRequestValue = (from: string, to: string) => `${from}->${to}`;
