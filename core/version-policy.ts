// Admission of a spec.version change (SPEC.md, "Versions"; rule V10, warnings W7 and W8), and the upgrade plan
// the plugin shows: pure, shared by the webhook and `kubectl etcd upgrade`'s preflight. The plan follows the
// controller's order (core/rollout.ts): followers from the highest ordinal down, the leader last with
// leadership moved off it first, one member restarting at a time.
import type { EtcdClusterStatus, MemberStatus } from './api.js';
import { findCondition } from './conditions.js';
import { minorOf, versionPath } from './etcd-version.js';
import { voting } from './membership.js';
import { ordinalOf } from './member-naming.js';
import type { PolicyVerdict } from './policy.js';
import { quorum, tolerates } from './quorum.js';

export interface VersionChange {
  name: string;
  oldVersion: string;
  newVersion: string;
  /** The old object's status and generation (what the request was made against). */
  status?: EtcdClusterStatus;
  generation?: number;
  /** The same request also changes spec.size. */
  sizeChanges?: boolean;
}

/** The policy's verdict shape (rule V10 when denied), so the plugin shows it as it shows a resize's. */
export type VersionVerdict = PolicyVerdict;

export interface UpgradeStep {
  member: string;
  action: 'restart' | 'move-leader';
  /** Voting members, those healthy and the quorum while it restarts (move-leader: none restarts). */
  voting: number;
  healthy: number;
  quorum: number;
  tolerates: number;
  /** Already running the new version: skipped. */
  done?: boolean;
}

export interface UpgradePlan {
  from: string;
  to: string;
  toleratesNow: number;
  steps: UpgradeStep[];
  /** Members unhealthy now: the rollout waits for them. */
  unhealthy: string[];
}

const statusCmd = (name: string) => `kubectl etcd status ${name}`;

/** V10: one minor up, or any patch within a minor, one change at a time, never while another change runs. */
export function evaluateVersionChange(req: VersionChange): VersionVerdict {
  const { name, oldVersion: from, newVersion: to } = req;
  const path = versionPath(from, to);
  if (path.kind === 'same') return allow([]);
  const open = req.status?.lastUpgrade && !req.status.lastUpgrade.completedAt ? req.status.lastUpgrade : undefined;
  const backingOut = !!open && open.to === from && open.from === to && !runsMinor(req.status, minorOf(from), minorOf(to));
  if (req.sizeChanges) {
    return deny(`V10: ${name}: change spec.version (${from} -> ${to}) and spec.size in separate requests: one change at a time. ` +
      `Resize first, or upgrade first, and make the other change once ${statusCmd(name)} shows it done.`);
  }
  if (!backingOut) {
    const bad = pathProblem(name, from, to, path, req.status);
    if (bad) return deny(bad);
  }
  const busy = backingOut ? undefined : inProgress(req);
  if (busy) {
    return deny(`V10: cannot change the version of ${name} (${from} -> ${to}) now: ${busy} is in progress; one change at a time: ` +
      `wait for it to finish (${statusCmd(name)}), then change the version.`);
  }
  const members = voting(req.status);
  const healthy = members.filter((m) => m.healthy).length;
  if (members.length && healthy < quorum(members.length)) {
    return deny(`V10: cannot upgrade ${name} (${from} -> ${to}): quorum is lost (${healthy} of ${members.length} voting members healthy, ` +
      `quorum ${quorum(members.length)}); restarting members cannot bring it back. Recover first (kubectl etcd recover ${name}).`);
  }
  return allow(versionWarnings(req, members, healthy, backingOut));
}

function versionWarnings(req: VersionChange, members: MemberStatus[], healthy: number, backingOut: boolean): string[] {
  const out: string[] = [];
  const sick = members.filter((m) => !m.healthy).map((m) => m.name);
  if (backingOut) out.push(`W7: ${req.name}: going back to ${req.newVersion} before any member ran ${req.oldVersion}'s minor; members on ${req.oldVersion} restart on ${req.newVersion}`);
  if (sick.length) {
    out.push(`W7: ${req.name} has unhealthy member(s) ${sick.join(', ')}: the rollout to ${req.newVersion} waits until every member is healthy (${statusCmd(req.name)})`);
  }
  const during = tolerates(healthy - 1, members.length);
  if (members.length && during < 0) {
    out.push(`W8: while each member restarts on ${req.newVersion}, ${req.name} has no quorum (${healthy - 1} healthy of ${members.length}, ` +
      `quorum ${quorum(members.length)}): etcd is unavailable for the length of each restart`);
  }
  return out;
}

