// Takes the pass's backup action (core/backup-step.ts) and the restore step: the Kubernetes calls of backups.
import type { EtcdCluster } from '../core/api.js';
import { backupAction, snapshotJobName, type BackupAction, type SnapshotSource } from '../core/backup-step.js';
import type { Logger } from '../core/log.js';
import { clientURL } from '../core/member-naming.js';
import type { Observed } from '../core/reconcile-step.js';
import { schemeOf } from '../core/tls-config.js';
import { backupsPvc, memberZeroPvc, restoreJob, snapshotJob } from './backup-objects.js';
import { failpoint } from './failpoints.js';
import type { Kube } from './kube.js';
import type { PodImages } from './pod-template.js';

/** Voting members that answered healthy this pass, by ordinal (backupAction puts followers first). */
export function snapshotSources(o: Observed): SnapshotSource[] {
  return (o.etcd.members ?? [])
    .filter((m) => m.healthy && m.answered && !m.isLearner && m.ordinal !== undefined)
    .map((m) => ({ name: m.name, ordinal: m.ordinal!, leader: m.id === o.etcd.leaderId }))
    .sort((a, b) => a.ordinal - b.ordinal);
}

export class Backups {
  constructor(
    private readonly kube: Kube,
    private readonly images: PodImages,
    private readonly event: (c: EtcdCluster, type: 'Normal' | 'Warning', reason: string, message: string) => Promise<void>,
  ) {}

  decide(o: Observed): BackupAction {
    return backupAction({ cluster: o.cluster, now: o.now, backup: o.backup, sources: snapshotSources(o) });
  }

  /** Returns when to look again, if the action wants a look sooner than the resync. */
  async act(c: EtcdCluster, o: Observed, action: BackupAction, log: Logger): Promise<number | undefined> {
    const namespace = c.metadata.namespace!;
    switch (action.kind) {
      case 'ensure-backups-volume':
        // A create the cache has not shown yet finds it there: said once.
        if (await this.kube.ensureCreated(backupsPvc(c), 'persistentvolumeclaims')) await this.event(c, 'Normal', 'BackupVolumeCreated', `created PVC ${backupsPvc(c).metadata!.name} for snapshots (kept when the EtcdCluster is deleted)`);
        return 50;
      case 'start-snapshot': {
        const name = snapshotJobName(c.metadata.name!, o.now);
        const from = action.from.map((m) => ({ member: m.name, endpoint: clientURL(c.metadata.name!, namespace, m.ordinal, schemeOf(c)) }));
        await this.kube.ensureCreated(snapshotJob(c, this.images, { name, from, requestedAt: action.requestedAt, scheduledFor: action.scheduledFor }), 'jobs');
        log.info({ job: name, from: action.from.map((m) => m.name), requestedAt: action.requestedAt, scheduledFor: action.scheduledFor }, 'snapshot started');
        return 1000;
      }
      case 'delete-job':
        await this.kube.deleteJob(namespace, action.job);
        log.debug({ job: action.job }, `deleted Job: ${action.why}`);
        return undefined;
      case 'cannot-snapshot':
        log.warn({ requestedAt: action.requestedAt, scheduledFor: action.scheduledFor }, action.message);
        return undefined;
      case 'none':
        return action.requeueMs;
    }
  }

  /** Member 0's volume first (as its StatefulSet claim would be), then the Job that fills it. Both creates are idempotent. */
  async startRestore(c: EtcdCluster, message: string, log: Logger): Promise<void> {
    await this.kube.ensureCreated(memberZeroPvc(c), 'persistentvolumeclaims');
    failpoint('after-restore-volume', (msg) => log.warn(msg));
    if (await this.kube.ensureCreated(restoreJob(c, this.images), 'jobs')) await this.event(c, 'Normal', 'RestoreStarted', message);
  }
}
