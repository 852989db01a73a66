// Backups beside the membership steps (SPEC.md, "Backups"): each pass takes at most one backup action, whatever
// the membership step is (a snapshot needs one healthy member, not a settled cluster). Pure: the schedule's
// clock is status.backup.lastScheduleTime and the Jobs' annotations, so a restarted controller neither
// skips a snapshot nor takes one twice. Every result a Job leaves is recorded in status before the Job is deleted.
import { Annotations, type EtcdCluster } from './api.js';
import { latestAtOrBefore, nextAfter } from './backup-schedule.js';
import type { JobResult } from './snapshot-files.js';

/** A failed scheduled snapshot is tried again this long after (until the schedule's next time supersedes it). */
export const BACKUP_RETRY_MS = 30_000;
/** While a Job runs: look again this often. */
export const BACKUP_POLL_MS = 2000;

export interface ObservedBackupJob {
  name: string;
  kind: 'snapshot' | 'restore';
  state: 'Active' | 'Succeeded' | 'Failed';
  /** What its program left in the termination log (the first container that wrote one). */
  result?: JobResult;
  /** Why it failed when its program left nothing readable (the kubelet's words, an exit code). */
  failure?: string;
  /** ms since the epoch. */
  createdAt: number;
  finishedAt?: number;
  requestedAt?: string;
  scheduledFor?: string;
}

export interface ObservedBackup {
  /** PVC NAME-backups exists. */
  volumePresent: boolean;
  jobs: ObservedBackupJob[];
}

/** A member a snapshot may be streamed from: voting, healthy, answering; the leader only when no follower is. */
export interface SnapshotSource {
  name: string;
  ordinal: number;
  leader: boolean;
}

export type BackupAction =
  | { kind: 'ensure-backups-volume' }
  /** `from`: every member it may stream from, followers first; the Job streams from the first follower that answers then. */
  | { kind: 'start-snapshot'; from: { name: string; ordinal: number }[]; requestedAt?: string; scheduledFor?: string }
  /** No member to take it from: recorded as the error of that request (or schedule time). */
  | { kind: 'cannot-snapshot'; message: string; requestedAt?: string; scheduledFor?: string }
  | { kind: 'delete-job'; job: string; why: string }
  | { kind: 'none'; requeueMs?: number };

export interface BackupInput {
  cluster: EtcdCluster;
  now: number;
  backup?: ObservedBackup;
  sources: SnapshotSource[];
}

/** A finished Job whose result status holds already: safe to delete. */
export function recorded(c: EtcdCluster, j: ObservedBackupJob): boolean {
  if (j.kind === 'restore') return !!c.status?.restoredFrom && j.state === 'Succeeded';
  const b = c.status?.backup;
  const r = j.result;
  if (r && 'snapshot' in r) return !!b?.snapshots?.some((s) => s.name === r.snapshot.name) || b?.lastSnapshot?.name === r.snapshot.name;
  return b?.lastError?.job === j.name;
}

/** The request `kubectl etcd snapshot` left, when nothing has served it yet. */
export function pendingRequest(c: EtcdCluster, jobs: ObservedBackupJob[]): string | undefined {
  const r = c.metadata.annotations?.[Annotations.snapshotRequested];
  if (!r) return undefined;
  const b = c.status?.backup;
  if (b?.lastRequest === r || b?.lastSnapshot?.requestedAt === r || b?.lastError?.requestedAt === r) return undefined;
  if (jobs.some((j) => j.requestedAt === r)) return undefined;
  return r;
}

/** The schedule's first time after the last one started for (or after the cluster's creation, before any). */
export function nextScheduleTime(c: EtcdCluster, schedule: string, lastScheduleTime: string | undefined, now: number): Date {
  return nextAfter(schedule, new Date(lastScheduleTime ?? c.metadata.creationTimestamp ?? new Date(now).toISOString()));
}

/** The schedule's time due now, if any: the latest one not started yet, or a failed one's retry. */
export function dueScheduleTime(c: EtcdCluster, now: number): string | undefined {
  const schedule = c.spec.backup?.schedule;
  if (!schedule) return undefined;
  const b = c.status?.backup;
  const next = nextScheduleTime(c, schedule, b?.lastScheduleTime, now);
  if (next.getTime() <= now) return latestAtOrBefore(schedule, new Date(now)).toISOString();
  const e = b?.lastError;
  const failedLast = e?.scheduledFor && e.scheduledFor === b?.lastScheduleTime && (!b?.lastSnapshot || Date.parse(b.lastSnapshot.takenAt) < Date.parse(e.at));
  if (failedLast && now - Date.parse(e.at) >= BACKUP_RETRY_MS) return e.scheduledFor;
  return undefined;
}

/** When the schedule next wants a look: its next time, or a failed one's retry. */
function wakeIn(c: EtcdCluster, now: number): number | undefined {
  const schedule = c.spec.backup?.schedule;
  if (!schedule) return undefined;
  const b = c.status?.backup;
  const next = nextScheduleTime(c, schedule, b?.lastScheduleTime, now).getTime() - now;
  const retry = b?.lastError?.scheduledFor ? Date.parse(b.lastError.at) + BACKUP_RETRY_MS - now : Infinity;
  return Math.max(0, Math.min(next, retry > 0 ? retry : Infinity));
}

export function backupAction({ cluster: c, now, backup, sources }: BackupInput): BackupAction {
  const jobs = backup?.jobs ?? [];
  const done = jobs.find((j) => j.state !== 'Active' && recorded(c, j));
  if (done) return { kind: 'delete-job', job: done.name, why: `its result is in status (${done.state})` };
  if (!c.spec.backup || !backup) return { kind: 'none' };
  if (!backup.volumePresent) return { kind: 'ensure-backups-volume' };
  // One snapshot at a time; a finished one not recorded yet is recorded by this pass's status.
  if (jobs.some((j) => j.kind === 'snapshot' && (j.state === 'Active' || !recorded(c, j)))) return { kind: 'none', requeueMs: BACKUP_POLL_MS };
  const requestedAt = pendingRequest(c, jobs);
  const scheduledFor = requestedAt ? undefined : dueScheduleTime(c, now);
  if (!requestedAt && !scheduledFor) return { kind: 'none', requeueMs: wakeIn(c, now) };
  const why = { ...(requestedAt ? { requestedAt } : {}), ...(scheduledFor ? { scheduledFor } : {}) };
  if (!sources.length) return { kind: 'cannot-snapshot', message: 'no healthy voting member to take a snapshot from', ...why };
  const from = [...sources.filter((s) => !s.leader), ...sources.filter((s) => s.leader)].map((s) => ({ name: s.name, ordinal: s.ordinal }));
  return { kind: 'start-snapshot', from, ...why };
}

/** Job names carry the time (base 36) and stay within the 63 characters of a label value (job-name). */
export function snapshotJobName(cluster: string, now: number): string {
  return `${cluster.slice(0, 40)}-snapshot-${now.toString(36)}`;
}
