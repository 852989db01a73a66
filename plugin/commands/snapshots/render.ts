// `kubectl etcd snapshots NAME` as text: the snapshots status.backup lists (newest first), then what is not a
// file yet: the last failure when it came after the last snapshot, and a request not served yet. Pure; the
// Backups section of `status` reads status.backup the same way.
import type { BackupError, BackupSpec, BackupStatus, EtcdCluster } from '../../../core/api.js';
import { age, bytes } from '../../cli/format.js';
import type { Colors } from '../../cli/output.js';
import { table } from '../../cli/table.js';
import { backupPatchCommand, errorMessage, pendingRequest, shortSha } from '../snapshot/request.js';

/** "2026-11-24T11:30:00Z (30m ago)". */
export const when = (at: string, now: Date) => `${at} (${age(at, now)} ago)`;

export const scheduleText = (b: BackupSpec) => (b.schedule ? `${b.schedule} (UTC)` : 'on request only');

/** The last snapshot taken (the list may lag behind it for a moment). */
export const newestSnapshot = (b: BackupStatus | undefined) => b?.lastSnapshot ?? b?.snapshots?.[0];

/** The last failure, when no snapshot has been taken since (a success clears it; an older one is history). */
export function errorSinceLastSnapshot(b: BackupStatus | undefined): BackupError | undefined {
  const e = b?.lastError;
  const last = b?.lastSnapshot?.takenAt;
  return e && (!last || Date.parse(e.at) > Date.parse(last)) ? e : undefined;
}

export const errorText = (e: BackupError, now: Date) => `${when(e.at, now)}: ${errorMessage(e)}`;

export function snapshotsText(c: EtcdCluster, ns: string, now: Date, colors: Colors): string[] {
  const name = c.metadata.name ?? '';
  const b = c.status?.backup;
  const list = b?.snapshots ?? [];
  const lines = list.length
    ? table(['NAME', 'TAKEN', 'REVISION', 'SIZE', 'SHA256', 'MEMBER'],
      list.map((s) => [s.name, when(s.takenAt, now), String(s.revision), bytes(s.sizeBytes), shortSha(s.sha256), s.fromLeader ? `${s.member} (leader)` : s.member]))
    : [c.spec.backup
      ? `No snapshots of ${name} yet (spec.backup is set, schedule ${scheduleText(c.spec.backup)}); take one now with: kubectl etcd snapshot ${name} -n ${ns}`
      : `No snapshots of ${name}: it has no spec.backup, so none are taken. Set it with: ${backupPatchCommand(ns, name)}`];
  const failed = errorSinceLastSnapshot(b);
  if (failed) lines.push(colors.red(`Last error ${errorText(failed, now)}`));
  const pending = pendingRequest(c);
  if (pending) lines.push(`Requested ${when(pending, now)}: not taken yet`);
  return lines;
}
