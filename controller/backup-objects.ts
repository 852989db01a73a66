// The objects of backups and restore (SPEC.md, "Backups"): PVC NAME-backups, a Job per snapshot, and the Job that
// restores member 0's volume from a snapshot before the StatefulSet exists. Both Jobs run etcd-backup (the
// operator image, backup/main.ts) as etcd's user, hardened like the members; the restore Job runs etcd's own
// `snapshot restore` between its verify and finish steps.
import type { V1Container, V1Job, V1PersistentVolumeClaim, V1PodSpec, V1Volume } from '@kubernetes/client-node';
import { API_VERSION, CLUSTER_LABEL, DEFAULT_ETCD_VERSION, GROUP, KIND, type EtcdCluster } from '../core/api.js';
import { compareVersions } from '../core/etcd-version.js';
import { entryContext } from '../core/member-entry.js';
import { memberName, peerURL, pvcName } from '../core/member-naming.js';
import { backupsPvcName } from '../core/snapshot-files.js';
import { schemeOf, tlsEnabled } from '../core/tls-config.js';
import { clientTlsSecretName } from '../core/tls-objects.js';
import { containerSecurity, podSecurity, type PodImages } from './pod-template.js';

/** On the Jobs, their pods and the backups PVC: whose they are. Not CLUSTER_LABEL, which the member Services and the PDB select. */
export const BACKUP_OF_LABEL = `${GROUP}/backup-of`;
/** snapshot | restore */
export const JOB_KIND_LABEL = `${GROUP}/job`;
/** On a snapshot Job: the request (annotation value) or the schedule's time it serves. */
export const REQUESTED_AT_ANNOTATION = `${GROUP}/requested-at`;
export const SCHEDULED_FOR_ANNOTATION = `${GROUP}/scheduled-for`;
/** On a snapshot Job: the member it was asked to stream from first (the record says which it did). */
export const MEMBER_ANNOTATION = `${GROUP}/member`;

export type BackupJobKind = 'snapshot' | 'restore';

const BACKUPS_DIR = '/backups';
const TLS_DIR = '/etc/etcd-tls/client';
const DATA_DIR = '/data';
const STAGING_DIR = `${DATA_DIR}/.restore`;
const RESOURCES = { requests: { cpu: '50m', memory: '128Mi' } };

export const restoreJobName = (cluster: string) => `${cluster}-restore`;

function labels(c: EtcdCluster, kind?: BackupJobKind): Record<string, string> {
  return { [BACKUP_OF_LABEL]: c.metadata.name!, 'app.kubernetes.io/managed-by': 'etcd-k8s-operator', ...(kind ? { [JOB_KIND_LABEL]: kind } : {}) };
}

const ownedBy = (c: EtcdCluster) => [{ apiVersion: API_VERSION, kind: KIND, name: c.metadata.name!, uid: c.metadata.uid!, controller: true, blockOwnerDeletion: true }];

/** Kept when the EtcdCluster is deleted (no owner): backups outlive the cluster they came from. */
export function backupsPvc(c: EtcdCluster): V1PersistentVolumeClaim {
  const v = c.spec.backup?.volume ?? {};
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name: backupsPvcName(c.metadata.name!), namespace: c.metadata.namespace, labels: labels(c) },
    spec: {
      accessModes: ['ReadWriteOnce'],
      resources: { requests: { storage: v.size ?? '1Gi' } },
      ...(v.storageClassName ? { storageClassName: v.storageClassName } : {}),
    },
  };
}

/** Member 0's data PVC as the StatefulSet's claim template makes it, made ahead so the restore Job fills it. */
export function memberZeroPvc(c: EtcdCluster): V1PersistentVolumeClaim {
  const s = c.spec.storage ?? {};
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name: pvcName(c.metadata.name!, 0), namespace: c.metadata.namespace, labels: { [CLUSTER_LABEL]: c.metadata.name! } },
    spec: {
      accessModes: ['ReadWriteOnce'],
      resources: { requests: { storage: s.size ?? '1Gi' } },
      ...(s.storageClassName ? { storageClassName: s.storageClassName } : {}),
    },
  };
}

/**
 * A Job that cannot run (its volume's node gone, no room for its pod) fails at this deadline and is recorded as a
 * failure, rather than holding every later snapshot back unseen.
 */
const DEADLINE_SECONDS: Record<BackupJobKind, number> = { snapshot: 30 * 60, restore: 60 * 60 };

