// Whether a member's pod may start etcd on the volume it found (the member guard, an init container of every
// etcd pod). etcd itself would join the cluster under the member's old ID with an empty data dir, and panic
// on the leader's first heartbeat ("tocommit(N) is out of range [lastIndex(0)]"); or run another member's
// data under this member's name. The guard starts etcd only on the member's own data, or on an empty volume
// for a member that has never run; otherwise it refuses, says why, and leaves the repair to the controller
// (remove the member, add it again as a new learner). Pure: guard/main.ts does the reading and the exit.
import type { MemberStartEntry } from './member-entry.js';
import type { WalIdentity } from './wal.js';

export type GuardRefusal = 'NoStartEntry' | 'DataLost' | 'ForeignData';

/** Exit codes of the guard (the kubelet reports them in the init container's status). */
export const GUARD_EXIT: Record<GuardRefusal, number> = { NoStartEntry: 3, DataLost: 4, ForeignData: 5 };

export type GuardVerdict = { start: true; reason: 'OwnData' | 'FirstStart' | 'UnreadableWal' | 'Unverified'; message: string } | { start: false; reason: GuardRefusal; message: string };

export interface VolumeFacts {
  /** WAL files in the data dir (member/wal/*.wal). */
  walFiles: number;
  /** Whose data they are, from the first readable WAL file; undefined when none could be read. */
  wal?: WalIdentity;
  /** The data dir could not be read at all (not the guard's to read): nothing is known of it. */
  unreadable?: string;
}

export function guardVerdict(member: string, entry: MemberStartEntry | undefined, volume: VolumeFacts): GuardVerdict {
  if (!entry) {
    return { start: false, reason: 'NoStartEntry', message: `no start entry for ${member} yet; etcd-controller writes it once etcd has accepted the member` };
  }
  const id = entry.memberId;
  const who = `${member}${id ? ` (${id})` : ''}`;
  // Unknown is not empty: what it cannot read it never calls lost. etcd starts as it would without a guard.
  if (volume.unreadable) return { start: true, reason: 'Unverified', message: `${who}: could not read the data dir (${volume.unreadable}); not checked, etcd decides` };
  if (volume.walFiles > 0) {
    if (!volume.wal) return { start: true, reason: 'UnreadableWal', message: `${who}: the WAL could not be read here; etcd checks and repairs it itself` };
    if (id && volume.wal.memberId !== id) {
      return { start: false, reason: 'ForeignData', message: `${who}: this volume holds the data of member ${volume.wal.memberId}, not ${id}; refusing to start etcd on it (etcd-controller deletes stale volumes)` };
    }
    return { start: true, reason: 'OwnData', message: `${who}: starting on its own data (WAL of member ${volume.wal.memberId})` };
  }
  if (entry.joinedAt) {
    return { start: false, reason: 'DataLost', message: `${who} has run before (joined ${entry.joinedAt}) but its volume holds no data: it was lost; refusing to start etcd under its old member ID (etcd-controller replaces the member)` };
  }
  return { start: true, reason: 'FirstStart', message: `${who}: first start on an empty volume` };
}
