// status.backup and status.restoredFrom from the Jobs seen this pass (core/backup-step.ts), and their
// conditions: BackupReady (spec.backup set) and Restored (spec.bootstrap.fromSnapshot). Pure.
import type { BackupError, BackupStatus, Condition, EtcdCluster, RestoredFrom, SnapshotRecord } from './api.js';
import { nextScheduleTime, type BackupAction, type ObservedBackup, type ObservedBackupJob } from './backup-step.js';

export interface BackupStatusInput {
  cluster: EtcdCluster;
  backup?: ObservedBackup;
  action?: BackupAction;
  now: string;
}

const later = (a: string | undefined, b: string | undefined) => (!a ? b : !b ? a : Date.parse(a) >= Date.parse(b) ? a : b);

function failureOf(j: ObservedBackupJob): string | undefined {
  if (j.result && 'error' in j.result) return j.result.error;
  if (j.state === 'Failed') return j.failure ?? 'the Job failed without a message';
  return undefined;
}

function errorOf(j: ObservedBackupJob, message: string, now: string): BackupError {
  return {
    message, at: j.finishedAt ? new Date(j.finishedAt).toISOString() : now, job: j.name,
    ...(j.requestedAt ? { requestedAt: j.requestedAt } : {}), ...(j.scheduledFor ? { scheduledFor: j.scheduledFor } : {}),
  };
}

/** One finished snapshot Job folded into the record: a new snapshot heads the list, pruned ones leave it. */
function fold(b: BackupStatus, j: ObservedBackupJob, keep: number, now: string): BackupStatus {
  const failure = failureOf(j);
  if (failure) return b.lastError?.job === j.name ? b : { ...b, lastError: errorOf(j, failure, now) };
  const r = j.result;
  if (!r || !('snapshot' in r)) return b;
  const s: SnapshotRecord = r.snapshot;
  const gone = new Set([...r.pruned, s.name]);
  const snapshots = [s, ...(b.snapshots ?? []).filter((x) => !gone.has(x.name))].slice(0, keep);
  const { lastError, ...rest } = b;
  // An error older than this success is history; a newer one (another request's) stays.
  const keepError = lastError && Date.parse(lastError.at) > Date.parse(s.takenAt) ? { lastError } : {};
  return { ...rest, ...keepError, lastSnapshot: !b.lastSnapshot || Date.parse(s.takenAt) >= Date.parse(b.lastSnapshot.takenAt) ? s : b.lastSnapshot, snapshots };
}

export function nextBackupStatus({ cluster: c, backup, action, now }: BackupStatusInput): BackupStatus | undefined {
  const prev = c.status?.backup;
  if (!c.spec.backup) return prev;
  let b: BackupStatus = { ...prev };
  const finished = (backup?.jobs ?? []).filter((j) => j.kind === 'snapshot' && j.state !== 'Active').sort((x, y) => x.createdAt - y.createdAt);
  for (const j of finished) b = fold(b, j, c.spec.backup.keep ?? 7, now);
  for (const j of backup?.jobs ?? []) if (j.scheduledFor) b.lastScheduleTime = later(b.lastScheduleTime, j.scheduledFor);
  // Served, whatever became of it: a snapshot pruned later does not make its request pending again.
  for (const j of finished) if (j.requestedAt) b.lastRequest = later(b.lastRequest, j.requestedAt);
  if (action?.kind === 'cannot-snapshot') {
    if (action.scheduledFor) b.lastScheduleTime = later(b.lastScheduleTime, action.scheduledFor);
    if (action.requestedAt) b.lastRequest = later(b.lastRequest, action.requestedAt);
    const e = b.lastError;
    // Said once per request or schedule time (a retry that fails alike rewrites nothing).
    if (!e || e.message !== action.message || e.requestedAt !== action.requestedAt || e.scheduledFor !== action.scheduledFor) {
      b.lastError = { message: action.message, at: now, ...(action.requestedAt ? { requestedAt: action.requestedAt } : {}), ...(action.scheduledFor ? { scheduledFor: action.scheduledFor } : {}) };
    }
  }
  const schedule = c.spec.backup.schedule;
  if (schedule) {
    b.nextScheduleTime = nextScheduleTime(c, schedule, b.lastScheduleTime, Date.parse(now)).toISOString();
  } else {
    delete b.nextScheduleTime;
  }
  return Object.keys(b).length ? b : undefined;
}

