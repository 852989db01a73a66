// Admission of backups and restore (SPEC.md, "Backups"): spec.backup (rule V12) and spec.bootstrap (rule V13),
// with warning W10. Like V11, what the controller could not carry out is denied, naming the field, the value and
// the bound, not accepted and applied to nothing; what only the API server knows (the backups PVC, the snapshots
// a cluster lists) is read by the webhook and passed in. Pure; never bypassed by force-resize.
import { isPlainObject } from './admission-review.js';
import { checkSchedule } from './backup-schedule.js';
import { MIN_QUOTA_BACKEND_BYTES } from './etcd-options.js';
import { DNS_SUBDOMAIN } from './pod-template-rules.js';
import { LABEL_VALUE_MAX, NAME_PATTERN } from './object-rules.js';
import { quantityValue } from './quantity.js';
import { backupsPvcName, newestFirst, parseSnapshotName } from './snapshot-files.js';

export interface BackupFinding {
  rule: 'V12' | 'V13';
  message: string;
}

export const MIN_KEEP = 1;
export const MAX_KEEP = 100;
export const DEFAULT_KEEP = 7;
/** The backups volume holds at least one snapshot of the smallest backend the operator gives etcd (V11's lower quota). */
export const MIN_BACKUP_VOLUME_BYTES = MIN_QUOTA_BACKEND_BYTES;
const MIN_BACKUP_VOLUME = '64Mi';
/** What the controller makes PVC NAME-backups with when spec.backup.volume.size is absent. */
const DEFAULT_BACKUP_VOLUME = '1Gi';
/** How many of a cluster's snapshots a V13 denial names. */
const SHOWN_SNAPSHOTS = 5;


/** fromSnapshot.cluster: an EtcdCluster's name (a DNS-1035 label), whose backups are PVC CLUSTER-backups. */
export const isClusterName = (v: unknown): v is string => typeof v === 'string' && v.length <= LABEL_VALUE_MAX && NAME_PATTERN.test(v);

const asObject = (v: unknown): Record<string, unknown> => (isPlainObject(v) ? v : {});
const specPart = (spec: unknown, key: 'backup' | 'bootstrap') => asObject(spec)[key];

/** The schema keeps unknown fields of spec.backup and spec.bootstrap so that a misspelt one is named here, not pruned. */
function unknownKeys(path: string, obj: Record<string, unknown>, allowed: readonly string[]): string[] {
  return Object.keys(obj).filter((k) => !allowed.includes(k)).map((k) => `${path}.${k} is not a setting (${path} takes ${allowed.join(', ')})`);
}

/** Every problem of spec.backup (V12); empty when the controller can take snapshots with it. */
function backupProblems(raw: unknown): string[] {
  if (raw === undefined) return [];
  if (!isPlainObject(raw)) return ['spec.backup must be an object with schedule, keep and volume'];
  const out = unknownKeys('spec.backup', raw, ['schedule', 'keep', 'volume']);
  const { schedule, keep, volume } = raw;
  if (schedule !== undefined) {
    const check = typeof schedule === 'string' ? checkSchedule(schedule) : { ok: false as const, error: `${JSON.stringify(schedule)} is not a string` };
    if (!check.ok) out.push(`spec.backup.schedule ${check.error} (UTC; leave it out to take snapshots only when asked, kubectl etcd snapshot NAME)`);
  }
  if (keep !== undefined && !(typeof keep === 'number' && Number.isInteger(keep) && keep >= MIN_KEEP && keep <= MAX_KEEP)) {
    out.push(`spec.backup.keep is ${JSON.stringify(keep)}: it must be a whole number from ${MIN_KEEP} to ${MAX_KEEP} (the snapshots kept, newest first; default ${DEFAULT_KEEP})`);
  }
  if (volume === undefined) return out;
  if (!isPlainObject(volume)) return [...out, 'spec.backup.volume must be an object with size and storageClassName'];
  out.push(...unknownKeys('spec.backup.volume', volume, ['size', 'storageClassName']));
  const { size, storageClassName } = volume;
  const bytes = typeof size === 'string' ? quantityValue(size) : undefined;
  if (size !== undefined && bytes === undefined) {
    out.push(`spec.backup.volume.size is ${JSON.stringify(size)}, not a quantity (e.g. "5Gi")`);
  } else if (bytes !== undefined && bytes < MIN_BACKUP_VOLUME_BYTES) {
    out.push(`spec.backup.volume.size is ${String(size)} (${bytes} bytes): it must be at least ${MIN_BACKUP_VOLUME} (${MIN_BACKUP_VOLUME_BYTES} bytes, ` +
      `one snapshot of etcd's smallest backend); give it room for spec.backup.keep snapshots of the database`);
  }
  if (storageClassName !== undefined && (typeof storageClassName !== 'string' || !DNS_SUBDOMAIN.test(storageClassName))) {
    out.push(`spec.backup.volume.storageClassName ${JSON.stringify(storageClassName)} is not a StorageClass name (a DNS subdomain: lower-case letters, ` +
      'digits, \'-\' and \'.\', at most 253 characters; kubectl get storageclasses lists them)');
  }
  return out;
}