function job(c: EtcdCluster, name: string, kind: BackupJobKind, annotations: Record<string, string>, spec: Omit<V1PodSpec, 'restartPolicy' | 'securityContext'>): V1Job {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, namespace: c.metadata.namespace, labels: labels(c, kind), annotations, ownerReferences: ownedBy(c) },
    spec: {
      // One try per Job: the controller decides about retries (and records each failure).
      backoffLimit: 0,
      activeDeadlineSeconds: DEADLINE_SECONDS[kind],
      template: {
        metadata: { labels: labels(c, kind), annotations },
        spec: { ...spec, restartPolicy: 'Never', securityContext: podSecurity, automountServiceAccountToken: false },
      },
    },
  };
}

function container(name: string, image: string, command: string[], mounts: V1Container['volumeMounts']): V1Container {
  return { name, image, command, resources: RESOURCES, securityContext: containerSecurity, volumeMounts: mounts, terminationMessagePolicy: 'File' };
}

export interface SnapshotJobArgs {
  name: string;
  /** The members it may stream from, in order: the Job takes the first follower that answers when it starts. */
  from: { member: string; endpoint: string }[];
  requestedAt?: string;
  scheduledFor?: string;
}

export function snapshotJob(c: EtcdCluster, images: PodImages, a: SnapshotJobArgs): V1Job {
  const tls = tlsEnabled(c);
  const command = [
    'etcd-backup', 'snapshot', ...a.from.flatMap((f) => ['--from', `${f.member}=${f.endpoint}`]), '--dir', BACKUPS_DIR, '--cluster', c.metadata.name!,
    '--keep', String(c.spec.backup?.keep ?? 7),
    ...(tls ? ['--tls-dir', TLS_DIR] : []),
    ...(a.requestedAt ? ['--requested-at', a.requestedAt] : []),
    ...(a.scheduledFor ? ['--scheduled-for', a.scheduledFor] : []),
  ];
  const volumes: V1Volume[] = [
    { name: 'backups', persistentVolumeClaim: { claimName: backupsPvcName(c.metadata.name!) } },
    // The controller's client certificate (TLS issue): the member checks it as any client's.
    ...(tls ? [{ name: 'tls', secret: { secretName: clientTlsSecretName(c.metadata.name!), defaultMode: 0o440 } }] : []),
  ];
  const mounts = [{ name: 'backups', mountPath: BACKUPS_DIR }, ...(tls ? [{ name: 'tls', mountPath: TLS_DIR, readOnly: true }] : [])];
  const annotations = {
    [MEMBER_ANNOTATION]: a.from[0]!.member,
    ...(a.requestedAt ? { [REQUESTED_AT_ANNOTATION]: a.requestedAt } : {}),
    ...(a.scheduledFor ? { [SCHEDULED_FOR_ANNOTATION]: a.scheduledFor } : {}),
  };
  return job(c, a.name, 'snapshot', annotations, { containers: [container('snapshot', images.guard, command, mounts)], volumes });
}

/** etcd 3.5 moved offline restore to etcdutl; 3.4 has it in etcdctl. */
function restoreTool(version: string): string {
  return compareVersions(version, '3.5.0') >= 0 ? '/usr/local/bin/etcdutl' : '/usr/local/bin/etcdctl';
}

/** verify (sha256, an empty volume) -> etcd's snapshot restore as member 0 of a new cluster -> finish (move into place). */
export function restoreJob(c: EtcdCluster, images: PodImages): V1Job {
  const from = c.spec.bootstrap!.fromSnapshot!;
  const name = c.metadata.name!;
  const version = c.spec.version ?? DEFAULT_ETCD_VERSION;
  const member = memberName(name, 0);
  const peer = peerURL(name, c.metadata.namespace!, 0, schemeOf(c));
  const paths = ['--source', BACKUPS_DIR, '--snapshot', from.snapshot, '--data', DATA_DIR, '--staging', STAGING_DIR];
  const mounts = [{ name: 'backups', mountPath: BACKUPS_DIR, readOnly: true }, { name: 'data', mountPath: DATA_DIR }];
  const restore = [
    restoreTool(version), 'snapshot', 'restore', `${BACKUPS_DIR}/${from.snapshot}`,
    '--name', member, '--initial-cluster', `${member}=${peer}`, '--initial-advertise-peer-urls', peer,
    '--initial-cluster-token', entryContext(c).token, '--data-dir', STAGING_DIR,
  ];
  return job(c, restoreJobName(name), 'restore', {}, {
    initContainers: [
      container('verify', images.guard, ['etcd-backup', 'verify', ...paths], mounts),
      { ...container('restore', `${images.etcdRepository}:v${version}`, restore, mounts), env: [{ name: 'ETCDCTL_API', value: '3' }] },
    ],
    containers: [container('finish', images.guard, ['etcd-backup', 'finish', ...paths], mounts)],
    volumes: [
      { name: 'backups', persistentVolumeClaim: { claimName: backupsPvcName(from.cluster), readOnly: true } },
      { name: 'data', persistentVolumeClaim: { claimName: pvcName(name, 0) } },
    ],
  });
}
