// The backup decisions and records (core/backup-step.ts, core/backup-status.ts, core/backup-schedule.ts,
// core/snapshot-files.ts): pure, from a cluster, the Jobs seen and the members that may serve a snapshot.
import { Annotations, type EtcdCluster, type SnapshotRecord } from '../../core/api.js';
import { checkSchedule, latestAtOrBefore, nextAfter, schedulePeriodMs } from '../../core/backup-schedule.js';
import { backupAction, BACKUP_RETRY_MS, snapshotJobName, type ObservedBackupJob, type SnapshotSource } from '../../core/backup-step.js';
import { backupCondition, nextBackupStatus, nextRestoredFrom, restoredCondition } from '../../core/backup-status.js';
import { newestFirst, parseJobResult, parseSnapshotName, snapshotFileName } from '../../core/snapshot-files.js';
import { nextStep, type Observed } from '../../core/reconcile-step.js';

const CREATED = '2026-12-02T10:00:30.000Z';
const at = (t: string) => Date.parse(t);

function cluster(over: Partial<EtcdCluster['spec']> = {}, status?: EtcdCluster['status'], annotations?: Record<string, string>): EtcdCluster {
  return {
    metadata: { name: 'demo', namespace: 'ns1', uid: 'u', creationTimestamp: CREATED, ...(annotations ? { annotations } : {}) },
    spec: { size: 3, backup: { schedule: '*/10 * * * *', keep: 2 }, ...over },
    ...(status ? { status } : {}),
  };
}

const sources: SnapshotSource[] = [
  { name: 'demo-1', ordinal: 1, leader: false },
  { name: 'demo-0', ordinal: 0, leader: true },
];

function snap(name: string, takenAt: string, extra: Partial<SnapshotRecord> = {}): SnapshotRecord {
  return { name, revision: Number(/-r(\d+)\.db$/.exec(name)![1]), sizeBytes: 100, sha256: 'ab'.repeat(32), takenAt, member: 'demo-1', ...extra };
}

function job(over: Partial<ObservedBackupJob>): ObservedBackupJob {
  return { name: 'demo-snapshot-1', kind: 'snapshot', state: 'Active', createdAt: at('2026-12-02T10:10:00Z'), ...over };
}

describe('schedule', () => {
  it('accepts five-field cron and names what is wrong otherwise', () => {
    expect(checkSchedule('*/30 * * * *')).toEqual({ ok: true });
    expect(checkSchedule('* * * *')).toMatchObject({ ok: false, error: expect.stringContaining('has 4 fields; a schedule has 5') });
    expect(checkSchedule('61 * * * *')).toMatchObject({ ok: false, error: expect.stringContaining('is not a cron schedule') });
  });

  it('times are UTC: next, latest at or before, and the period', () => {
    expect(nextAfter('0 3 * * *', new Date('2026-12-02T02:59:59Z')).toISOString()).toBe('2026-12-02T03:00:00.000Z');
    expect(latestAtOrBefore('*/10 * * * *', new Date('2026-12-02T10:20:00Z')).toISOString()).toBe('2026-12-02T10:20:00.000Z');
    expect(latestAtOrBefore('*/10 * * * *', new Date('2026-12-02T10:29:59Z')).toISOString()).toBe('2026-12-02T10:20:00.000Z');
    expect(schedulePeriodMs('*/30 * * * *', new Date('2026-12-02T10:00:00Z'))).toBe(30 * 60_000);
  });
});

describe('snapshot files', () => {
  it('names carry time and revision and parse back; newest first per cluster', () => {
    const n = snapshotFileName('demo-2', new Date('2026-12-02T10:20:03.456Z'), 1234);
    expect(n).toBe('demo-2-20261202T102003Z-r1234.db');
    expect(parseSnapshotName(n)).toEqual({ cluster: 'demo-2', takenAt: '2026-12-02T10:20:03Z', revision: 1234 });
    expect(parseSnapshotName('demo.db')).toBeUndefined();
    expect(newestFirst('demo', ['demo-20261202T100000Z-r1.db', 'demo-2-20261202T110000Z-r9.db', 'demo-20261202T102000Z-r5.db'])).toEqual([
      'demo-20261202T102000Z-r5.db',
      'demo-20261202T100000Z-r1.db',
    ]);
  });

  it('reads a Job result, and nothing from words that are not one', () => {
    expect(parseJobResult('{"error":"boom"}')).toEqual({ error: 'boom' });
    expect(parseJobResult('panic: runtime error')).toBeUndefined();
    expect(parseJobResult('{"snapshot":{"name":"x"}}')).toBeUndefined();
  });
});