/** status.restoredFrom: set once, from the restore Job that succeeded. */
export function nextRestoredFrom(c: EtcdCluster, backup: ObservedBackup | undefined, now: string): RestoredFrom | undefined {
  const prev = c.status?.restoredFrom;
  const from = c.spec.bootstrap?.fromSnapshot;
  if (prev || !from) return prev;
  const j = backup?.jobs.find((x) => x.kind === 'restore' && x.state === 'Succeeded');
  const r = j?.result;
  if (!r || !('restored' in r)) return undefined;
  return { cluster: from.cluster, snapshot: r.restored.snapshot, sha256: r.restored.sha256, revision: r.restored.revision, restoredAt: j!.finishedAt ? new Date(j!.finishedAt).toISOString() : now };
}

/** Why the restore Job failed, when it did (the verify step's refusal, or etcd's own). */
export function restoreFailure(backup: ObservedBackup | undefined): { reason: 'SnapshotCorrupt' | 'RestoreFailed'; message: string } | undefined {
  const j = backup?.jobs.find((x) => x.kind === 'restore' && x.state === 'Failed');
  if (!j) return undefined;
  const message = failureOf(j)!;
  return { reason: /sha256 mismatch|checksum/.test(message) ? 'SnapshotCorrupt' : 'RestoreFailed', message };
}

type MakeCondition = (type: string, status: Condition['status'], reason: string, message: string) => Condition;

/** BackupReady: the newest snapshot, or the failure after it. */
export function backupCondition(c: EtcdCluster, b: BackupStatus | undefined, make: MakeCondition): Condition | undefined {
  if (!c.spec.backup) return undefined;
  const s = b?.lastSnapshot;
  const e = b?.lastError;
  if (e && (!s || Date.parse(e.at) > Date.parse(s.takenAt))) return make('BackupReady', 'False', 'SnapshotFailed', `${e.message}${e.job ? ` (Job ${e.job})` : ''}; retried${e.requestedAt ? ' when asked again' : ' on the schedule'}`);
  if (s) return make('BackupReady', 'True', 'SnapshotTaken', `newest snapshot ${s.name} (revision ${s.revision}, ${s.sizeBytes} bytes) taken ${s.takenAt} from ${s.member}`);
  return make('BackupReady', 'Unknown', 'NoSnapshotYet', c.spec.backup.schedule ? `the first snapshot is due ${b?.nextScheduleTime ?? 'on the schedule'}` : 'no snapshot yet: `kubectl etcd snapshot` takes one');
}

/** Restored: member 0's data came from the snapshot, is being restored, or was refused. */
export function restoredCondition(c: EtcdCluster, restored: RestoredFrom | undefined, backup: ObservedBackup | undefined, make: MakeCondition): Condition | undefined {
  const from = c.spec.bootstrap?.fromSnapshot;
  if (!from) return undefined;
  if (restored) return make('Restored', 'True', 'SnapshotRestored', `member 0 started from ${restored.snapshot} of ${restored.cluster} (revision ${restored.revision}, sha256 ${restored.sha256})`);
  const failed = restoreFailure(backup);
  if (failed) return make('Restored', 'False', failed.reason, `${failed.message}; nothing was started. Delete this EtcdCluster and create it again from another snapshot (kubectl etcd snapshots ${from.cluster})`);
  return make('Restored', 'Unknown', 'Restoring', `restoring member 0 from ${from.snapshot} of ${from.cluster}`);
}