/** PVC NAME-backups as the controller makes it from spec.backup.volume, so a default spelled out is no change. */
function backupVolume(backup: unknown): { size: string; bytes: number | string; storageClassName?: string } {
  const v = asObject(asObject(backup).volume);
  const size = typeof v.size === 'string' ? v.size : DEFAULT_BACKUP_VOLUME;
  return { size, bytes: quantityValue(size) ?? size, storageClassName: typeof v.storageClassName === 'string' ? v.storageClassName : undefined };
}

const describeVolume = (v: ReturnType<typeof backupVolume>) =>
  `size ${v.size}, ${v.storageClassName === undefined ? 'the default StorageClass' : `storageClassName ${v.storageClassName}`}`;

/**
 * V12 at CREATE, and on UPDATE when spec.backup changes (an object admitted before stays editable): its shape, and
 * the volume fixed once PVC NAME-backups exists. Removing spec.backup is allowed (W10 says what is kept).
 */
export function checkBackup(cluster: string, spec: unknown, oldSpec?: unknown): BackupFinding | undefined {
  const backup = specPart(spec, 'backup');
  const old = oldSpec === undefined ? undefined : specPart(oldSpec, 'backup');
  if (oldSpec !== undefined && JSON.stringify(old) === JSON.stringify(backup)) return undefined;
  const problems = backupProblems(backup);
  if (problems.length) {
    return {
      rule: 'V12',
      message: `V12: the backup settings of ${cluster} cannot be applied: ${problems.join('; ')}. Fix ${problems.length > 1 ? 'these fields' : 'this field'} ` +
        'and apply again (SPEC.md, "Backups").',
    };
  }
  if (old === undefined || backup === undefined) return undefined;
  const [from, to] = [backupVolume(old), backupVolume(backup)];
  if (from.bytes === to.bytes && from.storageClassName === to.storageClassName) return undefined;
  const pvc = backupsPvcName(cluster);
  return {
    rule: 'V12',
    message: `V12: spec.backup.volume of ${cluster} cannot change (from ${describeVolume(from)} to ${describeVolume(to)}): PVC ${pvc} was made with it ` +
      `and holds the snapshots, so the change would apply to nothing. Keep spec.backup.volume as it is; for another volume, create a new ` +
      `EtcdCluster with it, restored from a snapshot of this one (spec.bootstrap.fromSnapshot: {cluster: ${cluster}, snapshot: NAME}; ` +
      `kubectl etcd snapshots ${cluster} lists them), or expand PVC ${pvc} yourself if its StorageClass allows volume expansion.`,
  };
}