/** Why etcd cannot take this path, naming the one to take; undefined for a patch change or one minor up. */
function pathProblem(name: string, from: string, to: string, path: ReturnType<typeof versionPath>, status: EtcdClusterStatus | undefined): string | undefined {
  switch (path.kind) {
    case 'unparsable':
      return `V10: ${path.which === 'to' ? `"${to}"` : `the current version "${from}"`} of ${name} is not an etcd release (MAJOR.MINOR.PATCH, e.g. 3.5.16).`;
    case 'major':
      return `V10: cannot change ${name} from etcd ${from} to ${to}: a change of major version has no upgrade path. Keep ${minorOf(from)}.x.`;
    case 'downgrade': {
      const cv = status?.clusterVersion ? ` (cluster version ${status.clusterVersion})` : '';
      return `V10: cannot downgrade ${name} from etcd ${from} to ${to}: etcd cannot go back a minor version once its members run ` +
        `${minorOf(from)}${cv}: the data is kept in ${minorOf(from)}'s format. Patch releases within ${minorOf(from)} are allowed both ways ` +
        `(e.g. ${minorOf(from)}.x); to run ${minorOf(to)}, create a new cluster at ${to} and load the data into it.`;
    }
    case 'skipped':
      return `V10: cannot upgrade ${name} from etcd ${from} to ${to} directly: etcd upgrades one minor version at a time. ` +
        `Upgrade to ${path.via} first (a ${path.via}.x release), wait until ${statusCmd(name)} shows cluster version ${path.via}, then to ${to}.`;
    default:
      return undefined;
  }
}

/** Some member reports running `minor` while `from` and `to` differ in minor (its data may already be in that format). */
function runsMinor(status: EtcdClusterStatus | undefined, minor: string | undefined, other: string | undefined): boolean {
  if (minor === other) return false;
  return (status?.members ?? []).some((m) => m.version !== undefined && minorOf(m.version) === minor);
}

/** What change runs now, in words; undefined when none. */
function inProgress(req: VersionChange): string | undefined {
  const s = req.status;
  if (!s) return undefined;
  const open = <T extends { completedAt?: string }>(r: T | undefined) => (r && !r.completedAt ? r : undefined);
  const upgrade = open(s.lastUpgrade);
  if (upgrade) return `the upgrade ${upgrade.from} -> ${upgrade.to} (${onVersion(s, upgrade.to)})`;
  const repair = open(s.lastRepair) ?? s.pendingRepairs?.[0];
  if (repair) return `the replacement of ${repair.member} (${repair.reason})`;
  const recovery = open(s.lastRecovery);
  if (recovery) return `the recovery from lost quorum from ${recovery.member}`;
  const p = findCondition(s, 'Progressing');
  if (p?.status === 'True') return `a change (${p.reason}: ${p.message})`;
  if (s.observedGeneration !== undefined && req.generation !== undefined && s.observedGeneration < req.generation) {
    return `a change not yet observed by the controller (generation ${req.generation}, observed ${s.observedGeneration})`;
  }
  return undefined;
}

function onVersion(s: EtcdClusterStatus, version: string): string {
  const members = voting(s);
  return `${members.filter((m) => m.version === version).length} of ${members.length} members on ${version}`;
}

/**
 * The controller's order: followers from the highest ordinal down, the leader last (leadership moved off it
 * first). Members already on `to` are marked done. Each restart counts the member as down.
 */
export function planUpgrade(from: string, to: string, status: EtcdClusterStatus | undefined): UpgradePlan {
  const members = voting(status);
  const healthy = members.filter((m) => m.healthy).length;
  const n = members.length;
  const ord = (m: MemberStatus) => ordinalOf(m.name) ?? -1;
  const order = [...members].sort((a, b) => Number(a.name === status?.leader) - Number(b.name === status?.leader) || ord(b) - ord(a));
  const steps: UpgradeStep[] = [];
  for (const m of order) {
    const done = m.version === to;
    if (m.name === status?.leader && n > 1 && !done) steps.push({ member: m.name, action: 'move-leader', voting: n, healthy, quorum: quorum(n), tolerates: tolerates(healthy, n) });
    const down = m.healthy && !done ? 1 : 0;
    steps.push({ member: m.name, action: 'restart', voting: n, healthy: healthy - down, quorum: quorum(n), tolerates: tolerates(healthy - down, n), ...(done ? { done } : {}) });
  }
  return { from, to, toleratesNow: tolerates(healthy, n), steps, unhealthy: members.filter((m) => !m.healthy).map((m) => m.name) };
}

function allow(warnings: string[]): VersionVerdict {
  return { allowed: true, warnings, bypassed: [] };
}

function deny(message: string): VersionVerdict {
  return { allowed: false, rule: 'V10', message, warnings: [], bypassed: [] };
}
