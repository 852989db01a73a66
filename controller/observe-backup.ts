// What the backup decisions (core/backup-step.ts) see: PVC NAME-backups and the cluster's snapshot and restore
// Jobs, each with the result its program left in a container's termination message.
import type { V1ContainerStatus, V1Job, V1PersistentVolumeClaim, V1Pod } from '@kubernetes/client-node';
import type { EtcdCluster } from '../core/api.js';
import type { ObservedBackup, ObservedBackupJob } from '../core/backup-step.js';
import { backupsPvcName, parseJobResult } from '../core/snapshot-files.js';
import { BACKUP_OF_LABEL, JOB_KIND_LABEL, REQUESTED_AT_ANNOTATION, SCHEDULED_FOR_ANNOTATION } from './backup-objects.js';
import type { PassReads } from './reads.js';

const ms = (t: Date | string | undefined) => (t ? new Date(t).getTime() : undefined);

function stateOf(j: V1Job): ObservedBackupJob['state'] {
  if ((j.status?.succeeded ?? 0) > 0) return 'Succeeded';
  const failed = j.status?.conditions?.some((x) => x.type === 'Failed' && x.status === 'True');
  return failed || (j.status?.failed ?? 0) > 0 ? 'Failed' : 'Active';
}

/** The program's words: a failed container's (the step that refused), else the last container's. */
function lastWords(pods: V1Pod[], state: ObservedBackupJob['state']): { result?: ObservedBackupJob['result']; failure?: string } {
  const ends = statusesOf(pods).filter((s) => s.state?.terminated);
  const failed = ends.find((s) => s.state!.terminated!.exitCode !== 0);
  const chosen = state === 'Failed' ? failed : ends[ends.length - 1];
  const t = chosen?.state?.terminated;
  if (!t) return state === 'Failed' ? { failure: pods.map((p) => p.status?.message ?? p.status?.reason).find((x) => x) } : {};
  const result = parseJobResult(t.message);
  return result ? { result } : { failure: `container ${chosen!.name} exited ${t.exitCode}${t.reason ? ` (${t.reason})` : ''}${t.message ? `: ${t.message.trim().slice(-300)}` : ''}` };
}

const podsOf = (j: V1Job, pods: V1Pod[]) => pods.filter((p) => p.metadata?.labels?.['job-name'] === j.metadata?.name);
const statusesOf = (pods: V1Pod[]): V1ContainerStatus[] => pods.flatMap((p) => [...(p.status?.initContainerStatuses ?? []), ...(p.status?.containerStatuses ?? [])]);
/** Some container of the Job's pods shows how it ended. */
const ended = (j: V1Job, pods: V1Pod[]) => statusesOf(podsOf(j, pods)).some((s) => s.state?.terminated);

function observeJob(j: V1Job, pods: V1Pod[]): ObservedBackupJob {
  const a = j.metadata?.annotations ?? {};
  const state = stateOf(j);
  const mine = podsOf(j, pods);
  const failedAt = j.status?.conditions?.find((x) => x.type === 'Failed' && x.status === 'True')?.lastTransitionTime;
  const words = state === 'Active' ? {} : lastWords(mine, state);
  const failure = state === 'Failed' && !words.result && !words.failure ? j.status?.conditions?.find((x) => x.type === 'Failed')?.message : words.failure;
  return {
    name: j.metadata!.name!,
    kind: j.metadata?.labels?.[JOB_KIND_LABEL] === 'restore' ? 'restore' : 'snapshot',
    state,
    ...(words.result ? { result: words.result } : {}),
    ...(failure ? { failure } : {}),
    createdAt: ms(j.metadata?.creationTimestamp) ?? 0,
    ...(state !== 'Active' ? { finishedAt: ms(j.status?.completionTime) ?? ms(failedAt) ?? Date.now() } : {}),
    ...(a[REQUESTED_AT_ANNOTATION] ? { requestedAt: a[REQUESTED_AT_ANNOTATION] } : {}),
    ...(a[SCHEDULED_FOR_ANNOTATION] ? { scheduledFor: a[SCHEDULED_FOR_ANNOTATION] } : {}),
  };
}

/** Read only for a cluster with spec.backup or spec.bootstrap, or one whose status still names Jobs to clean up. */
export async function observeBackup(reads: PassReads, c: EtcdCluster): Promise<ObservedBackup | undefined> {
  if (!c.spec.backup && !c.spec.bootstrap?.fromSnapshot && !c.status?.backup) return undefined;
  const namespace = c.metadata.namespace!;
  const name = c.metadata.name!;
  const [pvc, jobs, cached] = await Promise.all([
    c.spec.backup ? reads.get<V1PersistentVolumeClaim>('PersistentVolumeClaim', namespace, backupsPvcName(name)) : undefined,
    reads.list<V1Job>('Job', namespace, BACKUP_OF_LABEL, name),
    reads.list<V1Pod>('Pod', namespace, BACKUP_OF_LABEL, name),
  ]);
  // A finished Job's result is recorded once and the Job deleted: when the pod watch has not yet brought the
  // container's end (its words) that the Job watch already reported, the pods come from the API server.
  const pods = jobs.some((j) => stateOf(j) !== 'Active' && !ended(j, cached)) ? await reads.listFromApi<V1Pod>('Pod', namespace, BACKUP_OF_LABEL, name, 'job-result') : cached;
  return { volumePresent: !!pvc, jobs: jobs.map((j) => observeJob(j, pods)) };
}