/** What the webhook read at CREATE of a restore's source (fromSnapshot.cluster) in the new cluster's namespace. */
export interface RestoreSource {
  namespace: string;
  /** PVC CLUSTER-backups is there; undefined: it could not be read. */
  pvcExists: boolean | undefined;
  /**
   * The snapshot names status.backup.snapshots of the EtcdCluster CLUSTER lists; 'none' when there is no such cluster
   * (deleted: its PVC is kept) or it lists none; undefined: it could not be read.
   */
  listed: string[] | 'none' | undefined;
}

/** spec.bootstrap as the controller reads it, to compare and to show. */
function describeBootstrap(raw: unknown): string {
  if (raw === undefined) return 'none';
  const from = asObject(asObject(raw).fromSnapshot);
  const plain = Object.keys(asObject(raw)).join() === 'fromSnapshot' && Object.keys(from).length === 2 &&
    typeof from.cluster === 'string' && typeof from.snapshot === 'string';
  return plain ? `snapshot ${String(from.snapshot)} of ${String(from.cluster)}` : JSON.stringify(raw);
}

function bootstrapProblems(raw: unknown, storage: unknown): string[] {
  if (!isPlainObject(raw)) return ['spec.bootstrap must be an object with fromSnapshot'];
  const out = unknownKeys('spec.bootstrap', raw, ['fromSnapshot']);
  const from = raw.fromSnapshot;
  if (from === undefined) return out;
  if (!isPlainObject(from)) return [...out, 'spec.bootstrap.fromSnapshot must be an object with cluster and snapshot'];
  out.push(...unknownKeys('spec.bootstrap.fromSnapshot', from, ['cluster', 'snapshot']));
  const { cluster, snapshot } = from;
  const clusterOk = isClusterName(cluster);
  if (!clusterOk) {
    out.push(`spec.bootstrap.fromSnapshot.cluster ${JSON.stringify(cluster)} is not an EtcdCluster name (a DNS-1035 label: a lower-case letter first, ` +
      `then lower-case letters, digits or '-', at most ${LABEL_VALUE_MAX} characters): the cluster whose backups PVC CLUSTER-backups holds the snapshot`);
  }
  const parsed = typeof snapshot === 'string' ? parseSnapshotName(snapshot) : undefined;
  if (!parsed) {
    out.push(`spec.bootstrap.fromSnapshot.snapshot ${JSON.stringify(snapshot)} is not a snapshot file name (CLUSTER-YYYYMMDDTHHMMSSZ-rREVISION.db, ` +
      `e.g. demo-20261202T120000Z-r1234.db, as kubectl etcd snapshots CLUSTER lists them)`);
  } else if (clusterOk && parsed.cluster !== cluster) {
    out.push(`spec.bootstrap.fromSnapshot.snapshot "${String(snapshot)}" is a snapshot of ${parsed.cluster}, not of ${cluster}: its name must begin ` +
      `with "${cluster}-" and the time (set fromSnapshot.cluster to ${parsed.cluster}, or choose one of kubectl etcd snapshots ${cluster})`);
  }
  if (asObject(storage).emptyDir === true) {
    out.push('spec.bootstrap.fromSnapshot needs a volume for member 0 to restore into, and spec.storage.emptyDir is true: leave emptyDir out (spec.storage size and storageClassName)');
  }
  return out;
}

/**
 * V13: spec.bootstrap is judged at CREATE (its shape, then the source as the webhook read it) and never changes
 * after: the restore is done once, before the first member starts.
 */