describe('backupAction', () => {
  it('makes the volume first, then takes the due snapshot from a follower (the leader offered last)', () => {
    const now = at('2026-12-02T10:10:05Z');
    expect(backupAction({ cluster: cluster(), now, backup: { volumePresent: false, jobs: [] }, sources })).toEqual({ kind: 'ensure-backups-volume' });
    expect(backupAction({ cluster: cluster(), now, backup: { volumePresent: true, jobs: [] }, sources })).toEqual({
      kind: 'start-snapshot', from: [{ name: 'demo-1', ordinal: 1 }, { name: 'demo-0', ordinal: 0 }], scheduledFor: '2026-12-02T10:10:00.000Z',
    });
    // Whatever order the sources come in.
    expect(backupAction({ cluster: cluster(), now, backup: { volumePresent: true, jobs: [] }, sources: [...sources].reverse() })).toMatchObject({
      from: [{ name: 'demo-1', ordinal: 1 }, { name: 'demo-0', ordinal: 0 }],
    });
  });

  it('nothing before the schedule is due; it wakes at the next time', () => {
    const c = cluster({}, { backup: { lastScheduleTime: '2026-12-02T10:10:00.000Z' } });
    const a = backupAction({ cluster: c, now: at('2026-12-02T10:15:00Z'), backup: { volumePresent: true, jobs: [] }, sources });
    expect(a).toEqual({ kind: 'none', requeueMs: 5 * 60_000 });
  });

  it('a controller away for hours takes one snapshot for the latest time, not a backlog', () => {
    const c = cluster({}, { backup: { lastScheduleTime: '2026-12-02T10:10:00.000Z' } });
    const a = backupAction({ cluster: c, now: at('2026-12-02T13:47:00Z'), backup: { volumePresent: true, jobs: [] }, sources });
    expect(a).toMatchObject({ kind: 'start-snapshot', scheduledFor: '2026-12-02T13:40:00.000Z' });
  });

  it('one Job at a time: none while one runs or its result is not recorded yet', () => {
    const c = cluster({}, undefined, { [Annotations.snapshotRequested]: '2026-12-02T10:12:00.000Z' });
    expect(backupAction({ cluster: c, now: at('2026-12-02T10:12:01Z'), backup: { volumePresent: true, jobs: [job({})] }, sources })).toMatchObject({ kind: 'none' });
    const done = job({ state: 'Succeeded', result: { snapshot: snap('demo-20261202T101000Z-r7.db', '2026-12-02T10:10:01Z'), pruned: [] } });
    expect(backupAction({ cluster: c, now: at('2026-12-02T10:12:01Z'), backup: { volumePresent: true, jobs: [done] }, sources })).toMatchObject({ kind: 'none' });
  });

  it('deletes a finished Job only once status holds its result', () => {
    const s = snap('demo-20261202T101000Z-r7.db', '2026-12-02T10:10:01Z');
    const done = job({ state: 'Succeeded', result: { snapshot: s, pruned: [] } });
    const c = cluster({}, { backup: { lastSnapshot: s, snapshots: [s], lastScheduleTime: '2026-12-02T10:10:00.000Z' } });
    expect(backupAction({ cluster: c, now: at('2026-12-02T10:12:00Z'), backup: { volumePresent: true, jobs: [done] }, sources })).toMatchObject({ kind: 'delete-job', job: 'demo-snapshot-1' });
  });

  it('a request (kubectl etcd snapshot) is served once, before the schedule, from the leader when no follower is healthy', () => {
    const r = '2026-12-02T10:12:00.000Z';
    const c = cluster({}, { backup: { lastScheduleTime: '2026-12-02T10:10:00.000Z' } }, { [Annotations.snapshotRequested]: r });
    const now = at('2026-12-02T10:12:01Z');
    expect(backupAction({ cluster: c, now, backup: { volumePresent: true, jobs: [] }, sources: [sources[1]] })).toEqual({ kind: 'start-snapshot', from: [{ name: 'demo-0', ordinal: 0 }], requestedAt: r });
    const served = cluster({}, { backup: { lastScheduleTime: '2026-12-02T10:10:00.000Z', lastSnapshot: snap('demo-20261202T101201Z-r9.db', '2026-12-02T10:12:01Z', { requestedAt: r }) } }, { [Annotations.snapshotRequested]: r });
    expect(backupAction({ cluster: served, now, backup: { volumePresent: true, jobs: [] }, sources })).toMatchObject({ kind: 'none' });
  });

  it('a request served stays served after its snapshot is pruned from the list', () => {
    const r = '2026-12-02T10:12:00.000Z';
    const newer = snap('demo-20261202T103000Z-r20.db', '2026-12-02T10:30:01Z', { scheduledFor: '2026-12-02T10:30:00.000Z' });
    const c = cluster({}, { backup: { lastRequest: r, lastScheduleTime: '2026-12-02T10:30:00.000Z', lastSnapshot: newer, snapshots: [newer] } }, { [Annotations.snapshotRequested]: r });
    expect(backupAction({ cluster: c, now: at('2026-12-02T10:31:00Z'), backup: { volumePresent: true, jobs: [] }, sources })).toMatchObject({ kind: 'none' });
    // And the record of it is made when its Job finishes.
    const served = job({ state: 'Succeeded', requestedAt: r, result: { snapshot: snap('demo-20261202T101201Z-r9.db', '2026-12-02T10:12:01Z', { requestedAt: r }), pruned: [] } });
    expect(nextBackupStatus({ cluster: cluster(), backup: { volumePresent: true, jobs: [served] }, now: '2026-12-02T10:12:05.000Z' })!.lastRequest).toBe(r);
  });

  it('no healthy member: the due snapshot cannot be taken, and says so', () => {
    const a = backupAction({ cluster: cluster(), now: at('2026-12-02T10:10:05Z'), backup: { volumePresent: true, jobs: [] }, sources: [] });
    expect(a).toEqual({ kind: 'cannot-snapshot', message: 'no healthy voting member to take a snapshot from', scheduledFor: '2026-12-02T10:10:00.000Z' });
  });

  it('a failed scheduled snapshot is retried after BACKUP_RETRY_MS, not before', () => {
    const failedAt = '2026-12-02T10:10:10.000Z';
    const c = cluster({}, { backup: { lastScheduleTime: '2026-12-02T10:10:00.000Z', lastError: { message: 'boom', at: failedAt, job: 'j', scheduledFor: '2026-12-02T10:10:00.000Z' } } });
    const backup = { volumePresent: true, jobs: [] };
    expect(backupAction({ cluster: c, now: at(failedAt) + BACKUP_RETRY_MS - 1, backup, sources })).toMatchObject({ kind: 'none', requeueMs: 1 });
    expect(backupAction({ cluster: c, now: at(failedAt) + BACKUP_RETRY_MS, backup, sources })).toMatchObject({ kind: 'start-snapshot', scheduledFor: '2026-12-02T10:10:00.000Z' });
  });

  it('Job names fit a label value', () => {
    expect(snapshotJobName('x'.repeat(63), at('2026-12-02T10:10:00Z')).length).toBeLessThanOrEqual(63);
  });
});

