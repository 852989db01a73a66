// A `kubectl etcd snapshot` request as the EtcdCluster carries it: the annotation snapshot-requested holds when
// it was asked for, and the controller's record that serves it (a snapshot or an error) repeats that time as
// requestedAt. Pure.
import type { BackupError, BackupStatus, EtcdCluster, SnapshotRecord } from '../../../core/api.js';
import { pendingRequest as unserved } from '../../../core/backup-step.js';
import { backupsPvcName } from '../../../core/snapshot-files.js';
import { bytes } from '../../cli/format.js';

/** How many hex digits of a sha256 the text output shows (enough to tell files apart; -o json has all 64). */
const SHA_SHOWN = 12;

export const shortSha = (sha: string) => sha.slice(0, SHA_SHOWN);

export type Served = { snapshot: SnapshotRecord } | { error: BackupError };

/** The record that served the request made at `at`, if any: a snapshot (the last one or one still kept) or the last error. */
export function servedBy(b: BackupStatus | undefined, at: string): Served | undefined {
  const snapshot = [b?.lastSnapshot, ...(b?.snapshots ?? [])].find((s) => s?.requestedAt === at);
  if (snapshot) return { snapshot };
  return b?.lastError?.requestedAt === at ? { error: b.lastError } : undefined;
}

/**
 * The time of a request nothing in status has served yet (the controller's own test, without the Jobs the plugin
 * does not read): asking again would only queue the same snapshot twice.
 */
export const pendingRequest = (c: EtcdCluster) => unserved(c, []);

/** How to set spec.backup, as a command to run. */
export function backupPatchCommand(ns: string, name: string): string {
  const patch = JSON.stringify({ spec: { backup: { schedule: '0 */6 * * *', keep: 7, volume: { size: '5Gi' } } } });
  return `kubectl -n ${ns} patch etcdcluster ${name} --type merge -p '${patch}' (without "schedule", snapshots are taken only on request)`;
}

/** Rule S1: a snapshot needs the backup volume that spec.backup makes. */
export function noBackupDenial(ns: string, name: string): string {
  return `S1: cannot take a snapshot of ${name}: it has no spec.backup, so there is no backup volume (PVC ${backupsPvcName(name)}) to write it to. ` +
    `Set spec.backup first: ${backupPatchCommand(ns, name)}`;
}

/** "demo: snapshot FILE taken from demo-1 at revision 1234 (24 KiB, sha256 0123456789ab)". */
export function takenLine(name: string, s: SnapshotRecord): string {
  return `${name}: snapshot ${s.name} taken from ${s.member} at revision ${s.revision} (${bytes(s.sizeBytes)}, sha256 ${shortSha(s.sha256)})`;
}

/** What failed, and in which Job. */
export const errorMessage = (e: BackupError) => `${e.message}${e.job ? ` (Job ${e.job})` : ''}`;

/** A served failure, with where to look next. */
export function failedText(ns: string, name: string, e: BackupError): string {
  return `the snapshot of ${name} failed: ${errorMessage(e)}; ` +
    `see kubectl etcd status ${name} -n ${ns} and the events: kubectl -n ${ns} describe etcdcluster ${name}`;
}