export function checkBootstrap(cluster: string, spec: unknown, oldSpec?: unknown, source?: RestoreSource): BackupFinding | undefined {
  const bootstrap = specPart(spec, 'bootstrap');
  if (oldSpec !== undefined) {
    const [from, to] = [describeBootstrap(specPart(oldSpec, 'bootstrap')), describeBootstrap(bootstrap)];
    if (from === to) return undefined;
    return {
      rule: 'V13',
      message: `V13: spec.bootstrap of ${cluster} cannot change (from ${from} to ${to}): bootstrap happens once, at creation; to restore again create ` +
        'a new EtcdCluster with spec.bootstrap.fromSnapshot (kubectl etcd snapshots CLUSTER lists the snapshots). Keep spec.bootstrap as it is.',
    };
  }
  if (bootstrap === undefined) return undefined;
  const problems = bootstrapProblems(bootstrap, asObject(spec).storage);
  if (problems.length) {
    return {
      rule: 'V13',
      message: `V13: ${cluster} cannot be bootstrapped as asked: ${problems.join('; ')}. Fix ${problems.length > 1 ? 'these fields' : 'this field'} and apply again.`,
    };
  }
  const from = asObject(asObject(bootstrap).fromSnapshot) as { cluster?: string; snapshot?: string };
  if (!source || !from.cluster || !from.snapshot) return undefined;
  const restoring = `V13: cannot restore ${cluster} from snapshot ${from.snapshot} of ${from.cluster}`;
  if (source.pvcExists === false) {
    return {
      rule: 'V13',
      message: `${restoring}: PVC ${backupsPvcName(from.cluster)} does not exist in namespace ${source.namespace}, and a restore reads the snapshot ` +
        `from there (the new cluster's own namespace). Check the cluster's name and namespace with kubectl etcd snapshots ${from.cluster} ` +
        `-n ${source.namespace}, or create ${cluster} in the namespace that holds ${backupsPvcName(from.cluster)}.`,
    };
  }
  if (Array.isArray(source.listed) && !source.listed.includes(from.snapshot)) {
    const newest = newestFirst(from.cluster, source.listed);
    const shown = newest.length === 0
      ? 'it lists no snapshot yet (kubectl etcd snapshot ' + from.cluster + ' takes one)'
      : `its newest: ${newest.slice(0, SHOWN_SNAPSHOTS).join(', ')}${newest.length > SHOWN_SNAPSHOTS ? `; ${newest.length} in all` : ''}`;
    return {
      rule: 'V13',
      message: `${restoring}: EtcdCluster ${from.cluster} does not list that snapshot in status.backup.snapshots (${shown}). ` +
        `Set spec.bootstrap.fromSnapshot.snapshot to one it lists (kubectl etcd snapshots ${from.cluster}).`,
    };
  }
  return undefined;
}

/**
 * W10: spec.backup removed on UPDATE (what is kept), or at CREATE a restore source the webhook could not read (admitted
 * unchecked: an unknown is not a denial).
 */
export function backupWarning(cluster: string, spec: unknown, oldSpec?: unknown, source?: RestoreSource): string | undefined {
  if (oldSpec !== undefined) {
    if (specPart(oldSpec, 'backup') === undefined || specPart(spec, 'backup') !== undefined) return undefined;
    const pvc = backupsPvcName(cluster);
    return `W10: spec.backup removed from ${cluster}: no more snapshots are taken; PVC ${pvc} and the snapshots in it are kept ` +
      `(kubectl etcd snapshots ${cluster} lists them; delete the PVC yourself when they are unwanted). Set spec.backup again and ${pvc} is used as it is`;
  }
  const from = asObject(asObject(specPart(spec, 'bootstrap')).fromSnapshot);
  if (!source || typeof from.cluster !== 'string') return undefined;
  const unread = [
    ...(source.pvcExists === undefined ? [`PVC ${backupsPvcName(from.cluster)}`] : []),
    ...(source.listed === undefined ? [`EtcdCluster ${from.cluster}`] : []),
  ];
  if (!unread.length) return undefined;
  return `W10: the webhook could not read ${unread.join(' or ')} in namespace ${source.namespace}, so the restore source of ${cluster} ` +
    `(snapshot ${String(from.snapshot)} of ${from.cluster}) is not checked: if it is missing the restore cannot run, and kubectl etcd status ${cluster} shows why`;
}