describe('status.backup', () => {
  const now = '2026-12-02T10:20:30.000Z';

  it('a finished Job heads the list, the pruned leave it, keep bounds it; the schedule clock moves', () => {
    const old = [snap('demo-20261202T100000Z-r3.db', '2026-12-02T10:00:01Z'), snap('demo-20261202T101000Z-r5.db', '2026-12-02T10:10:01Z')];
    const s = snap('demo-20261202T102000Z-r8.db', '2026-12-02T10:20:01Z', { scheduledFor: '2026-12-02T10:20:00.000Z' });
    const c = cluster({}, { backup: { lastSnapshot: old[1], snapshots: [old[1], old[0]], lastScheduleTime: '2026-12-02T10:10:00.000Z' } });
    const jobs = [job({ state: 'Succeeded', scheduledFor: '2026-12-02T10:20:00.000Z', result: { snapshot: s, pruned: [old[0].name] } })];
    const b = nextBackupStatus({ cluster: c, backup: { volumePresent: true, jobs }, now })!;
    expect(b.snapshots!.map((x) => x.name)).toEqual([s.name, old[1].name]);
    expect(b.lastSnapshot).toEqual(s);
    expect(b.lastScheduleTime).toBe('2026-12-02T10:20:00.000Z');
    expect(b.nextScheduleTime).toBe('2026-12-02T10:30:00.000Z');
    const make = (type: string, status: 'True' | 'False' | 'Unknown', reason: string, message: string) => ({ type, status, reason, message, lastTransitionTime: now });
    expect(backupCondition(c, b, make)).toMatchObject({ type: 'BackupReady', status: 'True', reason: 'SnapshotTaken', message: expect.stringContaining(s.name) });
  });

  it('a failed Job is the last error, with its words and what it served; BackupReady False', () => {
    const c = cluster();
    const jobs = [job({ state: 'Failed', finishedAt: at('2026-12-02T10:10:09Z'), scheduledFor: '2026-12-02T10:10:00.000Z', result: { error: '14 UNAVAILABLE: connect ECONNREFUSED' } })];
    const b = nextBackupStatus({ cluster: c, backup: { volumePresent: true, jobs }, now })!;
    expect(b.lastError).toEqual({ message: '14 UNAVAILABLE: connect ECONNREFUSED', at: '2026-12-02T10:10:09.000Z', job: 'demo-snapshot-1', scheduledFor: '2026-12-02T10:10:00.000Z' });
    const make = (type: string, status: 'True' | 'False' | 'Unknown', reason: string, message: string) => ({ type, status, reason, message, lastTransitionTime: now });
    expect(backupCondition(c, b, make)).toMatchObject({ status: 'False', reason: 'SnapshotFailed', message: expect.stringContaining('ECONNREFUSED') });
  });

  it('a later success clears an older error', () => {
    const s = snap('demo-20261202T102000Z-r8.db', '2026-12-02T10:20:01Z');
    const c = cluster({}, { backup: { lastError: { message: 'boom', at: '2026-12-02T10:10:09.000Z', job: 'old' } } });
    const b = nextBackupStatus({ cluster: c, backup: { volumePresent: true, jobs: [job({ state: 'Succeeded', result: { snapshot: s, pruned: [] } })] }, now })!;
    expect(b.lastError).toBeUndefined();
  });

  it('without spec.backup the last record stays as it was (the volume keeps its snapshots)', () => {
    const s = snap('demo-20261202T102000Z-r8.db', '2026-12-02T10:20:01Z');
    const c = cluster({ backup: undefined }, { backup: { lastSnapshot: s } });
    expect(nextBackupStatus({ cluster: c, now })).toEqual({ lastSnapshot: s });
  });
});

describe('restore from a snapshot', () => {
  const from = { cluster: 'old', snapshot: 'old-20261202T102000Z-r8.db' };
  function restoring(jobs: ObservedBackupJob[], status?: EtcdCluster['status']): Observed {
    const c = cluster({ size: 3, backup: undefined, bootstrap: { fromSnapshot: from } }, status);
    return {
      now: at('2026-12-02T10:30:00Z'), cluster: c, etcd: { authoritative: false }, servicesPresent: true, pdb: { minAvailable: 1 },
      memberEntries: { 'demo-0': { state: 'new', initialCluster: 'demo-0=http://x', addedAt: CREATED } },
      pods: [], pvcs: [], backup: { volumePresent: false, jobs },
    };
  }

  it('starts the restore Job before any StatefulSet, waits while it runs', () => {
    expect(nextStep(restoring([]))).toMatchObject({ kind: 'start-restore', message: 'restore member demo-0 from old-20261202T102000Z-r8.db of old' });
    expect(nextStep(restoring([job({ name: 'demo-restore', kind: 'restore' })]))).toMatchObject({ kind: 'wait', reason: 'Restoring' });
  });

  it('a corrupt snapshot is refused: blocked with SnapshotCorrupt, no StatefulSet, condition Restored False', () => {
    const failed = job({ name: 'demo-restore', kind: 'restore', state: 'Failed', result: { error: 'sha256 mismatch for old-...: recorded aa, the file has bb' } });
    const o = restoring([failed]);
    expect(nextStep(o)).toMatchObject({ kind: 'blocked', reason: 'SnapshotCorrupt', message: expect.stringContaining('sha256 mismatch') });
    const make = (type: string, status: 'True' | 'False' | 'Unknown', reason: string, message: string) => ({ type, status, reason, message, lastTransitionTime: '' });
    expect(restoredCondition(o.cluster, undefined, o.backup, make)).toMatchObject({ status: 'False', reason: 'SnapshotCorrupt', message: expect.stringContaining('Delete this EtcdCluster') });
  });

  it('a restore that succeeded is recorded once, then the StatefulSet is created', () => {
    const ok = job({ name: 'demo-restore', kind: 'restore', state: 'Succeeded', finishedAt: at('2026-12-02T10:29:00Z'), result: { restored: { snapshot: from.snapshot, sha256: 'cd'.repeat(32), revision: 8 } } });
    const o = restoring([ok]);
    const r = nextRestoredFrom(o.cluster, o.backup, '2026-12-02T10:30:00.000Z');
    expect(r).toEqual({ cluster: 'old', snapshot: from.snapshot, sha256: 'cd'.repeat(32), revision: 8, restoredAt: '2026-12-02T10:29:00.000Z' });
    expect(nextStep(o)).toMatchObject({ kind: 'wait', reason: 'Restored' });
    expect(nextStep(restoring([ok], { restoredFrom: r }))).toEqual({ kind: 'create-statefulset' });
  });
});
